"""Access policies through the binary and its config file: consumers with
keys from the environment and a file, api_key + acl + cors + ip_filter +
size_limit + headers in front of a real origin (Python's http.server)."""

import json
import os
import shutil
import subprocess
import unittest

from harness import HOST, Gateway, JsonOrigin, OriginGatewayTestCase, base_config, connect, metric_value, ResponseReader


ORIGIN = "https://app.example.com"


class AccessPoliciesTest(OriginGatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.origin = JsonOrigin()
        config = base_config(
            upstreams=[{"name": "app", "targets": [{"address": cls.origin.address}]}],
            consumers=[
                {"id": "acme", "tags": ["gold"], "api_keys": ["k-acme", {"key_env": "APIGW_SYSTEST_KEY"}]},
                {"id": "bob", "tags": ["silver"], "api_keys": [{"key_file": "bob.key"}]},
            ],
            policies=[
                {"name": "local", "type": "ip_filter", "allow": ["127.0.0.0/8"], "deny": ["203.0.113.0/24"],
                 "trusted_proxies": ["127.0.0.1/32"]},
                {"name": "web", "type": "cors", "origins": [ORIGIN, "https://*.example.org"],
                 "methods": ["GET", "POST"], "headers": ["content-type", "x-api-key"],
                 "expose_headers": ["x-consumer"], "credentials": True, "max_age_s": 600},
                {"name": "key", "type": "api_key", "hide_credentials": True},
                {"name": "gold", "type": "acl", "allow": {"tags": ["gold"]}},
                {"name": "small", "type": "size_limit", "max_body_bytes": 16},
            ],
            routes=[
                {"name": "orders", "match": {"path": "/v1/orders/{id}", "methods": ["GET", "POST"]},
                 "policies": ["local", "web", "key", "gold", "small",
                              {"type": "headers", "request": {"set": {"x-consumer": "{consumer}"}},
                               "response": {"set": {"x-consumer": "{consumer}"}}}],
                 "upstream": "app"},
                {"name": "public", "match": {"path": "/public"}, "policies": ["local"], "upstream": "app"},
            ])
        gw = Gateway(config, env=dict(os.environ, APIGW_SYSTEST_KEY="k-acme-env"))

        def write_key_file():  # key_file is relative to the config file's directory
            with open(os.path.join(os.path.dirname(gw.config_path), "bob.key"), "w") as f:
                f.write("k-bob-file\n")
        cls.start_gateway(gw, write_key_file)

    def test_api_key_names_the_consumer_and_is_hidden_from_the_origin(self):
        r, data = self.request("GET", "/v1/orders/7", {"x-api-key": "k-acme-env"})
        self.assertEqual(r.status, 200, data)
        seen = json.loads(data)
        self.assertEqual(seen["headers"]["x-consumer"], "acme")
        self.assertNotIn("x-api-key", seen["headers"])
        self.assertEqual(r.getheader("x-consumer"), "acme")

    def test_missing_and_unknown_keys_are_401_json_and_never_reach_the_origin(self):
        before = self.origin.requests
        for headers in ({}, {"x-api-key": "k-nope"}):
            r, data = self.request("GET", "/v1/orders/7", headers)
            self.assertEqual(r.status, 401)
            self.assertEqual(r.getheader("content-type"), "application/json")
            self.assertEqual(json.loads(data)["error"]["code"], "unauthorized")
        self.assertEqual(self.origin.requests, before)

    def test_refused_keys_are_counted_by_reason_in_metrics(self):
        def failures(reason):
            return metric_value(self.gw, 'apigw_auth_failures_total{policy="key",reason="%s"}' % reason) or 0
        missing, unknown = failures("missing"), failures("unknown_key")
        self.assertEqual(self.request("GET", "/v1/orders/7")[0].status, 401)
        for key in ("k-nope", "k-nope-2"):
            self.assertEqual(self.request("GET", "/v1/orders/7", {"x-api-key": key})[0].status, 401)
        self.assertEqual(self.request("GET", "/v1/orders/7", {"x-api-key": "k-acme"})[0].status, 200)
        self.assertEqual(failures("missing"), missing + 1)
        self.assertEqual(failures("unknown_key"), unknown + 2)

    def test_acl_refuses_a_consumer_without_the_tag(self):
        r, data = self.request("GET", "/v1/orders/7", {"x-api-key": "k-bob-file"})  # key from a file
        self.assertEqual(r.status, 403)
        self.assertEqual(json.loads(data)["error"]["code"], "forbidden")

    def test_cors_preflight_is_answered_by_the_gateway(self):
        before = self.origin.requests
        r, data = self.request("OPTIONS", "/v1/orders/7", {
            "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-api-key"})
        self.assertEqual(r.status, 204)
        self.assertEqual(data, b"")
        self.assertEqual(r.getheader("access-control-allow-origin"), ORIGIN)
        self.assertEqual(r.getheader("access-control-allow-methods"), "GET, POST")
        self.assertEqual(r.getheader("access-control-allow-credentials"), "true")
        self.assertEqual(r.getheader("access-control-max-age"), "600")
        self.assertEqual(r.getheader("vary"), "Origin")
        self.assertEqual(self.origin.requests, before)

    def test_cors_headers_on_actual_and_error_answers_only_for_allowed_origins(self):
        r, _ = self.request("GET", "/v1/orders/1", {"Origin": "https://shop.example.org", "x-api-key": "k-acme"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("access-control-allow-origin"), "https://shop.example.org")
        self.assertEqual(r.getheader("access-control-expose-headers"), "x-consumer")
        r, _ = self.request("GET", "/v1/orders/1", {"Origin": ORIGIN})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.getheader("access-control-allow-origin"), ORIGIN)
        r, _ = self.request("GET", "/v1/orders/1", {"Origin": "https://evil.test", "x-api-key": "k-acme"})
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.getheader("access-control-allow-origin"))
        self.assertEqual(r.getheader("vary"), "Origin")

    def test_ip_filter_uses_forwarded_for_behind_a_trusted_proxy(self):
        r, _ = self.request("GET", "/public")
        self.assertEqual(r.status, 200)
        r, data = self.request("GET", "/public", {"X-Forwarded-For": "203.0.113.9"})
        self.assertEqual(r.status, 403)
        self.assertEqual(json.loads(data)["error"]["code"], "forbidden")
        r, _ = self.request("GET", "/public", {"X-Forwarded-For": "203.0.113.9, 127.0.0.5"})
        self.assertEqual(r.status, 200)  # 127.0.0.5 is not a trusted hop: it is the client

    def test_size_limit_content_length_and_chunked(self):
        ok, data = self.request("POST", "/v1/orders/1", {"x-api-key": "k-acme"}, body=b"x" * 16)
        self.assertEqual(ok.status, 200)
        self.assertEqual(json.loads(data)["body"], "x" * 16)
        r, data = self.request("POST", "/v1/orders/1", {"x-api-key": "k-acme"}, body=b"x" * 17)
        self.assertEqual(r.status, 413)
        self.assertEqual(json.loads(data)["error"]["code"], "payload_too_large")
        # Chunked: the gateway answers 413 once the count passes 16 and closes.
        # One send: this origin answers without reading a chunked body, and an
        # answer racing a later send would end in a reset that loses it.
        s = connect(self.gw.port)
        try:
            s.sendall(b"POST /v1/orders/1 HTTP/1.1\r\nHost: x\r\nx-api-key: k-acme\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n9\r\n012345678\r\n")
            reader = ResponseReader(s)
            res = reader.read_response()
            self.assertEqual(res.status, 413)
        finally:
            s.close()

    @unittest.skipUnless(shutil.which("curl"), "curl not installed")
    def test_curl_with_the_key_in_a_header(self):
        out = subprocess.run(["curl", "-s", "--max-time", "5", "-H", "x-api-key: k-acme",
                              f"http://{HOST}:{self.gw.port}/v1/orders/3"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(json.loads(out.stdout)["headers"]["x-consumer"], "acme")


if __name__ == "__main__":
    unittest.main()
