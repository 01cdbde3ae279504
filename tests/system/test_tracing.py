"""Tracing on the binary: traceparent continued, generated and passed to the
origin; spans for the request, each policy stage and each upstream try,
received by a test OTLP/HTTP collector with the right parent/child ids;
drop-and-count when the collector is down."""

import http.client
import http.server
import json
import os
import tempfile
import threading
import time
import unittest
import urllib.request

from harness import HOST, Gateway, base_config
from test_proxy import _Origin, dead_address

INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


class Collector(http.server.ThreadingHTTPServer):
    """Takes OTLP/HTTP JSON posts and keeps the spans."""

    daemon_threads = True

    def __init__(self):
        self.spans = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with self.server.lock:
                    for rs in body["resourceSpans"]:
                        service = rs["resource"]["attributes"][0]["value"]["stringValue"]
                        for ss in rs["scopeSpans"]:
                            for span in ss["spans"]:
                                span["service"] = service
                                self.server.spans.append(span)
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        super().__init__((HOST, 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def wait_spans(self, trace_id, count, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                mine = [s for s in self.spans if s["traceId"] == trace_id]
            if len(mine) >= count:
                return mine
            time.sleep(0.02)
        return mine


def traced_config(origin, collector_port, sample_ratio, log_path=None):
    telemetry = {"tracing": {"otlp_endpoint": f"http://{HOST}:{collector_port}/v1/traces",
                             "sample_ratio": sample_ratio, "service_name": "edge", "flush_interval_ms": 20}}
    if log_path:
        telemetry["access_log"] = {"path": log_path}
    return base_config(
        upstreams=[{"name": "o", "targets": [{"address": origin}]}],
        policies=[{"name": "rid", "type": "request_id"}],
        routes=[{"name": "api", "match": {"path_prefix": "/api"}, "upstream": "o", "policies": ["rid"]}],
        telemetry=telemetry)


def get(port, path, headers=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    body = json.loads(r.read())
    conn.close()
    return r.status, body


class TracingTest(unittest.TestCase):
    def setUp(self):
        self.origin = _Origin("o")
        self.collector = Collector()

    def tearDown(self):
        self.origin.stop()
        self.collector.shutdown()
        self.collector.server_close()

    def test_a_sampled_caller_is_continued_with_spans_for_each_stage(self):
        log_path = os.path.join(tempfile.mkdtemp(prefix="apigw-trace-"), "access.log")
        with Gateway(traced_config(self.origin.address, self.collector.server_address[1], 0.0, log_path)) as gw:
            status, seen = get(gw.port, "/api/x", {"traceparent": INCOMING, "tracestate": "vendor=1"})
            self.assertEqual(status, 200)
            sent = seen["headers"]["traceparent"]
            self.assertRegex(sent, r"^00-%s-[0-9a-f]{16}-01$" % TRACE_ID)
            self.assertEqual(seen["headers"]["tracestate"], "vendor=1")
            spans = self.collector.wait_spans(TRACE_ID, 5)
        by_kind = {}
        for s in spans:
            by_kind.setdefault(s["kind"], []).append(s)
        (server,) = by_kind[2]
        (client,) = by_kind[3]
        internal = by_kind[1]
        self.assertEqual(server["parentSpanId"], CALLER_SPAN)
        self.assertEqual(server["name"], "api")
        self.assertEqual(server["service"], "edge")
        self.assertEqual(client["parentSpanId"], server["spanId"])
        self.assertEqual(sent.split("-")[2], client["spanId"])  # the origin's parent is the try
        self.assertEqual(client["name"], "o")
        self.assertIn({"key": "server.address", "value": {"stringValue": self.origin.address}}, client["attributes"])
        # request_id ran in each phase of the request and the response: one span each.
        self.assertEqual(sorted(a["value"]["stringValue"] for s in internal for a in s["attributes"]),
                         ["on_request", "on_request_body", "on_response"])
        for s in internal:
            self.assertEqual((s["name"], s["parentSpanId"]), ("request_id", server["spanId"]))
        for s in spans:
            self.assertLessEqual(int(server["startTimeUnixNano"]), int(s["startTimeUnixNano"]))
            self.assertLessEqual(int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"]))
        self.assertEqual(json.loads(open(log_path).readline())["trace_id"], TRACE_ID)

    def test_new_traces_follow_the_ratio_and_are_always_propagated(self):
        with Gateway(traced_config(self.origin.address, self.collector.server_address[1], 0.0)) as gw:
            ids = set()
            for bad in (None, INCOMING.upper(), "garbage"):
                _, seen = get(gw.port, "/api/x", {"traceparent": bad} if bad else {})
                sent = seen["headers"]["traceparent"]
                self.assertRegex(sent, r"^00-[0-9a-f]{32}-[0-9a-f]{16}-00$")  # new, not sampled
                self.assertNotEqual(sent.split("-")[1], TRACE_ID)
                ids.add(sent.split("-")[1])
            self.assertEqual(len(ids), 3)
            time.sleep(0.2)  # several flush intervals: nothing may arrive
            self.assertEqual(self.collector.spans, [])
        with Gateway(traced_config(self.origin.address, self.collector.server_address[1], 1.0)) as gw:
            _, seen = get(gw.port, "/api/y")
            trace_id = seen["headers"]["traceparent"].split("-")[1]
            self.assertTrue(seen["headers"]["traceparent"].endswith("-01"))
            self.assertGreaterEqual(len(self.collector.wait_spans(trace_id, 4)), 4)

    def test_spans_are_dropped_and_counted_when_the_collector_is_down(self):
        config = traced_config(self.origin.address, int(dead_address().rsplit(":", 1)[1]), 1.0)
        config["telemetry"]["tracing"]["export_timeout_ms"] = 200
        with Gateway(config) as gw:
            for _ in range(3):
                self.assertEqual(get(gw.port, "/api/z")[0], 200)  # requests are not held up
            deadline = time.time() + 5
            while True:  # the exporter gives up on the dead collector in the background
                metrics = urllib.request.urlopen(f"http://{HOST}:{gw.admin_port}/metrics", timeout=5).read().decode()
                if 'apigw_trace_spans_total{result="dropped"} 0' not in metrics or time.time() > deadline:
                    break
                time.sleep(0.05)
            self.assertRegex(metrics, r'apigw_trace_spans_total\{result="dropped"\} [1-9]')
            self.assertIn('apigw_trace_spans_total{result="exported"} 0', metrics)


if __name__ == "__main__":
    unittest.main()
