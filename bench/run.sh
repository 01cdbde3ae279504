#!/usr/bin/env bash
# Side-by-side benchmark: apigw's targets next to the shared harness's peers,
# in one run. Options go to the harness (../shared/bench/run.sh --help).
#   bench/run.sh                    respond route vs nginx answering from memory
#   bench/run.sh --precise          9 pinned rounds, for decisions
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
harness=${APIGW_BENCH_HARNESS:-$root/../shared/bench}
[ -x "$harness/run.sh" ] || { echo "bench: no harness at $harness" >&2; exit 1; }
command -v wrk >/dev/null && command -v nginx >/dev/null || bash "$harness/setup.sh"
cmake --preset release >/dev/null
cmake --build --preset release --target apigw_cli >/dev/null
export APIGW_BIN=$root/build/release/apigw
defaults=(--targets direct --baseline nginx-return --scenarios small,4k,64k --pin on --rounds 5)
exec "$harness/run.sh" "${defaults[@]}" \
  --target-file "$root/bench/targets/nginx-return.sh" \
  --target-file "$root/bench/targets/apigw-respond.sh" "$@"
