#!/usr/bin/env bash
# Side-by-side benchmarks, apigw next to its peers in one run of the shared
# harness (../shared/bench; options after the mode go to it, see its --help).
#   bench/run.sh              proxy: small/4k/64k proxied by apigw, nginx, HAProxy; no proxy
#   bench/run.sh respond      apigw `respond` routes vs nginx answering from memory
#   bench/run.sh proxy --precise
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
harness=${APIGW_BENCH_HARNESS:-$root/../shared/bench}
[ -x "$harness/run.sh" ] || { echo "bench: no harness at $harness" >&2; exit 1; }
mode=proxy
case "${1:-}" in proxy|respond) mode=$1; shift ;; esac
command -v wrk >/dev/null && command -v nginx >/dev/null && command -v haproxy >/dev/null || bash "$harness/setup.sh"
cmake --preset release >/dev/null
cmake --build --preset release --target apigw_cli >/dev/null
export APIGW_BIN=$root/build/release/apigw
if [ "$mode" = respond ]; then
  exec "$harness/run.sh" --targets direct --baseline nginx-return --scenarios small,4k,64k --pin on --rounds 5 \
    --target-file "$root/bench/targets/nginx-return.sh" \
    --target-file "$root/bench/targets/apigw-respond.sh" "$@"
fi
exec "$harness/run.sh" --targets direct,nginx,haproxy --scenarios small,4k,64k --pin on --rounds 5 \
  --target-file "$root/bench/targets/apigw.sh" "$@"
