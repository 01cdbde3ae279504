"""json_body through the binary and its config file, in front of a real
origin (Python's http.server, which answers with JSON about the request):
request and response bodies rewritten, an overflow passed and counted in
GET /metrics, pointer errors reported by `apigw validate`."""

import json
import os
import re
import tempfile
import unittest
import urllib.request

from harness import HOST, Gateway, JsonOrigin, OriginGatewayTestCase, base_config, run_cli


def skipped(text, policy, reason):
    m = re.search(r'^apigw_json_body_skipped_total\{policy="%s",reason="%s"\} (\d+)$' % (policy, reason), text, re.M)
    return int(m.group(1)) if m else None


class JsonBodyTest(OriginGatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.origin = JsonOrigin("app")
        config = base_config(
            upstreams=[{"name": "app", "targets": [{"address": cls.origin.address}]}],
            policies=[
                {"name": "redact", "type": "json_body",
                 "request": {"mask": ["/password"], "remove": ["/debug"]},
                 "response": {"mask": ["/headers/x-secret"], "remove": ["/headers/user-agent", "/origin"]}},
                {"name": "tiny", "type": "json_body", "response": {"mask": ["/headers"]}, "max_body_bytes": 16},
            ],
            routes=[
                {"name": "api", "match": {"path_prefix": "/api/"}, "policies": ["redact"], "upstream": "app"},
                {"name": "tiny", "match": {"path_prefix": "/tiny/"}, "policies": ["tiny"], "upstream": "app"},
            ])
        cls.start_gateway(Gateway(config))

    def metrics(self):
        return urllib.request.urlopen(f"http://{HOST}:{self.gw.admin_port}/metrics", timeout=5).read().decode()

    def test_request_and_answer_are_rewritten(self):
        body = json.dumps({"user": "ada", "password": "hunter2", "debug": {"trace": True}})
        r, data = self.request("POST", "/api/login", {"content-type": "application/json", "x-secret": "s3cret",
                                                      "user-agent": "test/1"}, body)
        self.assertEqual(r.status, 200, data)
        self.assertEqual(int(r.getheader("content-length")), len(data))
        seen = json.loads(data)
        self.assertNotIn("origin", seen)
        self.assertEqual(seen["headers"]["x-secret"], "***")
        self.assertNotIn("user-agent", seen["headers"])
        # What the origin received: the password masked, debug removed, the length new.
        self.assertEqual(json.loads(seen["body"]), {"user": "ada", "password": "***"})
        self.assertEqual(seen["headers"]["content-length"], str(len(seen["body"])))

    def test_a_long_answer_passes_unchanged_and_is_counted(self):
        before = skipped(self.metrics(), "tiny", "overflow") or 0
        r, data = self.request("GET", "/tiny/x", {"x-secret": "s3cret"})
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(data)["headers"]["x-secret"], "s3cret")
        text = self.metrics()
        self.assertEqual(skipped(text, "tiny", "overflow"), before + 1)
        self.assertEqual(skipped(text, "redact", "unparsable"), 0)


class JsonBodyConfigTest(unittest.TestCase):
    def test_validate_names_the_bad_pointer(self):
        config = base_config(policies=[{"name": "jb", "type": "json_body",
                                        "response": {"mask": ["/ok", "card"], "remove": ["/a~9"]}}])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "apigw.json")
            with open(path, "w") as f:
                json.dump(config, f)
            r = run_cli(["validate", "--config", path])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r'(?m)^/policies/0/response/mask/1: "card": a JSON pointer starts with "/"')
        self.assertRegex(r.stdout, r'(?m)^/policies/0/response/remove/0: "/a~9": "~" must be followed by 0')


if __name__ == "__main__":
    unittest.main()
