"""A real redis-server for system tests: started on a free loopback port
with no persistence, stopped (and reaped) always. Stdlib only."""

import os
import shutil
import socket
import subprocess
import tempfile
import threading

HOST = "127.0.0.1"


def gateway_has_redis():
    """False when the apigw binary was built with APIGW_WITH_REDIS=OFF."""
    import json
    from harness import run_cli
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "config.json")
        with open(path, "w") as f:
            json.dump({"listeners": [{"address": HOST + ":0"}], "redis": {"address": HOST + ":6379"}}, f)
        result = run_cli(["validate", "--config", path])
    return "APIGW_WITH_REDIS=OFF" not in result.stdout + result.stderr


def redis_available():
    return shutil.which("redis-server") is not None and gateway_has_redis()


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.proc = None
        self._dir = tempfile.mkdtemp(prefix="apigw-redis-")

    @property
    def address(self):
        return "%s:%d" % (HOST, self.port)

    def start(self, timeout=10.0):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--dir", self._dir],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ready = threading.Event()

        def watch():
            for line in self.proc.stdout:
                if "Ready to accept connections" in line:
                    ready.set()
        threading.Thread(target=watch, daemon=True).start()
        if not ready.wait(timeout):
            self.stop()
            raise AssertionError("redis-server did not become ready on port %d" % self.port)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def command(self, *args):
        """One command over RESP; returns the first reply line (decoded)."""
        payload = "*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a.encode()), a) for a in args)
        with socket.create_connection((HOST, self.port), timeout=5) as s:
            s.sendall(payload.encode())
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.split(b"\r\n")[0].decode()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
