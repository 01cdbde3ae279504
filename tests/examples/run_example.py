"""Runs an example program on a free port, checks its answers, stops it.

    run_example.py [--check 'PATH STATUS TEXT [NAME=VALUE ...]'] ... -- COMMAND...

(each check is split like a shell line, so a header value may be quoted).

The example is started as COMMAND 127.0.0.1:0 and must print a line with
"http://ADDRESS/" first; TEXT ("-" for any) must appear in the body. Then
SIGTERM must make it exit 0 within the timeout.
"""
import argparse
import re
import shlex
import signal
import subprocess
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 60


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = [c for c in args.command if c != "--"]
    proc = subprocess.Popen(command + ["127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://([0-9.]+:[0-9]+)", line)
        if not match:
            sys.exit("no address in the first line: %r" % line)
        for spec in args.check:
            path, status, text, *headers = shlex.split(spec)
            req = urllib.request.Request("http://%s%s" % (match.group(1), path),
                                         headers=dict(h.split("=", 1) for h in headers))
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    got_status, body = r.status, r.read().decode()
            except urllib.error.HTTPError as e:
                got_status, body = e.code, e.read().decode()
            ok = got_status == int(status) and (text == "-" or text in body)
            print("%s %s -> %d %r" % ("ok  " if ok else "FAIL", spec, got_status, body[:200]))
            if not ok:
                sys.exit(1)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(TIMEOUT_S)
        if code != 0:
            sys.exit("the example exited with %d after SIGTERM" % code)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
