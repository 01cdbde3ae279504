"""The access log of the binary: one JSON line per request with SPEC.md's
fields, written to a file, reopened on SIGUSR1 for log rotation; a bad path
is a config error. Real clients (http.client, raw sockets), a real origin."""

import http.client
import json
import os
import signal
import tempfile
import time
import unittest
import urllib.request

from harness import HOST, Gateway, base_config, connect, run_cli
from test_proxy import _Origin

FIELDS = {"ts", "request_id", "trace_id", "route", "method", "path", "status", "bytes_in", "bytes_out",
          "duration_ms", "upstream_ms", "upstream_target", "consumer", "client_ip", "error"}


def read_lines(path, count, timeout=5.0):
    """The first `count` lines of the log once they are there (the writer is asynchronous)."""
    deadline = time.time() + timeout
    while True:
        lines = open(path).read().splitlines() if os.path.exists(path) else []
        if len(lines) >= count or time.time() > deadline:
            return [json.loads(line) for line in lines]
        time.sleep(0.02)


class AccessLogTest(unittest.TestCase):
    def setUp(self):
        self.origin = _Origin("o")
        self.dir = tempfile.mkdtemp(prefix="apigw-access-log-")
        self.path = os.path.join(self.dir, "access.log")
        config = base_config(
            upstreams=[{"name": "o", "targets": [{"address": self.origin.address}]}],
            policies=[{"name": "rid", "type": "request_id"}],
            routes=[{"name": "proxied", "match": {"path_prefix": "/api"}, "upstream": "o", "policies": ["rid"]},
                    {"name": "hello", "match": {"path": "/hello"}, "respond": {"status": 200, "body": "hi\n"}}],
            telemetry={"access_log": {"path": self.path, "format": "json"}})
        self.gw = Gateway(config)
        self.gw.start()

    def tearDown(self):
        self.gw.close()
        self.origin.stop()

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection(HOST, self.gw.port, timeout=5)
        conn.request(method, path, body=body)
        r = conn.getresponse()
        r.read()
        conn.close()
        return r

    def test_every_request_has_a_line_with_the_spec_fields(self):
        self.assertEqual(self.request("POST", "/api/items?x=1", body=b"0123456789").status, 200)
        with connect(self.gw.port) as s:  # raw, to know the exact size of the answer
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            raw = b""
            while chunk := s.recv(4096):
                raw += chunk
        self.assertTrue(raw.startswith(b"HTTP/1.1 200"), raw)
        self.assertEqual(self.request("GET", "/nowhere").status, 404)
        with connect(self.gw.port) as s:  # malformed: answered 400 and logged too
            s.sendall(b"GET /bad HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 400"))
        lines = read_lines(self.path, 4)
        self.assertEqual(len(lines), 4, lines)
        for line in lines:
            self.assertEqual(set(line), FIELDS)
            self.assertRegex(line["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertEqual(line["client_ip"], "127.0.0.1")
        proxied, hello, missing, bad = lines
        self.assertEqual((proxied["route"], proxied["method"], proxied["path"], proxied["status"]),
                         ("proxied", "POST", "/api/items", 200))
        self.assertEqual(proxied["upstream_target"], self.origin.address)
        self.assertGreaterEqual(proxied["upstream_ms"], 0)
        self.assertGreaterEqual(proxied["duration_ms"], proxied["upstream_ms"])
        self.assertTrue(proxied["request_id"])
        self.assertGreater(proxied["bytes_in"], 10)  # head and the 10-byte body
        self.assertGreater(proxied["bytes_out"], 0)
        self.assertEqual((hello["route"], hello["status"], hello["upstream_ms"], hello["error"]),
                         ("hello", 200, None, ""))
        self.assertEqual(hello["bytes_out"], len(raw))
        self.assertEqual((missing["status"], missing["error"]), (404, "route_not_found"))
        self.assertEqual((bad["status"], bad["error"]), (400, "bad_request"))

    def test_sigusr1_reopens_the_file_after_rotation(self):
        self.request("GET", "/hello")
        self.assertEqual(len(read_lines(self.path, 1)), 1)
        os.rename(self.path, self.path + ".1")
        self.gw.send_signal(signal.SIGUSR1)
        # The reopen happens before the writer's next write: send until a line lands in the new file.
        deadline = time.time() + 5
        while not os.path.exists(self.path) and time.time() < deadline:
            self.request("GET", "/hello")
            time.sleep(0.02)
        self.assertTrue(os.path.exists(self.path), "no new file after SIGUSR1")
        self.assertGreaterEqual(len(read_lines(self.path + ".1", 1)), 1)
        metrics = urllib.request.urlopen(f"http://{HOST}:{self.gw.admin_port}/metrics", timeout=5).read().decode()
        self.assertRegex(metrics, r'apigw_access_log_lines_total\{result="written"\} [1-9]')
        self.assertIn('apigw_access_log_lines_total{result="dropped"} 0', metrics)


class AccessLogConfigTest(unittest.TestCase):
    def write(self, config):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(config, f)
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_unwritable_path_fails_at_start(self):
        path = self.write(base_config(telemetry={"access_log": {"path": "/nonexistent-dir/a.log"}}))
        r = run_cli(["run", "--config", path])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cannot open access log", r.stdout + r.stderr)

    def test_bad_sample_ratio_names_the_key(self):
        path = self.write(base_config(telemetry={"access_log": {"sample_ratio": 2, "format": "text"}}))
        r = run_cli(["validate", "--config", path])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"(?m)^/telemetry/access_log/sample_ratio: must be 0\.\.1")
        self.assertRegex(r.stdout, r"(?m)^/telemetry/access_log/format: ")


if __name__ == "__main__":
    unittest.main()
