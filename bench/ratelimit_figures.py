#!/usr/bin/env python3
"""Rate-limit figures (issue 5): prints, never fails on a number.

1. accuracy: 3 gateway processes sharing 1 redis-server, a limit of 1,000
   per second (burst 0) on one key, wrk on every gateway at once for
   --seconds; allowed (from each gateway's /metrics) against the ideal
   (a full bucket of 1,000 at the start, then 1,000 per second).
2. throughput: one gateway, GET on routes with no rate_limit, with a local
   one and with a redis one (limits high enough that all pass), side by side.

Usage: bench/ratelimit_figures.py --bin build/release/src/cli/apigw [--seconds 10]
"""

import argparse
import os
import re
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


def throughput(seconds):
    with RedisServer() as redis:
        cfg = base_config(workers=2, redis={"address": redis.address, "connections": 1},
                          policies=[{"name": "local", "type": "rate_limit", "key": "ip", "limit": 1000000000,
                                     "window_ms": 1000},
                                    {"name": "shared", "type": "rate_limit", "key": "ip", "limit": 1000000000,
                                     "window_ms": 1000, "store": "redis"}],
                          routes=[route("none", []), route("local", ["local"]), route("redis", ["shared"])])
        with Gateway(cfg) as gw:
            for path in ("/none", "/local", "/redis"):
                wrk(gw.port, path, 1)  # warm up
            rows = [(path, wrk(gw.port, path, seconds, connections=32)) for path in ("/none", "/local", "/redis")]
    print("throughput (2 workers, wrk -t1 -c32, %ds each): " % seconds +
          ", ".join("%s %.0f req/s" % (p[1:], r) for p, r in rows))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    os.environ["APIGW_BIN"] = os.path.abspath(args.bin)
    accuracy(args.seconds)
    throughput(max(3, args.seconds // 2))


if __name__ == "__main__":
    main()
