"""Requests per second of a trivial in-process handler written in C, Python
and Go (through the C ABI and the bindings) next to the built-in `respond`
target, side by side in one run. Every subject is the matching example
program (examples/c/hello.c, examples/python/hello.py, examples/go/hello)
or `apigw run` with a respond route; each answers GET /hello/world with
"hello, world\\n" on one worker. Prints a table; asserts nothing.

    cmake --preset release && cmake --build build/release
    python3 bench/handlers.py [--duration 5] [--connections 32] [--rounds 3]
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "release")
LIB = os.path.join(BUILD, "src", "libapigw.so")

RESPOND_CONFIG = {
    "listeners": [{"name": "public", "address": "127.0.0.1:0"}],
    "routes": [{"name": "hello", "match": {"path": "/hello/{name}"},
                "respond": {"status": 200, "headers": {"content-type": "text/plain"}, "body": "hello, {name}\n"}}],
}


def subjects(tmp):
    go_hello = os.path.join(tmp, "go_hello")
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOCACHE=os.path.join(BUILD, "go", "cache"),
               GOPATH=os.path.join(BUILD, "go", "path"), CGO_CFLAGS="-I" + os.path.join(ROOT, "include"),
               CGO_LDFLAGS="-L" + os.path.dirname(LIB))
    subprocess.run(["go", "build", "-o", go_hello, "."], cwd=os.path.join(ROOT, "examples", "go", "hello"),
                   env=env, check=True)
    config = os.path.join(tmp, "respond.json")
    with open(config, "w") as f:
        json.dump(RESPOND_CONFIG, f)
    return [
        ("respond (built-in)", [os.path.join(BUILD, "apigw"), "run", "--config", config]),
        ("C handler", [os.path.join(BUILD, "examples", "example_c_hello"), "127.0.0.1:0"]),
        ("Go handler", [go_hello, "127.0.0.1:0"]),
        ("Python handler", [sys.executable, os.path.join(ROOT, "examples", "python", "hello.py"), "127.0.0.1:0"]),
    ]


def measure(command, args):
    """Starts the subject pinned to CPU 0, runs wrk pinned to CPU 1, returns requests/s."""
    env = dict(os.environ, APIGW_LIBRARY=LIB, LD_LIBRARY_PATH=os.path.dirname(LIB),
               PYTHONPATH=os.path.join(ROOT, "bindings", "python"))
    proc = subprocess.Popen(["taskset", "-c", "0"] + command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        address = None
        for line in proc.stdout:
            m = re.search(r"http://([0-9.]+:[0-9]+)", line)
            if m:
                address = m.group(1)
                break
        if not address:
            raise RuntimeError("%s printed no address" % command)
        out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c%d" % args.connections, "-d%ds" % args.duration,
                              "http://%s/hello/world" % address], capture_output=True, text=True, check=True).stdout
        if "Non-2xx" in out or "Socket errors" in out:
            raise RuntimeError("errors during the run:\n" + out)
        return float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="rounds, subjects interleaved; the median is shown")
    args = parser.parse_args()
    for tool in ("wrk", "taskset", "go"):
        if not shutil.which(tool):
            sys.exit("bench: %s is not installed" % tool)
    with tempfile.TemporaryDirectory() as tmp:
        todo = subjects(tmp)
        results = {name: [] for name, _ in todo}
        for _ in range(args.rounds):
            for name, command in todo:
                results[name].append(measure(command, args))
    base = statistics.median(results[todo[0][0]])
    print("wrk -t1 -c%d -d%ds GET /hello/world, 1 worker on CPU 0, wrk on CPU 1, median of %d rounds"
          % (args.connections, args.duration, args.rounds))
    print("%-20s %12s %8s   %s" % ("subject", "requests/s", "ratio", "rounds"))
    for name, _ in todo:
        r = results[name]
        print("%-20s %12.0f %7.2fx   %s" % (name, statistics.median(r), statistics.median(r) / base,
                                           " ".join("%.0f" % x for x in r)))


if __name__ == "__main__":
    main()
