#!/usr/bin/env python3
"""Reloads under load: N PUT /config while wrk drives a proxied GET.

apigw (one worker, CPU 1) proxies GET /small to an nginx origin (CPU 0, with
wrk); meanwhile this script PUTs N configs through the admin API, one after
the other, alternating two documents (a route's answer header differs) so
that every PUT builds and swaps a new snapshot. Reports reloads per second
achieved, the latency of one reload (median and p99 of the PUT round trips)
and wrk's figures for the same run: every answer must be a 2xx (non-2xx,
connect, read and timeout errors all 0). Figures only; never fails on timing.

usage: bench/reload_figures.py [--bin build/release/apigw] [--reloads 200] [--connections 64]
"""
import argparse, http.client, json, os, shutil, signal, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenarios  # noqa: E402  (the same origin, pinning and wrk report)

HOST = scenarios.HOST


def gateway_config(port, admin_port, origin_port, tag):
    return json.dumps({
        "workers": 1, "listeners": [{"name": "bench", "address": "%s:%d" % (HOST, port)}],
        "admin": {"address": "%s:%d" % (HOST, admin_port)},
        "limits": {"idle_timeout_ms": 300000},
        "upstreams": [{"name": "origin", "targets": [{"address": "%s:%d" % (HOST, origin_port)}],
                       "max_connections_per_target": 1024, "timeouts": {"idle_ms": 300000}}],
        "policies": [{"name": "tag", "type": "headers", "response": {"set": {"x-config": tag}}}],
        "routes": [{"name": "all", "match": {"path_prefix": "/"}, "upstream": "origin", "policies": ["tag"]}]})


def put_config(admin_port, body):
    conn = http.client.HTTPConnection(HOST, admin_port, timeout=30)
    t0 = time.perf_counter()
    conn.request("PUT", "/config", body=body, headers={"content-type": "application/json"})
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(scenarios.ROOT, "build", "release", "apigw"))
    ap.add_argument("--reloads", type=int, default=200)
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="apigw-reload-")
    os.chmod(work, 0o755)
    procs = scenarios.Processes()
    try:
        origin_port, port, admin_port = scenarios.free_port(), scenarios.free_port(), scenarios.free_port()
        odir = os.path.join(work, "origin")
        os.makedirs(os.path.join(odir, "tmp"))
        os.chmod(os.path.join(odir, "tmp"), 0o777)
        with open(os.path.join(odir, "nginx.conf"), "w") as f:
            f.write(scenarios.ORIGIN_CONF.format(dir=odir, host=HOST, port=origin_port,
                                                 sink_port=scenarios.free_port()))
        procs.start("origin", ["nginx", "-p", odir + "/", "-e", odir + "/error.log", "-c", odir + "/nginx.conf"],
                    scenarios.LOAD_CPU, work)
        scenarios.wait_ready(origin_port)
        docs = [gateway_config(port, admin_port, origin_port, tag) for tag in ("a", "b")]
        conf = os.path.join(work, "apigw.json")
        with open(conf, "w") as f:
            f.write(docs[0])
        procs.start("apigw", [args.bin, "run", "--config", conf], scenarios.PROXY_CPU, work)
        scenarios.wait_ready(port)

        # wrk runs until the reloads are done, then SIGINT ends it (it reports as at the end of -d).
        script = os.path.join(work, "wrk.lua")
        with open(script, "w") as f:
            f.write(scenarios.WRK_REPORT)
        started = time.time()
        wrk = subprocess.Popen(["taskset", "-c", scenarios.LOAD_CPU, "wrk", "-t1", "-c%d" % args.connections,
                                "-d600s", "--latency", "-s", script, "http://%s:%d/small" % (HOST, port)],
                               stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)  # wrk's connections are up before the first reload
        statuses, latencies = [], []
        t0 = time.perf_counter()
        for i in range(args.reloads):
            status, seconds = put_config(admin_port, docs[(i + 1) % 2])
            statuses.append(status)
            latencies.append(seconds)
        spent = time.perf_counter() - t0
        wrk.send_signal(signal.SIGINT)
        out = wrk.communicate(timeout=60)[0]
        result = next((json.loads(l[len("BENCHJSON "):]) for l in out.splitlines() if l.startswith("BENCHJSON ")), {})
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        wrk_errors = {k: v for k, v in result.items() if k.startswith("err_")}
        print(json.dumps({
            "reloads": args.reloads, "reloads_ok": statuses.count(200), "reloads_per_s": round(args.reloads / spent, 1),
            "reload_ms_p50": round(statistics.median(latencies) * 1000, 2), "reload_ms_p99": round(p99 * 1000, 2),
            "wrk_seconds": round(time.time() - started, 1), "requests": result.get("requests"),
            "rps": round(result["requests"] / (result["duration_us"] / 1e6)) if result else None,
            "p99_ms": result.get("lat_p99_us", 0) / 1000, "wrk_errors": wrk_errors}))
        return 0 if statuses.count(200) == args.reloads and not any(wrk_errors.values()) else 1
    finally:
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
