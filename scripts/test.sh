#!/usr/bin/env bash
# Builds apigw twice (release, and ASan + UBSan) and runs every test in both:
# unit, integration, system (the binary with real clients) and fuzz corpora.
# Also checks that the minimal firmware preset (no TLS, no Redis) builds,
# with the firmware-style example.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
status=0
for preset in release asan; do
  echo "== $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "== $preset: test"
  ctest --preset "$preset" || status=1
done
echo "== minimal: build"
cmake --preset minimal >/dev/null
cmake --build --preset minimal --target apigw_cli example_firmware
exit $status
