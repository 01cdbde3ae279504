#!/usr/bin/env python3
"""Rate-limit figures (issue 5): prints, never fails on a number.

1. accuracy: 3 gateway processes sharing 1 redis-server, a limit of 1,000
   per second (burst 0) on one key, wrk on every gateway at once for
   --seconds; allowed (from each gateway's /metrics) against the ideal
   (a full bucket of 1,000 at the start, then 1,000 per second).
2. throughput: one gateway (2 workers) proxying GET to an apigw origin, on
   routes with no rate_limit, a local one and a redis one (limits high
   enough that all pass), side by side: --rounds rounds, the three variants
   interleaved in a rotating order in each, the median of each printed.
3. with --micro LABEL=GCRA_BENCH (repeatable, e.g. a build of main and one of
   this tree): the local store's decisions per second from 2 threads, one
   hot key and 10,000 keys (bench/micro/gcra_bench), the binaries
   interleaved --rounds times, medians printed.

On a shared machine, compare only figures from one run.

Usage: bench/ratelimit_figures.py --bin build/release/apigw [--seconds 10] [--rounds 3]
                                  [--micro main=/path/gcra_bench --micro new=build/release/bench/gcra_bench]
                                  [--only accuracy,throughput,micro]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system"))
from harness import Gateway, base_config, HOST  # noqa: E402
from redis_server import RedisServer  # noqa: E402


def wrk(port, path, seconds, connections=8):
    out = subprocess.run(["wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "http://%s:%d%s" % (HOST, port, path)],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(m.group(1)) if m else 0.0


def allowed(admin_port, policy):
    import http.client
    conn = http.client.HTTPConnection(HOST, admin_port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    m = re.search(r'apigw_ratelimit_decisions_total\{policy="%s",decision="allowed"\} (\d+)' % policy, text)
    return int(m.group(1)) if m else 0


def route(name, policies):
    return {"name": name, "match": {"path": "/" + name}, "respond": {"status": 200, "body": "ok"},
            "policies": policies}


def accuracy(seconds):
    with RedisServer() as redis:
        cfg = base_config(workers=1, redis={"address": redis.address, "connections": 1},
                          policies=[{"name": "global", "type": "rate_limit", "key": "route", "limit": 1000,
                                     "window_ms": 1000, "store": "redis", "on_store_error": "deny"}],
                          routes=[route("hot", ["global"])])
        gws = [Gateway(cfg).start() for _ in range(3)]
        try:
            threads = [threading.Thread(target=wrk, args=(g.port, "/hot", seconds)) for g in gws]
            start = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - start
            total = sum(allowed(g.admin_port, "global") for g in gws)
        finally:
            for g in gws:
                g.stop()
    ideal_low, ideal_high = 1000 + 1000 * seconds, 1000 + 1000 * elapsed
    print("accuracy: 3 gateways, 1 redis, limit 1000/s, %ds: allowed %d; ideal %d..%d (wrk's %ds .. "
          "the %.2fs the three ran in); deviation from %d: %+.2f%%"
          % (seconds, total, ideal_low, ideal_high, seconds, elapsed, ideal_low,
             100.0 * (total - ideal_low) / ideal_low))
    print("  within 1%% of the ideal range: %s" % ("yes" if 0.99 * ideal_low <= total <= 1.01 * ideal_high else "NO"))


def throughput(seconds, rounds):
    origin_cfg = base_config(workers=1, admin=False, limits={"idle_timeout_ms": 300000},
                             routes=[{"name": "all", "match": {"path_prefix": "/"},
                                      "respond": {"status": 200, "body": "hello, world\n"}}])
    with RedisServer() as redis, Gateway(origin_cfg) as origin:
        def proxied(name, policies):
            return {"name": name, "match": {"path": "/" + name}, "upstream": "origin", "policies": policies}
        cfg = base_config(workers=2, redis={"address": redis.address, "connections": 1},
                          limits={"idle_timeout_ms": 300000},
                          upstreams=[{"name": "origin", "targets": [{"address": "%s:%d" % (HOST, origin.port)}],
                                      "max_connections_per_target": 1024}],
                          policies=[{"name": "local", "type": "rate_limit", "key": "ip", "limit": 1000000000,
                                     "window_ms": 1000},
                                    {"name": "shared", "type": "rate_limit", "key": "ip", "limit": 1000000000,
                                     "window_ms": 1000, "store": "redis"}],
                          routes=[proxied("none", []), proxied("local", ["local"]), proxied("redis", ["shared"])])
        paths = ["/none", "/local", "/redis"]
        samples = {p: [] for p in paths}
        with Gateway(cfg) as gw:
            for path in paths:
                wrk(gw.port, path, 1)  # warm up
            for r in range(rounds):
                for path in paths[r % 3:] + paths[:r % 3]:  # rotate the order: no variant always first
                    samples[path].append(wrk(gw.port, path, seconds, connections=32))
    print("throughput, proxied GET (gateway 2 workers, apigw origin 1 worker, 1 redis-server, wrk -t1 -c32, "
          "%d rounds of %ds, interleaved; median [samples]):" % (rounds, seconds))
    for path in paths:
        print("  rate_limit %-6s %8.0f req/s  %s" % (path[1:], statistics.median(samples[path]),
                                                   " ".join("%.0f" % v for v in samples[path])))


MICRO_LINES = ("rate_limit 1 key, 2 threads", "rate_limit 10,000 keys, 2 threads")


def micro(binaries, rounds):
    samples = {(label, line): [] for label, _ in binaries for line in MICRO_LINES}
    for _ in range(rounds):
        for label, path in binaries:
            out = subprocess.run([path], capture_output=True, text=True, timeout=600).stdout
            for line in MICRO_LINES:
                m = re.search(re.escape(line) + r": ([\d.]+) M decisions/s", out)
                if m:
                    samples[(label, line)].append(float(m.group(1)))
    print("local store, decisions per second of 2 threads together (gcra_bench, %d rounds interleaved; "
          "median [samples]):" % rounds)
    for line in MICRO_LINES:
        for label, _ in binaries:
            v = samples[(label, line)]
            print("  %-36s %-10s %6.2f M/s  %s" % (line, label, statistics.median(v) if v else 0,
                                                  " ".join("%.2f" % x for x in v)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--micro", action="append", default=[], metavar="LABEL=GCRA_BENCH")
    ap.add_argument("--only", default="accuracy,throughput,micro")
    args = ap.parse_args()
    os.environ["APIGW_BIN"] = os.path.abspath(args.bin)
    only = args.only.split(",")
    if "accuracy" in only:
        accuracy(args.seconds)
    if "throughput" in only:
        throughput(max(3, args.seconds // 2), args.rounds)
    if "micro" in only and args.micro:
        micro([tuple(m.split("=", 1)) for m in args.micro], args.rounds)


if __name__ == "__main__":
    main()
