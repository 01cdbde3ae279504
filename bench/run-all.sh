#!/usr/bin/env bash
# Every benchmark of bench/, one after the other, with the tables printed and
# the machine-readable results kept under OUT (default /tmp/apigw-bench-all-STAMP):
#   proxy.jsonl      small/4k/64k proxied: apigw, nginx, HAProxy, no proxy (../shared/bench)
#   respond.jsonl    apigw respond routes vs nginx answering from memory
#   scenarios.jsonl  1 MiB upload, keep-alive off, 1,024 connections, policy stack vs bare
#   cost.jsonl       instructions and allocations per request (callgrind)
#   footprint.md, memory.jsonl   sizes; idle connection memory; RSS over 1M requests
# About 20 minutes. Run it on a quiet machine: other load skews the rps figures.
#   bench/run-all.sh [--rounds N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rounds=5
[ "${1:-}" = "--rounds" ] && rounds=$2
out=${OUT:-/tmp/apigw-bench-all-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
bin=$root/build/release/apigw
cmake --preset release >/dev/null && cmake --build --preset release >/dev/null

echo "== proxied, side by side (pinned, $rounds rounds)"
bench/run.sh proxy --rounds "$rounds" --out "$out/proxy.jsonl" --table "$out/proxy.md" >"$out/proxy.log" 2>&1 || true
cat "$out/proxy.md"
echo "== answering from memory: apigw respond vs nginx return"
bench/run.sh respond --rounds "$rounds" --out "$out/respond.jsonl" --table "$out/respond.md" >"$out/respond.log" 2>&1 || true
cat "$out/respond.md"
echo "== upload, keep-alive off, 1,024 connections, policy stack"
python3 bench/scenarios.py --bin "$bin" --rounds "$rounds" --out "$out/scenarios.jsonl" 2>"$out/scenarios.log" |
  tee "$out/scenarios.md"
echo "== instructions and allocations per request (callgrind)"
python3 bench/request_cost.py --bin "$bin" | tee "$out/cost.jsonl"
python3 bench/request_cost.py --nginx | tee -a "$out/cost.jsonl"
echo "== footprint"
bash bench/footprint.sh | tee "$out/footprint.md"
echo "== memory"
python3 bench/idle_memory.py --bin "$bin" --connections 10000 | tee "$out/memory.jsonl"
python3 bench/rss_growth.py --bin "$bin" 2>/dev/null | tee -a "$out/memory.jsonl"
echo "results in $out"
