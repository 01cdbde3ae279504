"""SIGHUP reload and SIGTERM/SIGINT drain."""

import json
import os
import signal
import socket
import time
import unittest

from harness import (Gateway, HOST, ResponseReader, base_config, connect, metric_value, simple_get,
                     wait_until)

DRAIN_MS = 3000


def config(body="v1", echo_name="echo", drain_ms=DRAIN_MS, **limits):
    lim = {"drain_timeout_ms": drain_ms}
    lim.update(limits)
    return base_config(limits=lim, routes=[
        {"name": "version", "match": {"path": "/version"},
         "respond": {"status": 200, "headers": {"content-type": "text/plain"}, "body": body}},
        {"name": echo_name, "match": {"path": "/echo/{*rest}"}, "handler": "echo"},
    ])


metric = metric_value


def refuses_connections(port):
    try:
        s = socket.create_connection((HOST, port), timeout=1)
    except (ConnectionRefusedError, ConnectionResetError):
        return True
    s.close()
    return False


class GatewayPerTest(unittest.TestCase):
    def start(self, cfg, **kw):
        gw = Gateway(cfg, **kw)
        self.addCleanup(gw.close)
        gw.start()
        return gw

    def body_of(self, gw, path="/version"):
        return simple_get(gw.port, path).body

    def wait_log(self, gw, needle, since=0, timeout=5):
        found = gw.stderr.wait_for(lambda lines: [l for l in lines[since:] if needle in l], timeout)
        self.assertTrue(found, "no %r on stderr\n%s" % (needle, gw.logs()))

    def sigterm_and_wait_draining(self, gw, sig=signal.SIGTERM):
        """SIGTERM, then waits until the workers really drain.

        The "draining" log line is written before the workers are told, so
        it is not the event; the public listener refusing connections is
        (listeners close in the same loop turn that starts the drain).
        """
        port = gw.port
        gw.send_signal(sig)
        self.assertTrue(wait_until(lambda: refuses_connections(port), 5),
                        "listener still accepting after SIGTERM\n" + gw.logs())

    def start_inflight(self, gw, path="/echo/inflight"):
        """A POST whose head and half its body are in; waits until the gateway has it."""
        sock = connect(gw.port)
        self.addCleanup(sock.close)
        sock.sendall(b"POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345" % path.encode())
        # the /metrics request itself is one of the active requests
        self.assertTrue(wait_until(lambda: metric(gw, "apigw_requests_active") == 2, 5),
                        "gateway never saw the in-flight request")
        return sock, ResponseReader(sock)


class ReloadTest(GatewayPerTest):
    def test_sighup_applies_new_body(self):
        gw = self.start(config("v1"))
        self.assertEqual(self.body_of(gw), b"v1")
        mark = len(gw.stderr.lines)
        gw.reload(config("v2"))
        self.wait_log(gw, "config reloaded", since=mark)
        self.assertEqual(wait_until(lambda: self.body_of(gw) == b"v2", 5), True)
        self.assertEqual(metric(gw, 'apigw_config_reloads_total{result="ok"}'), 1)
        # and again
        gw.reload(config("v3"))
        self.assertEqual(wait_until(lambda: self.body_of(gw) == b"v3", 5), True)
        self.assertTrue(gw.alive())

    def test_sighup_invalid_file_keeps_old_config(self):
        gw = self.start(config("v1"))
        for raw in ('{"listeners": [', json.dumps(dict(config("v2"), routez=[]))):
            with self.subTest(raw=raw[:40]):
                mark = len(gw.stderr.lines)
                gw.reload(raw=raw)
                self.wait_log(gw, "reload refused", since=mark)
                self.assertTrue(gw.alive(), gw.logs())
                self.assertEqual(self.body_of(gw), b"v1")
        # a valid file afterwards is applied
        gw.reload(config("v2"))
        self.assertEqual(wait_until(lambda: self.body_of(gw) == b"v2", 5), True)

    def test_refused_reload_is_counted(self):
        # SPEC 4: apigw_config_reloads_total{result}
        gw = self.start(config("v1"))
        mark = len(gw.stderr.lines)
        gw.reload(raw='{"listeners": [')
        self.wait_log(gw, "reload refused", since=mark)
        self.assertEqual(metric(gw, 'apigw_config_reloads_total{result="error"}'), 1)
        self.assertEqual(metric(gw, 'apigw_config_reloads_total{result="ok"}'), 0)

    def test_sighup_listener_change_is_refused(self):
        gw = self.start(config("v1"))
        cfg = config("v2")
        cfg["listeners"].append({"name": "extra", "address": HOST + ":0"})
        mark = len(gw.stderr.lines)
        gw.reload(cfg)
        self.wait_log(gw, "reload refused", since=mark)
        self.assertEqual(self.body_of(gw), b"v1")
        self.assertTrue(gw.alive())

    def test_sighup_missing_file_keeps_old_config(self):
        gw = self.start(config("v1"))
        os.remove(gw.config_path)
        mark = len(gw.stderr.lines)
        gw.send_signal(signal.SIGHUP)
        self.wait_log(gw, "reload refused", since=mark)
        self.assertEqual(self.body_of(gw), b"v1")
        self.assertTrue(gw.alive())

    def test_open_connection_sees_new_config_and_inflight_keeps_old(self):
        gw = self.start(config("v1", echo_name="echo-old"))
        # keep-alive connection that served a request before the reload
        ka = connect(gw.port)
        self.addCleanup(ka.close)
        ka_reader = ResponseReader(ka)
        ka.sendall(b"GET /version HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertEqual(ka_reader.read_response().body, b"v1")
        sock, reader = self.start_inflight(gw)
        mark = len(gw.stderr.lines)
        gw.reload(config("v2", echo_name="echo-new"))
        self.wait_log(gw, "config reloaded", since=mark)
        sock.sendall(b"67890")
        resp = reader.read_response()
        self.assertEqual(resp.status, 200, resp)
        doc = json.loads(resp.body)
        self.assertEqual(doc["body"], "1234567890")
        self.assertEqual(doc["route"], "echo-old", "an in-flight request switched config")
        ka.sendall(b"GET /version HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertEqual(ka_reader.read_response().body, b"v2")

    def test_sighup_under_load(self):
        gw = self.start(config("v1"))
        sock = connect(gw.port)
        self.addCleanup(sock.close)
        reader = ResponseReader(sock)
        seen = set()
        for i in range(300):
            if i == 50:
                gw.reload(config("v2"))
            sock.sendall(b"GET /version HTTP/1.1\r\nHost: a\r\n\r\n")
            resp = reader.read_response()
            self.assertEqual(resp.status, 200, resp)
            self.assertIn(resp.body, (b"v1", b"v2"))
            seen.add(resp.body)
            if b"v2" in seen and i > 60:
                break
        self.assertEqual(wait_until(lambda: self.body_of(gw) == b"v2", 5), True)


class DrainTest(GatewayPerTest):
    def test_sigterm_finishes_inflight_request(self):
        gw = self.start(config())
        sock, reader = self.start_inflight(gw)
        started = time.monotonic()
        self.sigterm_and_wait_draining(gw)
        sock.sendall(b"67890")
        resp = reader.read_response()
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(json.loads(resp.body)["body"], "1234567890")
        self.assertEqual(resp.header("connection", "").lower(), "close", resp)
        self.assertTrue(reader.is_closed(timeout=DRAIN_MS / 1000.0), "connection left open while draining")
        sock.close()
        self.assertEqual(gw.wait(DRAIN_MS / 1000.0 + 2), 0, gw.logs())
        self.assertLess(time.monotonic() - started, DRAIN_MS / 1000.0 + 2)

    def test_new_connections_refused_while_draining(self):
        gw = self.start(config())
        sock, reader = self.start_inflight(gw)
        port = gw.port
        gw.send_signal(signal.SIGTERM)
        self.wait_log(gw, "draining")

        def refused():
            try:
                s = socket.create_connection((HOST, port), timeout=2)
            except (ConnectionRefusedError, ConnectionResetError):
                return True
            with s:
                try:
                    s.sendall(b"GET /version HTTP/1.1\r\nHost: a\r\n\r\n")
                    return ResponseReader(s).read_until_close(timeout=2) == b""
                except (BrokenPipeError, ConnectionResetError):
                    return True
                except socket.timeout:
                    return False

        # the signal is handled asynchronously: within a bound, new connections stop being served
        self.assertTrue(wait_until(refused, 3), "new connections still served after SIGTERM")
        self.assertTrue(refused(), "listener accepted again")
        self.assertTrue(gw.alive(), "gateway exited while a request was in flight")
        sock.sendall(b"67890")
        self.assertEqual(reader.read_response().status, 200)
        sock.close()
        self.assertEqual(gw.wait(5), 0, gw.logs())

    def test_keep_alive_connection_gets_close_while_draining(self):
        gw = self.start(config())
        sock, reader = self.start_inflight(gw)
        # a second request pipelined behind the in-flight one must not be served
        self.sigterm_and_wait_draining(gw)
        sock.sendall(b"67890" + b"GET /version HTTP/1.1\r\nHost: a\r\n\r\n")
        resp = reader.read_response()
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.wants_close(), resp)
        self.assertEqual(reader.read_until_close(timeout=5), b"")
        sock.close()
        self.assertEqual(gw.wait(5), 0, gw.logs())

    def test_idle_connections_do_not_delay_exit(self):
        gw = self.start(config(idle_timeout_ms=60000))
        socks = []
        for i in range(3):
            s = connect(gw.port)
            self.addCleanup(s.close)
            s.sendall(b"GET /version HTTP/1.1\r\nHost: a\r\n\r\n")
            r = ResponseReader(s)
            self.assertEqual(r.read_response().status, 200)
            socks.append((s, r))
        started = time.monotonic()
        gw.send_signal(signal.SIGTERM)
        for s, r in socks:  # the gateway closes idle keep-alive connections at once
            self.assertTrue(r.is_closed(timeout=2), "idle connection left open while draining")
            s.close()
        self.assertEqual(gw.wait(5), 0, gw.logs())
        self.assertLess(time.monotonic() - started, DRAIN_MS / 1000.0, "idle connections held the drain")

    def test_drain_timeout_bounds_exit(self):
        drain_ms = 500
        gw = self.start(config(drain_ms=drain_ms, body_timeout_ms=60000))
        sock, reader = self.start_inflight(gw)  # never completed
        started = time.monotonic()
        gw.send_signal(signal.SIGTERM)
        rc = gw.wait(drain_ms / 1000.0 + 5)
        elapsed = time.monotonic() - started
        self.assertEqual(rc, 0, gw.logs())
        self.assertGreaterEqual(elapsed, drain_ms / 1000.0 * 0.8, "exited before the drain timeout")
        self.assertLess(elapsed, drain_ms / 1000.0 + 1.0, "exit took far longer than drain_timeout_ms")

    def test_sigint_exits_0(self):
        gw = self.start(config())
        self.assertEqual(self.body_of(gw), b"v1")
        self.assertEqual(gw.stop(sig=signal.SIGINT, timeout=5), 0, gw.logs())

    def test_readyz_503_while_draining(self):
        gw = self.start(config())
        self.assertEqual(simple_get(gw.admin_port, "/readyz").status, 200)
        sock, reader = self.start_inflight(gw)
        self.sigterm_and_wait_draining(gw)
        try:
            status = simple_get(gw.admin_port, "/readyz", timeout=2).status
        except (OSError, AssertionError) as e:
            status = "no answer (%s)" % e
        sock.sendall(b"67890")
        reader.read_response()
        self.assertEqual(status, 503, "SPEC 3: GET /readyz is 503 while draining")


if __name__ == "__main__":
    unittest.main()
