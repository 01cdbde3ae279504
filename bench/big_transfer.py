#!/usr/bin/env python3
"""RSS of the gateway while a large answer streams through it.

Starts a loopback origin that answers GET /big with N MiB, `apigw run`
proxying to it, downloads the body through the gateway (reading as fast as
it can), and prints the gateway's peak RSS (VmHWM) against its RSS before.
Bounded: one transfer, on 127.0.0.1, with deadlines.

usage: bench/big_transfer.py [--bin build/release/apigw] [--mib 1024]
"""
import argparse, json, os, signal, socket, subprocess, sys, tempfile, threading, time


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(key)


def origin(listener, mib):
    conn, _ = listener.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096)
    chunk = b"x" * (1 << 20)
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % (mib << 20))
    for _ in range(mib):
        conn.sendall(chunk)
    conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/release/apigw")
    ap.add_argument("--mib", type=int, default=1024)
    args = ap.parse_args()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    threading.Thread(target=origin, args=(listener, args.mib), daemon=True).start()
    config = {"listeners": [{"name": "bench", "address": "127.0.0.1:0"}],
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
        c.sendall(b"GET /big HTTP/1.1\r\nHost: b\r\n\r\n")
        buf = bytearray(1 << 20)
        got, t0 = 0, time.time()
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
        print(json.dumps({"mib": args.mib, "received_bytes": got, "complete": got == want,
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
