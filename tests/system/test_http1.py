"""HTTP/1.1 connection semantics over raw sockets: keep-alive, pipelining,
HTTP/1.0, HEAD, chunked bodies, Expect: 100-continue, split reads."""

import json
import select
import unittest

from harness import (GatewayTestCase, ResponseReader, active_requests, base_config, connect, exchange,
                     request_bytes, wait_request_started, wait_until)

ROUTES = [
    {"name": "echo", "match": {"path": "/echo/{*rest}"}, "handler": "echo"},
    {"name": "static", "match": {"path": "/static"},
     "respond": {"status": 200, "headers": {"content-type": "text/plain"}, "body": "static body\n"}},
]


def get(path, extra=b""):
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: a\r\n" + extra + b"\r\n"


class Http1Test(GatewayTestCase):
    CONFIG = base_config(routes=ROUTES, limits={"max_body_bytes": 1 << 20})

    def open(self):
        sock = connect(self.gw.port)
        self.addCleanup(sock.close)
        return sock, ResponseReader(sock)

    def assertNoResponseYet(self, sock, wait=0.05):
        readable, _, _ = select.select([sock], [], [], wait)
        self.assertFalse(readable, "gateway answered before the request was complete")

    def test_keep_alive_sequential(self):
        sock, reader = self.open()
        for i in range(200):
            sock.sendall(get("/echo/%d" % i))
            resp = reader.read_response()
            self.assertEqual(resp.status, 200, resp)
            self.assertFalse(resp.wants_close(), resp)
            self.assertEqual(json.loads(resp.body)["path"], "/echo/%d" % i)
        self.assertEqual(reader.buf, b"")

    def test_pipelining_in_order(self):
        sock, reader = self.open()
        reqs = []
        for i in range(200):
            if i % 3 == 1:
                reqs.append(request_bytes("POST", "/echo/%d" % i, body=b"body-%d" % i, host="a"))
            else:
                reqs.append(get("/echo/%d" % i))
        sock.sendall(b"".join(reqs))
        for i in range(200):
            resp = reader.read_response(timeout=10)
            self.assertEqual(resp.status, 200, resp)
            doc = json.loads(resp.body)
            self.assertEqual(doc["path"], "/echo/%d" % i)
            self.assertEqual(doc["body"], "body-%d" % i if i % 3 == 1 else "")
        # nothing extra, connection still usable
        sock.sendall(get("/echo/after"))
        self.assertEqual(json.loads(reader.read_response().body)["path"], "/echo/after")

    def test_pipelining_ends_with_close(self):
        sock, reader = self.open()
        sock.sendall(get("/echo/1") + get("/echo/2", b"Connection: close\r\n") + get("/echo/3"))
        self.assertEqual(json.loads(reader.read_response().body)["path"], "/echo/1")
        last = reader.read_response()
        self.assertEqual(json.loads(last.body)["path"], "/echo/2")
        self.assertTrue(last.wants_close(), last)
        self.assertEqual(reader.read_until_close(), b"", "request after Connection: close was answered")

    def test_http11_connection_close(self):
        resp, reader, sock = exchange(self.gw.port, get("/echo/x", b"Connection: close\r\n"))
        self.addCleanup(sock.close)
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.wants_close(), resp)
        self.assertTrue(reader.is_closed())

    def test_http10_closes_by_default(self):
        resp, reader, sock = exchange(self.gw.port, b"GET /echo/x HTTP/1.0\r\n\r\n")
        self.addCleanup(sock.close)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(json.loads(resp.body)["version"], "HTTP/1.0")
        self.assertIn(resp.version, ("HTTP/1.0", "HTTP/1.1"))
        self.assertIsNotNone(resp.header("content-length"), resp)
        self.assertTrue(reader.is_closed(), "HTTP/1.0 connection without keep-alive stayed open")

    def test_http10_keep_alive(self):
        sock, reader = self.open()
        for i in range(3):
            sock.sendall(b"GET /echo/k%d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" % i)
            resp = reader.read_response()
            self.assertEqual(resp.status, 200, resp)
            self.assertEqual(json.loads(resp.body)["path"], "/echo/k%d" % i)
            self.assertIn("keep-alive", (resp.header("connection") or "").lower(), resp)
        sock.sendall(b"GET /echo/last HTTP/1.0\r\n\r\n")
        self.assertEqual(reader.read_response().status, 200)
        self.assertTrue(reader.is_closed())

    def test_head_has_length_but_no_body(self):
        sock, reader = self.open()
        for path in ("/echo/h", "/static"):
            with self.subTest(path=path):
                sock.sendall(b"GET %s HTTP/1.1\r\nHost: a\r\n\r\n" % path.encode())
                full = reader.read_response()
                sock.sendall(b"HEAD %s HTTP/1.1\r\nHost: a\r\n\r\n" % path.encode())
                resp = reader.read_response(head=True)
                self.assertEqual(resp.status, 200, resp)
                length = resp.header("content-length")
                self.assertIsNotNone(length, resp)
                self.assertGreater(int(length), 0)
                if path == "/static":
                    self.assertEqual(int(length), len(full.body))
                # no body bytes follow: the next response starts right after the head
                sock.sendall(get("/echo/next"))
                nxt = reader.read_response()
                self.assertEqual(json.loads(nxt.body)["path"], "/echo/next", nxt)

    def test_chunked_request_body(self):
        sock, reader = self.open()
        sock.sendall(b"POST /echo/c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"5\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\n\r\n")
        resp = reader.read_response()
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(json.loads(resp.body)["body"], "hello 0123456789")
        # the connection stays in sync
        sock.sendall(get("/echo/after"))
        self.assertEqual(json.loads(reader.read_response().body)["path"], "/echo/after")

    def test_chunked_with_extensions_and_trailers(self):
        sock, reader = self.open()
        sock.sendall(b"POST /echo/c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"3;ext=1\r\nabc\r\n3;name=\"q\"\r\ndef\r\n0\r\nX-Trailer: t\r\n\r\n" + get("/echo/after"))
        resp = reader.read_response()
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(json.loads(resp.body)["body"], "abcdef")
        self.assertEqual(json.loads(reader.read_response().body)["path"], "/echo/after")

    def test_chunked_split_everywhere(self):
        sock, reader = self.open()
        data = (b"POST /echo/s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n")
        for i in range(len(data) - 1):
            sock.sendall(data[i:i + 1])
        self.assertNoResponseYet(sock)
        sock.sendall(data[-1:])
        resp = reader.read_response()
        self.assertEqual(json.loads(resp.body)["body"], "wikipedia")

    def test_expect_100_continue(self):
        sock, reader = self.open()
        sock.sendall(b"POST /echo/e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        interim = reader.read_response(timeout=3)
        self.assertEqual(interim.status, 100, interim)
        self.assertTrue(interim.raw_head.startswith(b"HTTP/1.1 100 Continue"), interim.raw_head)
        sock.sendall(b"hello")
        resp = reader.read_response()
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(json.loads(resp.body)["body"], "hello")
        # next request on the same connection gets no stray 100
        sock.sendall(get("/echo/after"))
        nxt = reader.read_response()
        self.assertEqual(nxt.status, 200, nxt)

    def test_expect_100_continue_too_large_is_refused_without_100(self):
        sock, reader = self.open()
        sock.sendall(b"POST /echo/e HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n"
                     % ((1 << 20) + 1))
        resp = reader.read_response(timeout=3)
        self.assertEqual(resp.status, 413, resp)

    def test_body_split_across_sends(self):
        sock, reader = self.open()
        body = b"0123456789abcdefghij"
        sock.sendall(b"POST /echo/split HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body))
        for i in range(0, len(body) - 4, 4):
            sock.sendall(body[i:i + 4])
            self.assertNoResponseYet(sock)
        sock.sendall(body[len(body) - 4:])
        resp = reader.read_response()
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(json.loads(resp.body)["body"], body.decode())

    def test_head_split_byte_by_byte(self):
        # one byte per send, except that each CRLF goes in one piece (the CR|LF
        # split is covered deterministically below)
        sock, reader = self.open()
        data = get("/echo/bytes", b"X-Split: yes\r\n")
        i = 0
        while i < len(data):
            n = 2 if data[i:i + 2] == b"\r\n" else 1
            sock.sendall(data[i:i + n])
            i += n
        resp = reader.read_response()
        self.assertEqual(resp.status, 200, resp)
        doc = json.loads(resp.body)
        self.assertEqual(doc["path"], "/echo/bytes")
        self.assertIn(["X-Split", "yes"], doc["headers"])

    def test_head_split_between_cr_and_lf(self):
        data = get("/echo/crlf", b"X-Split: yes\r\n")
        cuts = [i + 1 for i in range(len(data)) if data[i:i + 1] == b"\r"]
        for cut in cuts:
            with self.subTest(first_read=data[:cut]):
                sock, reader = self.open()
                sock.sendall(data[:cut])
                # the gateway has read the first part once it counts the request as active
                self.assertTrue(wait_request_started(self.gw))
                sock.sendall(data[cut:])
                resp = reader.read_response()
                self.assertEqual(resp.status, 200, resp)
                self.assertEqual(json.loads(resp.body)["path"], "/echo/crlf")
                sock.close()
                self.assertTrue(wait_until(lambda: active_requests(self.gw) == 1, 5))

    def test_large_body(self):
        sock, reader = self.open()
        body = bytes(ord("a") + i % 26 for i in range(512 * 1024))
        sock.sendall(request_bytes("POST", "/echo/big", body=body, host="a"))
        resp = reader.read_response(timeout=10)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(json.loads(resp.body)["body"].encode(), body)

    def test_body_of_exactly_max_body_bytes(self):
        # max_body_bytes is 1 MiB in this config: a body of exactly that size is allowed
        for te in (False, True):
            with self.subTest(chunked=te):
                sock, reader = self.open()
                body = b"z" * (1 << 20)
                if te:
                    data = (b"POST /static HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
                else:
                    data = request_bytes("POST", "/static", body=body, host="a")
                sock.sendall(data)
                resp = reader.read_response(timeout=10)
                self.assertEqual(resp.status, 200, resp)
                self.assertEqual(resp.body, b"static body\n")

    def test_response_has_date_and_length(self):
        resp, reader, sock = exchange(self.gw.port, get("/static"))
        sock.close()
        self.assertEqual(resp.body, b"static body\n")
        self.assertEqual(resp.header("content-length"), str(len(resp.body)))
        self.assertRegex(resp.header("date") or "", r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$")
        self.assertEqual(len(resp.header_all("content-length")), 1)


if __name__ == "__main__":
    unittest.main()
