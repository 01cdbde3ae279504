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
  packages+=(python3 python3-pip curl openssl)           # system tests' clients; pip install test; test certificates
  packages+=(redis-server)                               # shared rate limits and quotas
  packages+=(wrk)                                        # the benchmark smoke run
  packages+=(golang-go)                                  # the Go binding's tests
  packages+=(abigail-tools)                              # abidiff: the C ABI against its recorded dump
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
