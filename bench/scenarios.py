#!/usr/bin/env python3
"""Side-by-side scenarios the shared harness does not cover.

  upload     POST /upload with a 1 MiB body (16 connections)
  close      GET /small with "Connection: close": a new connection per request
  c1024      GET /small over 1,024 keep-alive connections
  policy     GET /small through apigw's policy stack vs the same route bare
  jwt        GET /small with an HS256 bearer token through jwt + headers + request_id vs bare
  observe    GET /small with the access log (to a file) and tracing (sample_ratio 0.1, exported to
             the origin, which accepts and discards) vs neither; metrics are counted on both
             (they have no off switch), the observed one also has its admin listener
  cache      GET /small answered from apigw's cache (HIT) vs the same route proxied

Same method as ../shared/bench: one nginx origin and wrk pinned on CPU 0, each
proxy alone on CPU 1 with one worker, interleaved rounds (the order rotates
each round so machine drift hits every target alike), medians reported.
The baseline of the ratio column is nginx, or for `policy`, `jwt`, `observe` and `cache` the bare apigw route.
"rps per core" divides rps by the CPU share the proxy's process burned
(/proc/PID/stat), the fair figure when the load side is the bottleneck.

usage: bench/scenarios.py [--bin build/release/apigw] [--rounds 3] [--duration 3]
                          [--scenarios upload,close,c1024,policy,jwt,observe,cache] [--out results.jsonl]
                          [--smoke]   (CI: the policy and jwt scenarios, 1 round of 1 s, apigw as its own
                                       origin, so only wrk is needed; figures meaningless)
"""
import argparse, base64, hashlib, hmac, json, os, resource, shutil, signal, socket, statistics, subprocess, sys
import tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HARNESS = os.environ.get("APIGW_BENCH_HARNESS", os.path.join(ROOT, "..", "shared", "bench"))
LOAD_CPU, PROXY_CPU = ("0", "1") if (os.cpu_count() or 1) >= 2 else ("0", "0")
HOST = "127.0.0.1"

# The jwt scenario's key and token: HS256, the claims a typical access token has.
JWT_SECRET = b"bench-secret-bench-secret-bench!"


def jwt_token():
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).rstrip(b"=").decode()
    signing_input = enc({"alg": "HS256", "typ": "JWT", "kid": "bench"}) + "." + enc(
        {"sub": "bench", "iss": "https://id.example", "aud": "api", "exp": 4102444800, "scope": "read write"})
    sig = hmac.new(JWT_SECRET, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()


SCENARIOS = {
    # name: (path, connections, wrk Lua setup, targets)
    "upload": ("/upload", 16, 'wrk.method = "POST"\nwrk.body = string.rep("x", 1048576)\n'
               'wrk.headers["Content-Type"] = "application/octet-stream"\n', ["apigw", "nginx", "haproxy"]),
    "close": ("/small", 64, 'wrk.headers["Connection"] = "close"\n', ["apigw", "nginx", "haproxy"]),
    "c1024": ("/small", 1024, "", ["apigw", "nginx", "haproxy"]),
    "policy": ("/small", 64, "", ["apigw", "apigw-policy"]),
    "jwt": ("/small", 64, 'wrk.headers["Authorization"] = "Bearer %s"\n' % jwt_token(), ["apigw", "apigw-jwt"]),
    "observe": ("/small", 64, "", ["apigw", "apigw-observed"]),
    "cache": ("/small", 64, "", ["apigw", "apigw-cache"]),
}

ORIGIN_CONF = """worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    client_max_body_size 4m;
    client_body_buffer_size 2m;
    # `return` would answer before the body is in; a proxied location reads it
    # all first (into memory: the buffer above), then answers from the sink.
    server {{
        listen {host}:{port} backlog=4096;
        location = /small {{ default_type text/plain; return 200 "hello, world\\n"; }}
        location = /v1/traces {{ return 200 ""; }}  # the OTLP collector of `observe`: body discarded
        location = /upload {{ proxy_pass http://{host}:{sink_port}/stored; proxy_pass_request_body off; }}
    }}
    server {{
        listen {host}:{sink_port};
        location = /stored {{ default_type text/plain; return 200 "stored\\n"; }}
    }}
}}
"""


# wrk's end-of-run summary as one JSON line (latencies in microseconds).
WRK_REPORT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCHJSON {"requests":%d,"duration_us":%d,"err_connect":%d,"err_read":%d,' ..
    '"err_write":%d,"err_status":%d,"err_timeout":%d,"lat_p50_us":%d,"lat_p99_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def apigw_origin_config(port):
    """For --smoke: apigw answering /small itself, so no nginx is needed."""
    return json.dumps({"workers": 1, "listeners": [{"name": "origin", "address": "%s:%d" % (HOST, port)}],
                       "limits": {"idle_timeout_ms": 300000},
                       "routes": [{"name": "small", "match": {"path": "/small"},
                                   "respond": {"status": 200, "body": "hello, world\n"}},
                                  {"name": "traces", "match": {"path": "/v1/traces"},
                                   "respond": {"status": 200, "body": ""}}]})


def apigw_config(port, origin_port, stack, access_log=None):
    """stack: None (bare), "policy", "jwt", "observe" or "cache"."""
    route = {"name": "all", "match": {"path_prefix": "/"}, "upstream": "origin"}
    config = {"workers": 1, "listeners": [{"name": "bench", "address": "%s:%d" % (HOST, port)}],
              "limits": {"idle_timeout_ms": 300000, "max_body_bytes": 4 << 20, "max_connections": 20000},
              "upstreams": [{"name": "origin", "targets": [{"address": "%s:%d" % (HOST, origin_port)}],
                             "max_connections_per_target": 1024, "timeouts": {"idle_ms": 300000}}],
              "routes": [route]}
    if stack == "jwt":
        config["policies"] = [
            {"name": "auth", "type": "jwt", "keys": [{"kid": "bench", "alg": "HS256", "secret": JWT_SECRET.decode()}],
             "issuer": "https://id.example", "audience": "api"},
            {"name": "request-id", "type": "request_id"},
            {"name": "stamp", "type": "headers", "request": {"set": {"x-scopes-checked": "yes"}},
             "response": {"set": {"x-gateway": "apigw"}}},
        ]
        route["policies"] = ["auth", "request-id", "stamp"]
    elif stack == "policy":
        # The stack of issue 9 that exists today (jwt joins when it lands), with the access log.
        config["policies"] = [
            {"name": "request-id", "type": "request_id"},
            {"name": "per-ip", "type": "rate_limit", "key": "ip", "limit": 1000000000, "window_ms": 1000},
            {"name": "stamp", "type": "headers", "response": {"set": {"x-gateway": "apigw"}}},
        ]
        route["policies"] = ["request-id", "per-ip", "stamp"]
        config["telemetry"] = {"access_log": {"path": access_log}}
    elif stack == "observe":
        config["admin"] = {"address": "%s:%d" % (HOST, free_port())}
        config["telemetry"] = {
            "access_log": {"path": access_log},
            "tracing": {"sample_ratio": 0.1, "otlp_endpoint": "http://%s:%d/v1/traces" % (HOST, origin_port)}}
    elif stack == "cache":
        config["policies"] = [{"name": "cache", "type": "cache", "ttl_ms": 3600000}]
        route["policies"] = ["cache"]
    return json.dumps(config)


def render(template, values):
    with open(template) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("@%s@" % k, str(v))
    return text


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_ready(port, path="/small", timeout=20, headers=""):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1) as s:
                s.sendall(b"GET %s HTTP/1.1\r\nHost: b\r\n%sConnection: close\r\n\r\n" % (path.encode(), headers.encode()))
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("port %d never answered 200" % port)


class Processes:
    """Everything started here, each in its own process group, stopped at exit."""

    def __init__(self):
        self.procs = []

    def start(self, name, argv, cpu, work):
        log = open(os.path.join(work, name + ".log"), "w")
        p = subprocess.Popen(["taskset", "-c", cpu] + argv, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_targets(args, procs, work, origin_port):
    """name -> (port, pid of the serving process)."""
    targets = {}
    for name in sorted({t for s in args.scenarios for t in SCENARIOS[s][3]}):
        port = free_port()
        tdir = os.path.join(work, name)
        os.makedirs(os.path.join(tdir, "tmp"))
        os.chmod(os.path.join(tdir, "tmp"), 0o777)
        if name.startswith("apigw"):
            conf = os.path.join(tdir, "apigw.json")
            with open(conf, "w") as f:
                stack = {"apigw-policy": "policy", "apigw-jwt": "jwt", "apigw-observed": "observe",
                         "apigw-cache": "cache"}.get(name)
                f.write(apigw_config(port, origin_port, stack, os.path.join(tdir, "access.log")))
            p = procs.start(name, [args.bin, "run", "--config", conf], PROXY_CPU, work)
        else:
            template = {"nginx": "nginx.conf.tmpl", "haproxy": "haproxy.cfg.tmpl"}[name]
            conf = os.path.join(tdir, template.replace(".tmpl", ""))
            with open(conf, "w") as f:
                f.write(render(os.path.join(HARNESS, "templates", template),
                               {"T_DIR": tdir, "LISTEN_HOST": HOST, "LISTEN_PORT": port,
                                "BACKEND_HOST": HOST, "BACKEND_PORT": origin_port}))
            argv = (["nginx", "-p", tdir + "/", "-e", tdir + "/error.log", "-c", conf] if name == "nginx"
                    else ["haproxy", "-db", "-f", conf])
            p = procs.start(name, argv, PROXY_CPU, work)
        wait_ready(port, headers="Authorization: Bearer %s\r\n" % jwt_token() if name == "apigw-jwt" else "")
        # nginx's worker (not its master) does the work: measure the group.
        targets[name] = (port, p.pid)
    return targets


def group_cpu_seconds(pid):
    """CPU of a process and its children (nginx master + worker)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(entry) == pid or int(fields[2]) == pid or int(fields[4]) == pid:  # ppid or pgid
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError):
            pass
    return total


def run_wrk(port, scenario, duration, work):
    path, conns, setup, _ = SCENARIOS[scenario]
    script = os.path.join(work, "wrk-%s.lua" % scenario)
    with open(script, "w") as f:
        f.write(setup + WRK_REPORT)
    out = subprocess.run(["timeout", str(duration + 30), "taskset", "-c", LOAD_CPU, "wrk", "-t1", "-c%d" % conns,
                          "-d%ds" % duration, "--latency", "-s", script, "http://%s:%d%s" % (HOST, port, path)],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("BENCHJSON "):
            return json.loads(line[len("BENCHJSON "):])
    raise RuntimeError("wrk printed no result:\n" + out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "release", "apigw"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--scenarios", default="upload,close,c1024,policy,observe")
    ap.add_argument("--out", default="")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    args.scenarios = args.scenarios.split(",")
    if args.smoke:
        args.rounds, args.duration, args.scenarios = 1, 1, ["policy", "jwt"]
    for tool in ("wrk", "taskset") if args.smoke else ("wrk", "nginx", "haproxy", "taskset"):
        if not shutil.which(tool):
            print("bench: %s is missing (../shared/bench/setup.sh installs it)" % tool, file=sys.stderr)
            return 2
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    work = tempfile.mkdtemp(prefix="apigw-scenarios-")
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user
    procs = Processes()
    samples = []
    try:
        origin_port = free_port()
        odir = os.path.join(work, "origin")
        os.makedirs(os.path.join(odir, "tmp"))
        os.chmod(os.path.join(odir, "tmp"), 0o777)
        if args.smoke:
            with open(os.path.join(odir, "apigw.json"), "w") as f:
                f.write(apigw_origin_config(origin_port))
            procs.start("origin", [args.bin, "run", "--config", os.path.join(odir, "apigw.json")], LOAD_CPU, work)
        else:
            with open(os.path.join(odir, "nginx.conf"), "w") as f:
                f.write(ORIGIN_CONF.format(dir=odir, host=HOST, port=origin_port, sink_port=free_port()))
            procs.start("origin", ["nginx", "-p", odir + "/", "-e", odir + "/error.log", "-c", odir + "/nginx.conf"],
                        LOAD_CPU, work)
        wait_ready(origin_port)
        targets = start_targets(args, procs, work, origin_port)
        for rnd in range(args.rounds):
            for scenario in args.scenarios:
                names = SCENARIOS[scenario][3]
                order = names[rnd % len(names):] + names[:rnd % len(names)]
                for name in order:
                    port, pid = targets[name]
                    cpu0, t0 = group_cpu_seconds(pid), time.time()
                    r = run_wrk(port, scenario, args.duration, work)
                    cpu, wall = group_cpu_seconds(pid) - cpu0, time.time() - t0
                    rps = r["requests"] / (r["duration_us"] / 1e6)
                    share = cpu / wall if wall else 0
                    errors = sum(r[k] for k in r if k.startswith("err_"))
                    sample = {"round": rnd, "scenario": scenario, "target": name, "rps": round(rps),
                              "proxy_cpu_pct": round(100 * share, 1),
                              "rps_per_core": round(rps / share) if share else None,
                              "p99_ms": r["lat_p99_us"] / 1000, "errors": errors}
                    sample["error_kinds"] = {k: r[k] for k in r if k.startswith("err_") and r[k]}
                    samples.append(sample)
                    print(json.dumps(sample), file=sys.stderr)
    finally:
        procs.stop_all()
    if args.out:
        with open(args.out, "a") as f:
            for s in samples:
                f.write(json.dumps(s) + "\n")
    print_table(args.scenarios, samples)
    failed = [s for s in samples if s["errors"] or not s["rps"]]
    if os.environ.get("APIGW_BENCH_KEEP"):
        print("logs and configs kept in " + work, file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        print("bench: samples with errors or no answers: %s" % failed, file=sys.stderr)
    return 1 if failed else 0


def print_table(scenarios, samples):
    print("| scenario | target | rps | rps per core | proxy CPU % | p99 ms | errors | per core × baseline |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for scenario in scenarios:
        medians = {}
        for name in SCENARIOS[scenario][3]:
            mine = [s for s in samples if s["scenario"] == scenario and s["target"] == name]
            if not mine:
                continue
            med = {k: statistics.median(s[k] for s in mine if s[k] is not None)
                   for k in ("rps", "rps_per_core", "proxy_cpu_pct", "p99_ms")}
            med["errors"] = sum(s["errors"] for s in mine)
            medians[name] = med
        base = medians.get("nginx") or medians.get("apigw")
        for name, m in medians.items():
            ratio = m["rps_per_core"] / base["rps_per_core"] if base and base["rps_per_core"] else 0
            print("| %s | %s | %s | %s | %.0f | %.2f | %d | %.2f |" % (
                scenario, name, f"{m['rps']:,.0f}", f"{m['rps_per_core']:,.0f}", m["proxy_cpu_pct"],
                m["p99_ms"], m["errors"], ratio))


if __name__ == "__main__":
    sys.exit(main())
