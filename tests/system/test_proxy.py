"""The binary as a reverse proxy: a config with upstreams, real origins
(Python's http.server on loopback), real clients (http.client, curl)."""

import http.client
import json
import shutil
import socket
import subprocess
import unittest

from harness import HOST, Gateway, JsonOrigin, base_config, run_cli


_Origin = JsonOrigin  # other test modules import it under this name


_REFUSED = []  # bound, never listening: the ports stay taken for the whole run


def dead_address():
    """A loopback address where connections are refused. The port stays bound
    (so a gateway listening on port 0 cannot be given it) but nothing listens."""
    s = socket.socket()
    s.bind((HOST, 0))
    _REFUSED.append(s)
    return f"{HOST}:{s.getsockname()[1]}"


class ProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a, cls.b = _Origin("a"), _Origin("b")
        config = base_config(
            upstreams=[
                {"name": "pool", "targets": [{"address": cls.a.address}, {"address": cls.b.address}],
                 "balance": "round_robin"},
                {"name": "flaky", "targets": [{"address": dead_address()}, {"address": cls.a.address}],
                 "retries": {"attempts": 2, "on": ["connect_failure"]}},
                {"name": "down", "targets": [{"address": dead_address()}]},
            ],
            routes=[
                {"name": "users", "match": {"path": "/v1/users/{id}"}, "upstream": "pool",
                 "rewrite": {"path": "/users/{id}"}},
                {"name": "flaky", "match": {"path_prefix": "/flaky"}, "upstream": "flaky"},
                {"name": "down", "match": {"path_prefix": "/down"}, "upstream": "down"},
            ])
        cls.gw = Gateway(config)
        cls.gw.start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()
        cls.a.stop()
        cls.b.stop()

    def get(self, path, headers=None):
        conn = http.client.HTTPConnection(HOST, self.gw.port, timeout=5)
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        conn.close()
        return r.status, r, body

    def test_forwards_with_rewrite_and_forwarding_headers(self):
        status, _, body = self.get("/v1/users/7?full=1", {"Host": "api.example.com", "X-Trace": "t1"})
        self.assertEqual(status, 200)
        seen = json.loads(body)
        self.assertEqual(seen["path"], "/users/7?full=1")
        self.assertEqual(seen["headers"]["host"], "api.example.com")
        self.assertEqual(seen["headers"]["x-trace"], "t1")
        self.assertEqual(seen["headers"]["x-forwarded-for"], "127.0.0.1")
        self.assertEqual(seen["headers"]["via"], "1.1 apigw")

    def test_round_robin_alternates(self):
        origins = [json.loads(self.get("/v1/users/1")[2])["origin"] for _ in range(6)]
        self.assertEqual(sorted(origins), ["a", "a", "a", "b", "b", "b"])

    def test_dead_target_is_retried(self):
        for _ in range(4):
            status, _, body = self.get("/flaky/x")
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)["origin"], "a")

    def test_unreachable_upstream_is_502_json(self):
        status, r, body = self.get("/down")
        self.assertEqual(status, 502)
        self.assertEqual(r.getheader("content-type"), "application/json")
        self.assertEqual(json.loads(body)["error"]["code"], "upstream_connect_failed")

    @unittest.skipUnless(shutil.which("curl"), "curl not installed")
    def test_curl_post(self):
        out = subprocess.run(["curl", "-s", "--max-time", "5", "-d", "hello",
                              f"http://{HOST}:{self.gw.port}/v1/users/9"],
                             capture_output=True, text=True, timeout=10)
        seen = json.loads(out.stdout)
        self.assertEqual(seen["body"], "hello")
        self.assertEqual(seen["path"], "/users/9")


class ProxyConfigTest(unittest.TestCase):
    def test_unknown_upstream_names_the_typo(self):
        import os
        import tempfile
        config = base_config(
            upstreams=[{"name": "users", "targets": [{"address": "127.0.0.1:9001"}]}],
            routes=[{"name": "a", "match": {"path": "/a"}, "respond": {}},
                    {"name": "b", "match": {"path": "/b"}, "respond": {}},
                    {"name": "c", "match": {"path": "/c"}, "upstream": "usres"}])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "c.json")
            with open(path, "w") as f:
                json.dump(config, f)
            r = run_cli(["validate", "--config", path])
        self.assertEqual(r.returncode, 1)
        self.assertIn('/routes/2/upstream: unknown upstream "usres" (did you mean "users"?)', r.stdout)


if __name__ == "__main__":
    unittest.main()
