#!/usr/bin/env bash
# Installs what building and testing apigw needs on Debian 12, from Debian's
# packages only. Safe to run again: apt-get skips what is already there.
set -euo pipefail
packages=(
  g++ cmake ninja-build pkg-config                       # toolchain
  libuv1-dev node-llhttp libmbedtls-dev libsimdjson-dev   # libraries
  libhiredis-dev doctest-dev
)
if [ "${1:-}" = "--test" ]; then
  packages+=(python3 curl openssl)                       # system tests' clients; openssl makes test certificates
  packages+=(wrk)                                        # the benchmark smoke run
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
