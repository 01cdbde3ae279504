"""TLS session resumption with tickets: a client offering the session of an
earlier connection resumes it (abbreviated handshake), also after a config
reload (the ticket keys are kept); with session_tickets off, it does not."""

import shutil
import ssl
import tempfile
import unittest

from harness import HOST, Gateway, base_config, wait_until
from tls_certs import TestPKI
from tls_client import client_context, get, metric, tls_connect


class ResumptionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="apigw-tls-")
        cls.pki = TestPKI(cls.dir)
        cert = cls.pki.leaf("server", "api.example.com", dns=["api.example.com"], kind="ec")
        certs = [{"cert_file": cert[0], "key_file": cert[1]}]
        cls.listeners = [{"name": "tickets", "address": HOST + ":0", "tls": {"certificates": certs}},
                         {"name": "none", "address": HOST + ":0",
                          "tls": {"certificates": certs, "session_tickets": False}}]
        cls.gw = Gateway(base_config(listeners=cls.listeners)).start()
        # TLS 1.2: the ticket comes within the handshake (mbedTLS 2.28 has no TLS 1.3).
        cls.ctx = client_context(cls.pki.ca)
        cls.ctx.maximum_version = ssl.TLSVersion.TLSv1_2

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def connect_twice(self, listener):
        with tls_connect(self.gw.ports[listener], "api.example.com", self.ctx) as first:
            self.assertEqual(get(first, "/echo/1", host="api.example.com").status, 200)
            self.assertFalse(first.session_reused)
            session = first.session
        with tls_connect(self.gw.ports[listener], "api.example.com", self.ctx, session=session) as second:
            self.assertEqual(get(second, "/echo/2", host="api.example.com").status, 200)
            return second.session_reused

    def test_a_ticket_resumes(self):
        self.assertTrue(self.connect_twice("tickets"))

    def test_no_resumption_without_tickets(self):
        self.assertFalse(self.connect_twice("none"))

    def test_tickets_survive_a_config_reload(self):
        with tls_connect(self.gw.ports["tickets"], "api.example.com", self.ctx) as first:
            get(first, "/echo/1", host="api.example.com")
            session = first.session
        before = metric(self.gw.admin_port, "apigw_tls_certificate_reloads_total", listener="tickets", result="ok")
        self.gw.reload(base_config(listeners=self.listeners))
        self.assertTrue(wait_until(lambda: metric(self.gw.admin_port, "apigw_tls_certificate_reloads_total",
                                                  listener="tickets", result="ok") > before, 10))
        with tls_connect(self.gw.ports["tickets"], "api.example.com", self.ctx, session=session) as second:
            self.assertTrue(second.session_reused)


if __name__ == "__main__":
    unittest.main()
