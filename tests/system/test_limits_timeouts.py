"""Header, body and idle timeouts; max_connections."""

import json
import select
import socket
import time
import unittest

from harness import GatewayTestCase, ResponseReader, base_config, connect, exchange

TIMEOUT_MS = 300
# A timeout must not fire much before it is due, and must fire within this bound.
EARLY = 0.2
LATE = 3.0

GOOD = b"GET /echo/ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"


class TimeoutTest(GatewayTestCase):
    CONFIG = base_config(limits={"header_timeout_ms": TIMEOUT_MS, "body_timeout_ms": TIMEOUT_MS,
                                 "idle_timeout_ms": TIMEOUT_MS})

    def open(self):
        sock = connect(self.gw.port)
        self.addCleanup(sock.close)
        return sock, ResponseReader(sock)

    def tearDown(self):
        self.assertAlive()
        resp, _, sock = exchange(self.gw.port, GOOD)
        sock.close()
        self.assertEqual(resp.status, 200, resp)

    def assert_408_and_close(self, reader, started):
        resp = reader.read_response(timeout=LATE)
        elapsed = time.monotonic() - started
        self.assertEqual(resp.status, 408, resp)
        self.assertEqual(json.loads(resp.body)["error"]["status"], 408)
        self.assertTrue(resp.wants_close(), resp)
        self.assertTrue(reader.is_closed(timeout=LATE), "connection left open after 408")
        self.assertGreaterEqual(elapsed, EARLY, "timed out too early")
        self.assertLess(elapsed, LATE)

    def test_incomplete_head_gets_408(self):
        sock, reader = self.open()
        started = time.monotonic()
        sock.sendall(b"GET /echo/x HTTP/1.1\r\nHost: a\r\n")
        self.assert_408_and_close(reader, started)

    def test_incomplete_request_line_gets_408(self):
        sock, reader = self.open()
        started = time.monotonic()
        sock.sendall(b"GET /echo/x HT")
        self.assert_408_and_close(reader, started)

    def test_trickled_head_gets_408(self):
        # one byte every 50 ms keeps the socket busy but the head never completes
        # in time: the header timeout bounds the whole head, not each read
        sock, reader = self.open()
        data = b"GET /echo/x HTTP/1.1\r\nHost: a\r\n" + b"X-Slow: " + b"s" * 200
        started = time.monotonic()
        for i in range(len(data)):
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                break
            try:
                sock.sendall(data[i:i + 1])
            except (BrokenPipeError, ConnectionResetError):
                break
        self.assertLess(time.monotonic() - started, LATE, "slow head was never cut off")
        self.assert_408_and_close(reader, started)

    def test_stalled_body_gets_408(self):
        sock, reader = self.open()
        sock.sendall(b"POST /echo/x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345")
        started = time.monotonic()
        self.assert_408_and_close(reader, started)

    def test_stalled_chunked_body_gets_408(self):
        sock, reader = self.open()
        sock.sendall(b"POST /echo/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
        started = time.monotonic()
        self.assert_408_and_close(reader, started)

    def test_idle_keep_alive_connection_is_closed(self):
        sock, reader = self.open()
        sock.sendall(b"GET /echo/x HTTP/1.1\r\nHost: a\r\n\r\n")
        resp = reader.read_response()
        self.assertEqual(resp.status, 200)
        self.assertFalse(resp.wants_close())
        started = time.monotonic()
        self.assertEqual(reader.read_until_close(timeout=LATE), b"", "bytes sent on an idle close")
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, EARLY)
        self.assertLess(elapsed, LATE)

    def test_connection_without_any_bytes_is_closed(self):
        sock, reader = self.open()
        started = time.monotonic()
        data = reader.read_until_close(timeout=LATE)
        elapsed = time.monotonic() - started
        # closing silently and answering 408 are both fine for a connection that never spoke
        if data:
            self.assertTrue(data.startswith(b"HTTP/1.1 408 "), data)
        self.assertGreaterEqual(elapsed, EARLY)
        self.assertLess(elapsed, LATE)

    def test_active_keep_alive_connection_survives(self):
        # requests 100 ms apart, for longer than every timeout: the connection stays up
        sock, reader = self.open()
        started = time.monotonic()
        i = 0
        while time.monotonic() - started < 3 * TIMEOUT_MS / 1000.0:
            sock.sendall(b"GET /echo/%d HTTP/1.1\r\nHost: a\r\n\r\n" % i)
            resp = reader.read_response()
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(json.loads(resp.body)["path"], "/echo/%d" % i)
            i += 1
            readable, _, _ = select.select([sock], [], [], 0.1)
            self.assertFalse(readable, "connection closed or stray bytes while active")


class MaxConnectionsTest(GatewayTestCase):
    CONFIG = base_config(limits={"max_connections": 3, "idle_timeout_ms": 10000,
                                 "header_timeout_ms": 10000})

    def request_ok(self, sock, reader, path):
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: a\r\n\r\n" % path.encode())
        resp = reader.read_response()
        self.assertEqual(resp.status, 200, resp)

    def fourth_is_refused(self):
        """Opens one more connection; True when it is closed at once (maybe after an error answer)."""
        try:
            s = connect(self.gw.port, timeout=2)
        except (ConnectionRefusedError, ConnectionResetError, socket.timeout):
            return True
        with s:
            try:
                s.sendall(b"GET /echo/fourth HTTP/1.1\r\nHost: a\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                return True
            reader = ResponseReader(s)
            try:
                data = reader.read_until_close(timeout=2)
            except socket.timeout:
                return False  # left open and unanswered
            return not data.startswith(b"HTTP/1.1 200")

    def test_fourth_connection_is_closed(self):
        conns = []
        for i in range(3):
            s = connect(self.gw.port)
            self.addCleanup(s.close)
            r = ResponseReader(s)
            self.request_ok(s, r, "/echo/c%d" % i)
            conns.append((s, r))
        started = time.monotonic()
        self.assertTrue(self.fourth_is_refused(), "a 4th connection was served with max_connections 3")
        self.assertLess(time.monotonic() - started, 2.5)
        # the three are still served
        for i, (s, r) in enumerate(conns):
            self.request_ok(s, r, "/echo/again%d" % i)
        # once one closes, a new connection is accepted (the close is noticed asynchronously)
        conns[0][0].close()
        deadline = time.monotonic() + 5
        served = False
        while time.monotonic() < deadline and not served:
            try:
                resp, _, s = exchange(self.gw.port, GOOD, timeout=2)
                s.close()
                served = resp.status == 200
            except (AssertionError, OSError):
                served = False
                time.sleep(0.02)  # polling with a deadline: the close is not observable from here
        self.assertTrue(served, "no connection accepted after one of three closed")


if __name__ == "__main__":
    unittest.main()
