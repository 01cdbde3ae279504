"""The cache policy on the binary: the JSON config, x-cache on a proxied
route, the admin purge call (token, bad bodies) and
apigw_cache_requests_total. Real origin (http.server), real clients."""

import json
import os
import tempfile
import unittest

from harness import Gateway, JsonOrigin, base_config, metric_value, run_cli, simple_get
from test_admin_api import TOKEN, call


def config_for(origin):
    config = base_config(
        upstreams=[{"name": "pool", "targets": [{"address": origin}]}],
        policies=[{"name": "c", "type": "cache", "ttl_ms": 600000, "key_headers": ["x-tenant"]}],
        routes=[{"name": "api", "match": {"path_prefix": "/"}, "upstream": "pool", "policies": ["c"]}])
    config["admin"]["token"] = TOKEN
    return config


class CacheTest(unittest.TestCase):
    def setUp(self):
        self.origin = JsonOrigin("o")
        self.gw = Gateway(config_for(self.origin.address), expect=["public", "admin"])
        self.gw.start()
        self.admin = self.gw.admin_port

    def tearDown(self):
        self.gw.close()
        self.origin.stop()

    def x_cache(self, path):
        r = simple_get(self.gw.port, path)
        self.assertEqual(r.status, 200, r)
        return r.header("x-cache")

    def test_miss_then_hit_and_the_metric(self):
        self.assertEqual(self.x_cache("/v1/a"), "MISS")
        r = simple_get(self.gw.port, "/v1/a")
        self.assertEqual(r.header("x-cache"), "HIT")
        self.assertEqual(r.header("age"), "0")
        self.assertEqual(json.loads(r.body)["path"], "/v1/a")
        self.assertEqual(self.origin.requests, 1)
        conn_post = call(self.gw.port, "POST", "/v1/a", b"x", token=None)[0]
        self.assertIsNone(conn_post.getheader("x-cache"))
        self.assertEqual(metric_value(self.gw, 'apigw_cache_requests_total{route="api",result="hit"}'), 1)
        self.assertEqual(metric_value(self.gw, 'apigw_cache_requests_total{route="api",result="miss"}'), 1)
        self.assertEqual(metric_value(self.gw, 'apigw_cache_requests_total{route="api",result="bypass"}'), 1)
        self.assertEqual(metric_value(self.gw, 'apigw_cache_requests_total{route="api",result="coalesced"}'), 0)

    def test_purge_by_prefix_through_the_admin_api(self):
        for path in ("/v1/a", "/v1/b", "/v2/a"):
            self.assertEqual(self.x_cache(path), "MISS")
        r, payload = call(self.admin, "POST", "/cache/purge", {"prefix": "/v1/"})
        self.assertEqual((r.status, json.loads(payload)), (200, {"purged": 2}), payload)
        self.assertEqual(self.x_cache("/v1/a"), "MISS")
        self.assertEqual(self.x_cache("/v2/a"), "HIT")
        r, payload = call(self.admin, "POST", "/cache/purge", {"prefix": "/"})
        self.assertEqual(json.loads(payload), {"purged": 2})
        self.assertEqual(self.x_cache("/v2/a"), "MISS")

    def test_purge_needs_the_token(self):
        self.assertEqual(self.x_cache("/v1/a"), "MISS")
        for token in (None, "wrong"):
            r, payload = call(self.admin, "POST", "/cache/purge", {"prefix": "/"}, token=token)
            self.assertEqual(r.status, 401, payload)
        self.assertEqual(self.x_cache("/v1/a"), "HIT")  # nothing was purged

    def test_purge_refuses_bad_bodies(self):
        cases = [(b"not json", ""), ({"prefix": 5}, "/prefix"), ({}, "/prefix"), ({"prefix": "v1"}, "/prefix"),
                 ({"prefix": "/", "all": True}, "/all"), ([1], "")]
        for body, pointer in cases:
            r, payload = call(self.admin, "POST", "/cache/purge", body)
            self.assertEqual(r.status, 400, (body, payload))
            self.assertEqual(json.loads(payload)["errors"][0]["pointer"], pointer, payload)
        self.assertTrue(self.gw.alive())


class CacheConfigTest(unittest.TestCase):
    def test_validate_reports_cache_option_errors(self):
        config = base_config(policies=[{"name": "c", "type": "cache", "methods": ["POST"], "max_entris": 1}],
                             routes=[{"name": "r", "match": {"path": "/"}, "handler": "echo", "policies": ["c"]}])
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(config, f)
        try:
            r = run_cli(["validate", "--config", f.name])
        finally:
            os.unlink(f.name)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        out = r.stdout + r.stderr
        self.assertIn("/policies/0/methods/0: \"POST\": only GET and HEAD answers are cached", out)
        self.assertIn("/policies/0/max_entris: unknown key \"max_entris\" (did you mean \"max_entries\"?)", out)


if __name__ == "__main__":
    unittest.main()
