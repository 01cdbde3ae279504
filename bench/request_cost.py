#!/usr/bin/env python3
"""Instructions and heap allocations per request, counted by callgrind.

Runs `apigw run` under `valgrind --tool=callgrind` twice, once with N and once
with 6N requests over C keep-alive connections, and divides the difference
(so start-up and shut-down cancel out). Counts are repeatable whatever else
the machine is doing, which wall-clock benchmarks on this VM are not.

  respond: a route answering 13 bytes from memory
  proxy:   a catch-all route to a loopback origin (a Python thread, not counted)
  policy:  the proxy route behind request_id + rate_limit (local) + headers, with the access log

  --nginx: the same for nginx (one worker, no master process): `return 200`
  for respond, proxy_pass with upstream keep-alive for proxy; the peer's
  per-request cost, counted the same way

usage: bench/request_cost.py [--bin build/release/apigw] [--mode respond|proxy|policy|all] [-n 2000] [--nginx]
"""
import argparse, json, os, re, socket, subprocess, sys, tempfile, threading, time

ORIGIN_ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\ncontent-type: text/plain\r\n\r\nhello, world\n"


def serve_origin(listener):
    def one(conn):
        with conn:
            data = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
                while b"\r\n\r\n" in data:
                    _, data = data.split(b"\r\n\r\n", 1)
                    conn.sendall(ORIGIN_ANSWER)
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=one, args=(conn,), daemon=True).start()


def config(mode, origin_port):
    base = {"workers": 1, "listeners": [{"name": "bench", "address": "127.0.0.1:0"}],
            "limits": {"idle_timeout_ms": 300000}}
    if mode == "respond":
        base["routes"] = [{"name": "small", "match": {"path": "/small"},
                           "respond": {"status": 200, "headers": {"content-type": "text/plain"},
                                       "body": "hello, world\n"}}]
    else:
        base["upstreams"] = [{"name": "origin", "targets": [{"address": "127.0.0.1:%d" % origin_port}],
                              "timeouts": {"idle_ms": 300000}}]
        base["routes"] = [{"name": "all", "match": {"path_prefix": "/"}, "upstream": "origin"}]
    if mode == "policy":
        base["policies"] = [
            {"name": "request-id", "type": "request_id"},
            {"name": "per-ip", "type": "rate_limit", "key": "ip", "limit": 1000000000, "window_ms": 1000},
            {"name": "stamp", "type": "headers", "response": {"set": {"x-gateway": "apigw"}}}]
        base["routes"][0]["policies"] = ["request-id", "per-ip", "stamp"]
        base["telemetry"] = {"access_log": {"path": "/dev/null"}}
    return base


def drive(port, requests, connections, path="/small"):
    """Sends `requests` GETs spread over `connections` keep-alive connections, one at a time each."""
    per = requests // connections
    request = b"GET %s HTTP/1.1\r\nHost: bench\r\nUser-Agent: request_cost\r\nAccept: */*\r\n\r\n" % path.encode()
    socks = [socket.create_connection(("127.0.0.1", port), timeout=60) for _ in range(connections)]
    for _ in range(per):
        for s in socks:
            s.sendall(request)
        for s in socks:
            got = b""
            while not got.endswith(b"hello, world\n"):
                chunk = s.recv(4096)
                if not chunk:
                    raise RuntimeError("connection closed")
                got += chunk
            if not got.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(got[:80])
    for s in socks:
        s.close()


# operator new calls malloc, so counting malloc and friends counts each allocation once.
ALLOC_FUNCTIONS = {"malloc", "calloc", "realloc", "aligned_alloc", "posix_memalign"}


def totals(out_file):
    """Total instructions, and calls to the allocation functions, in one callgrind output.

    callgrind writes a name once as "cfn=(12) malloc" and afterwards as "cfn=(12)";
    each "calls=N ..." line counts the calls to the latest cfn.
    """
    ir, allocs, names, callee = None, 0, {}, None
    with open(out_file) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                ir = int(line.split()[1])
            m = re.match(r"c?fn=(\(\d+\))(?: (.*))?$", line.rstrip("\n"))
            if m:
                if m.group(2):
                    names[m.group(1)] = m.group(2)
                if line.startswith("cfn="):
                    callee = names.get(m.group(1))
            elif line.startswith("calls=") and callee in ALLOC_FUNCTIONS:
                allocs += int(line[6:].split()[0])
    return ir, allocs


NGINX_CONF = """worker_processes 1; master_process off; daemon off;
pid {dir}/nginx.pid; error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{ access_log off; client_body_temp_path {dir};
  keepalive_requests 1000000000; keepalive_timeout 300s;
  upstream origin {{ server 127.0.0.1:{origin}; keepalive 64; keepalive_requests 1000000000; }}
  server {{ listen 127.0.0.1:{port};
    location = /small {{ default_type text/plain; return 200 "hello, world\\n"; }}
    location / {{ proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; }} }} }}
"""


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on %d" % port)


def measure_nginx(mode, requests, connections, origin_port):
    with tempfile.TemporaryDirectory() as work:
        os.chmod(work, 0o755)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with open(os.path.join(work, "nginx.conf"), "w") as f:
            f.write(NGINX_CONF.format(dir=work, origin=origin_port, port=port))
        out = os.path.join(work, "callgrind.out")
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                                 "nginx", "-p", work + "/", "-c", os.path.join(work, "nginx.conf")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port)
            drive(port, requests, connections, "/small" if mode == "respond" else "/proxied/small")
        finally:
            proc.terminate()
            proc.wait(timeout=120)
        return totals(out)


def measure(binary, mode, requests, connections, origin_port):
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "apigw.json")
        with open(path, "w") as f:
            json.dump(config(mode, origin_port), f)
        out = os.path.join(work, "callgrind.out")
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                                 binary, "run", "--config", path],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = proc.stdout.readline()
            port = int(line.rsplit(":", 1)[1])
            drive(port, requests, connections)
        finally:
            proc.terminate()
            proc.wait(timeout=120)
        result = totals(out)
        if os.environ.get("APIGW_KEEP_CALLGRIND"):
            os.replace(out, "%s/callgrind.%s.%d" % (os.environ["APIGW_KEEP_CALLGRIND"], mode, requests))
        return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/release/apigw")
    ap.add_argument("--mode", default="all", choices=["respond", "proxy", "policy", "all"])
    ap.add_argument("-n", type=int, default=2000, help="requests in the short run; the long run sends 6n")
    ap.add_argument("-c", type=int, default=8, help="keep-alive connections")
    ap.add_argument("--nginx", action="store_true", help="measure nginx instead (respond and proxy)")
    args = ap.parse_args()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    threading.Thread(target=serve_origin, args=(listener,), daemon=True).start()
    modes = ["respond", "proxy", "policy"] if args.mode == "all" else [args.mode]
    if args.nginx:
        modes = [m for m in modes if m != "policy"]
    for mode in modes:
        origin = listener.getsockname()[1]
        if args.nginx:
            ir1, a1 = measure_nginx(mode, args.n, args.c, origin)
            ir2, a2 = measure_nginx(mode, 6 * args.n, args.c, origin)
        else:
            ir1, a1 = measure(args.bin, mode, args.n, args.c, origin)
            ir2, a2 = measure(args.bin, mode, 6 * args.n, args.c, origin)
        n = 5 * args.n
        print(json.dumps({"server": "nginx" if args.nginx else "apigw", "mode": mode, "requests": n,
                          "instructions_per_request": round((ir2 - ir1) / n),
                          "allocations_per_request": round((a2 - a1) / n, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
