#!/usr/bin/env python3
"""RSS of the gateway while a large body streams through it.

Starts a loopback origin and `apigw run` proxying to it, then moves N MiB
through the gateway: downloaded (GET /big, the origin answers N MiB) or,
with --upload, uploaded (PUT /big with N MiB, the origin reads it all).
Prints the gateway's peak RSS (VmHWM) against its RSS before. Bounded: one
transfer, on 127.0.0.1, with deadlines.

usage: bench/big_transfer.py [--bin build/release/apigw] [--mib 1024] [--upload]
"""
import argparse, json, os, signal, socket, subprocess, sys, tempfile, threading, time


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(key)


def origin(listener, mib, upload):
    conn, _ = listener.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096)
    if upload:
        got = len(data.split(b"\r\n\r\n", 1)[1])
        buf = bytearray(1 << 20)
        while got < mib << 20:
            n = conn.recv_into(buf)
            if n == 0:
                break
            got += n
        body = b"%d" % got
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        conn.close()
        return
    chunk = b"x" * (1 << 20)
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % (mib << 20))
    for _ in range(mib):
        conn.sendall(chunk)
    conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/release/apigw")
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--upload", action="store_true")
    args = ap.parse_args()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    threading.Thread(target=origin, args=(listener, args.mib, args.upload), daemon=True).start()
    config = {"listeners": [{"name": "bench", "address": "127.0.0.1:0"}],
              "limits": {"max_body_bytes": (args.mib + 1) << 20},
              "upstreams": [{"name": "o", "targets": [{"address": "127.0.0.1:%d" % listener.getsockname()[1]}],
                             "timeouts": {"response_ms": 60000}}],
              "routes": [{"name": "all", "match": {"path_prefix": "/"}, "upstream": "o"}]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(config, f)
    proc = subprocess.Popen([args.bin, "run", "--config", f.name], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().rsplit(":", 1)[1])
        before = status_kib(proc.pid, "VmRSS")
        c = socket.create_connection(("127.0.0.1", port), timeout=30)
        t0 = time.time()
        if args.upload:
            c.sendall(b"PUT /big HTTP/1.1\r\nHost: b\r\ncontent-length: %d\r\n\r\n" % (args.mib << 20))
            chunk = b"y" * (1 << 20)
            for _ in range(args.mib):
                c.sendall(chunk)
            answer = c.recv(4096)
            secs = time.time() - t0
            got = int(answer.split(b"\r\n\r\n", 1)[1] or 0)
            print(json.dumps({"mib": args.mib, "direction": "upload", "origin_received_bytes": got,
                              "complete": got == args.mib << 20, "seconds": round(secs, 2),
                              "rss_before_kib": before, "peak_rss_kib": status_kib(proc.pid, "VmHWM")}))
            return
        c.sendall(b"GET /big HTTP/1.1\r\nHost: b\r\n\r\n")
        buf = bytearray(1 << 20)
        got = 0
        want = None
        head = b""
        while want is None:
            n = c.recv_into(buf)
            head += bytes(buf[:n])
            if b"\r\n\r\n" in head:
                h, rest = head.split(b"\r\n\r\n", 1)
                want = int([l for l in h.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
                got = len(rest)
        while got < want:
            n = c.recv_into(buf)
            if n == 0:
                break
            got += n
        secs = time.time() - t0
        peak = status_kib(proc.pid, "VmHWM")
        print(json.dumps({"mib": args.mib, "direction": "download", "received_bytes": got, "complete": got == want,
                          "seconds": round(secs, 2), "mib_per_s": round(got / (1 << 20) / secs),
                          "rss_before_kib": before, "peak_rss_kib": peak}))
        c.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.unlink(f.name)


if __name__ == "__main__":
    sys.exit(main())
