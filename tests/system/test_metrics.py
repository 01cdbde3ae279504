"""Metric values after known traffic: counts by route and code, histogram
counts and buckets, upstream latency, sampled policy timing."""

import http.client
import re
import unittest
import urllib.request

from harness import HOST, Gateway, base_config
from test_proxy import _Origin


def metric(text, name, labels):
    """The value of one series, e.g. metric(t, "apigw_requests_total", 'route="a",method="GET",code="200"')."""
    m = re.search(r"^%s\{%s\} (\S+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    return float(m.group(1)) if m else None


class MetricsTest(unittest.TestCase):
    def test_values_after_known_traffic(self):
        origin = _Origin("o")
        self.addCleanup(origin.stop)
        config = base_config(
            upstreams=[{"name": "o", "targets": [{"address": origin.address}]}],
            policies=[{"name": "rid", "type": "request_id"}],
            routes=[{"name": "api", "match": {"path_prefix": "/api"}, "upstream": "o", "policies": ["rid"]},
                    {"name": "hello", "match": {"path": "/hello"}, "respond": {"status": 200, "body": "hi"}}])
        with Gateway(config) as gw:
            conn = http.client.HTTPConnection(HOST, gw.port, timeout=5)
            for path, count in (("/api/x", 32), ("/hello", 32), ("/nowhere", 5)):
                for _ in range(count):
                    conn.request("GET", path)
                    conn.getresponse().read()
            conn.close()
            text = urllib.request.urlopen(f"http://{HOST}:{gw.admin_port}/metrics", timeout=5).read().decode()
        self.assertEqual(metric(text, "apigw_requests_total", 'route="api",method="GET",code="200"'), 32)
        self.assertEqual(metric(text, "apigw_requests_total", 'route="hello",method="GET",code="200"'), 32)
        self.assertEqual(metric(text, "apigw_requests_total", 'route="-",method="GET",code="404"'), 5)
        self.assertEqual(metric(text, "apigw_request_duration_seconds_count", 'route="hello"'), 32)
        self.assertEqual(metric(text, "apigw_request_duration_seconds_bucket", 'route="hello",le="+Inf"'), 32)
        buckets = [float(v) for v in re.findall(r'^apigw_request_duration_seconds_bucket\{route="hello",le="[^"]+"\} (\S+)$',
                                                text, re.M)]
        self.assertEqual(buckets, sorted(buckets))  # cumulative
        self.assertEqual(metric(text, "apigw_upstream_duration_seconds_count", 'upstream="o"'), 32)
        self.assertGreater(metric(text, "apigw_upstream_duration_seconds_sum", 'upstream="o"'), 0)
        # Requests 16 and 32 on the worker were timed: 3 phases of request_id each.
        self.assertEqual(metric(text, "apigw_policy_duration_seconds_count", 'policy="rid"'), 6)


if __name__ == "__main__":
    unittest.main()
