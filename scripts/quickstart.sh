#!/usr/bin/env bash
# Builds apigw (release) and runs the built-in quickstart gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target apigw_cli
exec build/release/apigw run "$@"
