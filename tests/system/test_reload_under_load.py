"""Hot reload under load: 50 config pushes through PUT /config while client
threads keep requests flowing and an upgraded (WebSocket-style) tunnel stays
open. Every request must succeed, every reload apply, the tunnel survive.
Bounded: at most 20 s of load."""

import http.client
import json
import socket
import threading
import time
import unittest
import urllib.request

from harness import HOST, Gateway, base_config

RELOADS = 50
CLIENTS = 4


class EchoOrigin:
    """Answers GETs with 200 and upgrades `Upgrade: echo` requests into a byte echo."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind((HOST, 0))
        self.listener.listen(64)
        self.address = "%s:%d" % self.listener.getsockname()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        data = b""
        with conn:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
                while b"\r\n\r\n" in data:
                    head, data = data.split(b"\r\n\r\n", 1)
                    if b"upgrade: echo" in head.lower():
                        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\n\r\n")
                        if data:
                            conn.sendall(data)
                        while chunk := conn.recv(65536):
                            conn.sendall(chunk)
                        return
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")

    def stop(self):
        self.listener.close()


def config_with(origin, version):
    config = base_config(
        upstreams=[{"name": "o", "targets": [{"address": origin}]}],
        routes=[{"name": "api", "match": {"path_prefix": "/api"}, "upstream": "o"},
                {"name": "ws", "match": {"path": "/ws"}, "upstream": "o"},
                {"name": "version", "match": {"path": "/version"},
                 "respond": {"status": 200, "body": "v%d" % version}}])
    return config


class ReloadUnderLoadTest(unittest.TestCase):
    def test_fifty_reloads_fail_no_request_and_keep_the_tunnel(self):
        origin = EchoOrigin()
        self.addCleanup(origin.stop)
        gw = Gateway(config_with(origin.address, 0))
        gw.start()
        self.addCleanup(gw.close)

        tunnel = socket.create_connection((HOST, gw.port), timeout=5)
        self.addCleanup(tunnel.close)
        tunnel.sendall(b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += tunnel.recv(4096)
        self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)

        def echo(message):
            tunnel.sendall(message)
            got = b""
            while len(got) < len(message):
                got += tunnel.recv(4096)
            return got

        stop = threading.Event()
        failures, counts = [], [0] * CLIENTS

        def client(i):
            conn = http.client.HTTPConnection(HOST, gw.port, timeout=5)
            while not stop.is_set():
                try:
                    conn.request("GET", "/api/%d" % i)
                    r = conn.getresponse()
                    body = r.read()
                    if r.status != 200 or body != b"ok":
                        failures.append((r.status, body))
                    counts[i] += 1
                except Exception as e:  # a dropped connection is a failure too
                    failures.append(repr(e))
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, gw.port, timeout=5)
            conn.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        deadline = time.time() + 20
        applied = 0
        try:
            for version in range(1, RELOADS + 1):
                if time.time() > deadline:
                    break
                req = urllib.request.Request(f"http://{HOST}:{gw.admin_port}/config", method="PUT",
                                             data=json.dumps(config_with(origin.address, version)).encode())
                with urllib.request.urlopen(req, timeout=5) as r:
                    self.assertEqual(r.status, 200)
                applied += 1
                if version % 10 == 0:
                    self.assertEqual(echo(b"ping %d" % version), b"ping %d" % version)
        finally:
            stop.set()
            for t in threads:
                t.join(10)
        self.assertEqual(applied, RELOADS)
        self.assertEqual(failures, [])
        self.assertTrue(all(counts), counts)  # every client kept going
        self.assertEqual(echo(b"after all reloads"), b"after all reloads")
        with urllib.request.urlopen(f"http://{HOST}:{gw.port}/version", timeout=5) as r:
            self.assertEqual(r.read(), b"v%d" % RELOADS)
        metrics = urllib.request.urlopen(f"http://{HOST}:{gw.admin_port}/metrics", timeout=5).read().decode()
        self.assertIn('apigw_config_reloads_total{result="ok"} %d' % RELOADS, metrics)


if __name__ == "__main__":
    unittest.main()
