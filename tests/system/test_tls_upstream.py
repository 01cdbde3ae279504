"""Upstream TLS: the gateway verifies a Python ssl origin against a test CA
and a server name, refuses a wrong CA or name (502), reuses pooled TLS
connections, and presents a client certificate to an origin that wants one."""

import http.server
import json
import shutil
import ssl
import tempfile
import threading
import unittest

from harness import HOST, Gateway, base_config, simple_get, wait_until
from tls_certs import TestPKI
from tls_client import metric


class TlsOrigin(http.server.ThreadingHTTPServer):
    """An HTTPS origin; counts TLS connections and records client certificates."""

    daemon_threads = True

    def __init__(self, cert, client_ca=None):
        self.connections = 0
        self.closed = 0
        self.reused = []  # per connection: did the gateway resume a session?
        self.client_subjects = []
        self.lock = threading.Lock()
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(*cert)
        if client_ca:
            self.ctx.verify_mode = ssl.CERT_REQUIRED
            self.ctx.load_verify_locations(client_ca)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                self.request.do_handshake()  # in this connection's thread
                with self.server.lock:
                    self.server.connections += 1
                    self.server.reused.append(self.request.session_reused)
                    peer = self.request.getpeercert()
                    if peer:
                        self.server.client_subjects.append(dict(x[0] for x in peer["subject"])["commonName"])
                super().setup()

            def finish(self):
                super().finish()
                with self.server.lock:
                    self.server.closed += 1

            def do_GET(self):
                data = json.dumps({"path": self.path,
                                   "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__((HOST, 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass  # refused handshakes are what some tests want

    @property
    def address(self):
        return "%s:%d" % (HOST, self.server_address[1])

    def stop(self):
        self.shutdown()
        self.server_close()


class UpstreamTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="apigw-tls-")
        cls.pki = TestPKI(cls.dir + "/origin")
        cls.other = TestPKI(cls.dir + "/other", name="another")
        cls.clients = TestPKI(cls.dir + "/clients", name="clients")
        server = cls.pki.leaf("origin", "origin.internal", dns=["origin.internal"], kind="ec", chain=True)
        cls.gateway_cert = cls.clients.leaf("gateway", "apigw gateway", kind="ec", client=True)
        cls.origin = TlsOrigin(server)
        cls.mtls_origin = TlsOrigin(server, client_ca=cls.clients.ca)
        cls.checked_origin = TlsOrigin(server)  # health probes only
        cls.resume_origin = TlsOrigin(server)
        # Signed by the trusted CA for the right name, but expired yesterday.
        stale = cls.pki.leaf("stale", "origin.internal", dns=["origin.internal"], kind="ec", chain=True, days=-1)
        cls.expired_origin = TlsOrigin(stale)

        def up(name, origin, **tls):
            return {"name": name, "targets": [{"address": origin.address}], "tls": tls}

        def route(name):
            return {"name": name, "match": {"path_prefix": "/" + name + "/"}, "upstream": name}

        names = ["good", "wrongca", "wrongname", "mtls", "nomtls", "checked", "checkedbad", "resume", "expired"]
        check = {"path": "/healthz", "interval_ms": 1000, "timeout_ms": 900, "healthy_threshold": 1,
                 "unhealthy_threshold": 1}
        cfg = base_config(
            upstreams=[up("good", cls.origin, server_name="origin.internal", ca_file=cls.pki.ca),
                       up("wrongca", cls.origin, server_name="origin.internal", ca_file=cls.other.ca),
                       up("wrongname", cls.origin, server_name="other.internal", ca_file=cls.pki.ca),
                       up("mtls", cls.mtls_origin, server_name="origin.internal", ca_file=cls.pki.ca,
                          cert_file=cls.gateway_cert[0], key_file=cls.gateway_cert[1]),
                       up("nomtls", cls.mtls_origin, server_name="origin.internal", ca_file=cls.pki.ca),
                       dict(up("checked", cls.checked_origin, server_name="origin.internal", ca_file=cls.pki.ca),
                            health_check=check),
                       dict(up("checkedbad", cls.checked_origin, server_name="origin.internal", ca_file=cls.other.ca),
                            health_check=check),
                       dict(up("resume", cls.resume_origin, server_name="origin.internal", ca_file=cls.pki.ca),
                            timeouts={"idle_ms": 100}),
                       up("expired", cls.expired_origin, server_name="origin.internal", ca_file=cls.pki.ca)],
            routes=[route(n) for n in names])
        cls.gw = Gateway(cfg).start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()
        cls.origin.stop()
        cls.mtls_origin.stop()
        cls.checked_origin.stop()
        cls.resume_origin.stop()
        cls.expired_origin.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def get(self, path):
        return simple_get(self.gw.port, path)

    def test_verified_and_pooled(self):
        before = self.origin.connections
        for i in range(3):
            resp = self.get("/good/%d" % i)
            self.assertEqual(resp.status, 200, resp.body)
            self.assertEqual(resp.json()["path"], "/good/%d" % i)
        self.assertEqual(self.origin.connections - before, 1)  # one TLS connection, reused

    def test_wrong_ca_is_refused(self):
        resp = self.get("/wrongca/x")
        self.assertEqual(resp.status, 502)
        self.assertEqual(resp.json()["error"]["code"], "upstream_connect_failed")

    def test_expired_certificate_is_refused(self):
        resp = self.get("/expired/x")
        self.assertEqual(resp.status, 502)
        self.assertEqual(resp.json()["error"]["code"], "upstream_connect_failed")

    def test_wrong_name_is_refused(self):
        resp = self.get("/wrongname/x")
        self.assertEqual(resp.status, 502)

    def test_client_certificate_to_the_origin(self):
        resp = self.get("/mtls/x")
        self.assertEqual(resp.status, 200, resp.body)
        self.assertIn("apigw gateway", self.mtls_origin.client_subjects)
        self.assertEqual(self.get("/nomtls/x").status, 502)


    def test_a_new_connection_resumes_the_last_session(self):
        self.assertEqual(self.get("/resume/1").status, 200)
        # The pool closes the idle connection after idle_ms; the next request opens another.
        self.assertTrue(wait_until(lambda: self.resume_origin.closed >= 1, 10))
        self.assertEqual(self.get("/resume/2").status, 200)
        self.assertEqual(self.resume_origin.reused, [False, True])

    def test_health_checks_speak_tls(self):
        def healthy(name):
            return metric(self.gw.admin_port, "apigw_upstream_target_healthy", upstream=name,
                          target=self.checked_origin.address)
        # Probes verify the origin as requests do: a wrong CA marks the target down.
        self.assertTrue(wait_until(lambda: healthy("checkedbad") == 0, 10))
        # Two probes of "checked" handshook with the origin: the first has been judged.
        self.assertTrue(wait_until(lambda: self.checked_origin.connections >= 2, 10))
        self.assertEqual(healthy("checked"), 1)
        self.assertEqual(self.get("/checked/x").status, 200)


if __name__ == "__main__":
    unittest.main()
