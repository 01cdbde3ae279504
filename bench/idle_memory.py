#!/usr/bin/env python3
"""Idle memory per keep-alive connection.

Starts `apigw run` with a respond route, opens N keep-alive connections that
each complete one request, and reports (RSS with N idle connections - RSS
with none) / N. Bounded: N connections on 127.0.0.1, a deadline for each step.

usage: bench/idle_memory.py [--bin build/release/apigw] [--connections 10000]
"""
import argparse, json, os, resource, selectors, signal, socket, subprocess, sys, tempfile, time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/release/apigw")
    ap.add_argument("--connections", type=int, default=10000)
    args = ap.parse_args()
    n = args.connections
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 1024
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))
    config = {
        "listeners": [{"name": "bench", "address": "127.0.0.1:0"}],
        "limits": {"max_connections": n + 100, "idle_timeout_ms": 600000},
        "routes": [{"name": "small", "match": {"path": "/small"}, "respond": {"body": "hello, world\n"}}],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(config, f)
    proc = subprocess.Popen([args.bin, "run", "--config", f.name], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        port = int(line.rsplit(":", 1)[1])
        # Warm up: one request, so that lazily allocated state is in the baseline.
        warm = socket.create_connection(("127.0.0.1", port))
        warm.sendall(b"GET /small HTTP/1.1\r\nHost: b\r\n\r\n")
        warm.recv(4096)
        warm.close()
        time.sleep(0.2)
        before = rss_kib(proc.pid)
        socks = []
        request = b"GET /small HTTP/1.1\r\nHost: b\r\n\r\n"
        sel = selectors.DefaultSelector()
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(request)
            socks.append(s)
            sel.register(s, selectors.EVENT_READ)
            if len(socks) % 500 == 0:  # keep the accept queue short
                pending = len(sel.get_map())
                deadline = time.time() + 10
                while pending and time.time() < deadline:
                    for key, _ in sel.select(timeout=1):
                        key.fileobj.recv(4096)
                        sel.unregister(key.fileobj)
                        pending -= 1
        deadline = time.time() + 30
        while sel.get_map() and time.time() < deadline:
            for key, _ in sel.select(timeout=1):
                key.fileobj.recv(4096)
                sel.unregister(key.fileobj)
        time.sleep(0.5)
        after = rss_kib(proc.pid)
        per_conn = (after - before) * 1024 / n
        print(json.dumps({"connections": n, "rss_before_kib": before, "rss_after_kib": after,
                          "bytes_per_idle_connection": round(per_conn)}))
        for s in socks:
            s.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.unlink(f.name)


if __name__ == "__main__":
    sys.exit(main())
