#!/usr/bin/env python3
"""Does the gateway's memory grow with the number of requests served?

Starts an origin (`apigw run` answering from memory) and the gateway under
test proxying to it, sends 10,000 requests (Python, 64 keep-alive
connections, as wrk uses later), reads the gateway's RSS, then loads it with wrk until
1,000,000 requests have been served in all and reads RSS again. Half of
the traffic is proxied, half answered by a respond route. Bounded: wrk runs
in slices of a few seconds, at most 120 s in all.

usage: bench/rss_growth.py [--bin build/release/apigw] [--total 1000000]
"""
import argparse, json, os, signal, socket, subprocess, sys, tempfile, time


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def start(binary, config, work, name):
    path = os.path.join(work, name + ".json")
    with open(path, "w") as f:
        json.dump(config, f)
    proc = subprocess.Popen([binary, "run", "--config", path], stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline().rsplit(":", 1)[1])
    return proc, port


def python_requests(port, paths, count):
    socks = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(64)]
    sent = 0
    while sent < count:
        for i, s in enumerate(socks):
            s.sendall(b"GET %s HTTP/1.1\r\nHost: b\r\n\r\n" % paths[(sent + i) % len(paths)].encode())
        for s in socks:
            got = b""
            while not got.endswith(b"\n") or b"\r\n\r\n" not in got:
                got += s.recv(4096)
        sent += len(socks)
    for s in socks:
        s.close()
    return sent


WRK_COUNT = 'done = function(s, l, r) io.write(string.format("REQUESTS %d\\n", s.requests)) end\n'


def wrk_requests(port, path, seconds, work):
    script = os.path.join(work, "count.lua")
    with open(script, "w") as f:
        f.write(WRK_COUNT)
    out = subprocess.run(["wrk", "-t1", "-c64", "-d%ds" % seconds, "-s", script,
                          "http://127.0.0.1:%d%s" % (port, path)], capture_output=True, text=True,
                         timeout=seconds + 30).stdout
    return int(out.split("REQUESTS ")[1].split()[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/release/apigw")
    ap.add_argument("--total", type=int, default=1_000_000)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="apigw-rss-")
    origin, origin_port = start(args.bin, {
        "listeners": [{"name": "origin", "address": "127.0.0.1:0"}], "limits": {"idle_timeout_ms": 300000},
        "routes": [{"name": "small", "match": {"path_prefix": "/"},
                    "respond": {"status": 200, "body": "hello, world\n"}}]}, work, "origin")
    gateway, port = start(args.bin, {
        "workers": 1, "listeners": [{"name": "bench", "address": "127.0.0.1:0"}],
        "limits": {"idle_timeout_ms": 300000},
        "upstreams": [{"name": "origin", "targets": [{"address": "127.0.0.1:%d" % origin_port}]}],
        "routes": [{"name": "proxied", "match": {"path": "/proxied"}, "upstream": "origin"},
                   {"name": "respond", "match": {"path": "/respond"},
                    "respond": {"status": 200, "body": "hello, world\n"}}]}, work, "gateway")
    try:
        served = python_requests(port, ["/proxied", "/respond"], 10_000)
        after_10k = rss_kib(gateway.pid)
        deadline = time.time() + 120
        path = 0
        series = []  # (requests served, RSS) after each wrk slice: a plateau or a slope
        while served < args.total and time.time() < deadline:
            served += wrk_requests(port, ["/proxied", "/respond"][path % 2], 3, work)
            path += 1
            series.append((served, rss_kib(gateway.pid)))
        after = series[-1][1]
        print(json.dumps({"requests": served, "rss_after_10k_kib": after_10k, "rss_after_all_kib": after,
                          "growth_kib": after - after_10k, "series": series}))
    finally:
        for p in (gateway, origin):
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
