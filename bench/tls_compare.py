#!/usr/bin/env python3
"""TLS side by side: apigw and nginx, one worker each, the same ECDSA P-256
certificate, TLS 1.2 and ECDHE-ECDSA-AES128-GCM-SHA256 on both (apigw's
mbedTLS 2.28 has no TLS 1.3), both answering GET /small from memory.

Prints, per server: full handshakes/s and resumed (session ticket)
handshakes/s with `openssl s_time`, and keep-alive requests/s over TLS with
wrk. Servers run on CPU 1, clients on CPU 0 (taskset). Figures are for
comparison within one run on one machine, never asserted.

    python3 bench/tls_compare.py --bin build/release/apigw --seconds 5
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HOST = "127.0.0.1"
SERVER_CPU, CLIENT_CPU = "1", "0"
CIPHER = "ECDHE-ECDSA-AES128-GCM-SHA256"

NGINX_CONF = """worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    server {{
        listen {host}:{port} ssl backlog=4096;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2;
        ssl_ciphers {cipher};
        ssl_session_tickets on;
        ssl_session_cache off;
        location = /small {{ default_type text/plain; return 200 "hello, world\\n"; }}
    }}
}}
"""


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on %d" % port)


def s_time(port, seconds, reuse):
    start = time.monotonic()
    out = subprocess.run(["taskset", "-c", CLIENT_CPU, "openssl", "s_time", "-connect", "%s:%d" % (HOST, port),
                          "-tls1_2", "-cipher", CIPHER, "-time", str(seconds), "-reuse" if reuse else "-new"],
                         capture_output=True, text=True, timeout=seconds * 4 + 30).stdout
    elapsed = time.monotonic() - start
    # "N connections in T real seconds": T is whole seconds, so the wall time is ours.
    m = re.search(r"(\d+) connections in \d+ real seconds", out)
    if not m:
        raise RuntimeError("unexpected s_time output:\n" + out)
    return int(m.group(1)) / elapsed


def wrk(port, seconds, connections=16):
    out = subprocess.run(["taskset", "-c", CLIENT_CPU, "wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds,
                          "https://%s:%d/small" % (HOST, port)], capture_output=True, text=True,
                         timeout=seconds + 30).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError("unexpected wrk output:\n" + out)
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="build/release/apigw")
    ap.add_argument("--seconds", type=int, default=5)
    args = ap.parse_args()
    for tool in ("openssl", "wrk", "nginx", "taskset"):
        if not shutil.which(tool):
            raise SystemExit("needs " + tool)
    work = tempfile.mkdtemp(prefix="apigw-tls-bench-")
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user
    procs = []
    try:
        cert, key = os.path.join(work, "server.pem"), os.path.join(work, "server.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-days", "2", "-subj", "/CN=bench.example", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        os.chmod(key, 0o644)  # a throwaway key, readable by nginx's worker

        apigw_port, nginx_port = free_port(), free_port()
        with open(os.path.join(work, "apigw.json"), "w") as f:
            json.dump({"workers": 1,
                       "listeners": [{"name": "tls", "address": "%s:%d" % (HOST, apigw_port),
                                      "tls": {"certificates": [{"cert_file": cert, "key_file": key}],
                                              "ciphers": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]}}],
                       "limits": {"idle_timeout_ms": 300000},
                       "routes": [{"name": "small", "match": {"path": "/small"},
                                   "respond": {"status": 200, "headers": {"content-type": "text/plain"},
                                               "body": "hello, world\n"}}]}, f)
        with open(os.path.join(work, "nginx.conf"), "w") as f:
            f.write(NGINX_CONF.format(dir=work, host=HOST, port=nginx_port, cert=cert, key=key, cipher=CIPHER))
        for argv in (["taskset", "-c", SERVER_CPU, args.bin, "run", "--config", os.path.join(work, "apigw.json")],
                     ["taskset", "-c", SERVER_CPU, "nginx", "-p", work + "/", "-e", work + "/error.log",
                      "-c", os.path.join(work, "nginx.conf")]):
            procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True))
        wait_ready(apigw_port)
        wait_ready(nginx_port)

        print("%-8s %16s %16s %18s" % ("server", "full hs/s", "resumed hs/s", "keep-alive req/s"))
        for name, port in (("apigw", apigw_port), ("nginx", nginx_port)):
            full = s_time(port, args.seconds, reuse=False)
            resumed = s_time(port, args.seconds, reuse=True)
            rps = wrk(port, args.seconds)
            print("%-8s %16.0f %16.0f %18.0f" % (name, full, resumed, rps), flush=True)
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(p.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
