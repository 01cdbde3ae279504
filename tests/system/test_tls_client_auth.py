"""Client certificates on TLS listeners: client_auth required and optional
against client_ca_file; the verified subject reaches handlers (the echo
handler shows Request::client_cert_subject) and a configured header."""

import shutil
import ssl
import tempfile
import unittest

from harness import HOST, Gateway, base_config, wait_until
from tls_certs import TestPKI
from tls_client import client_context, get, metric, tls_connect


class ClientAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="apigw-tls-")
        cls.pki = TestPKI(cls.dir + "/server")
        cls.clients = TestPKI(cls.dir + "/clients", name="apigw clients")
        cls.strangers = TestPKI(cls.dir + "/strangers", name="someone else")
        server = cls.pki.leaf("server", "api.example.com", dns=["api.example.com"], kind="ec")
        cls.alice = cls.clients.leaf("alice", "alice", dns=["alice.example.com"], kind="ec", client=True, chain=True)
        cls.mallory = cls.strangers.leaf("mallory", "mallory", kind="ec", client=True)
        cls.bob = cls.clients.leaf("bob", "bob", kind="ec", client=True, chain=True)
        cls.expired = cls.clients.leaf("expired", "alice", kind="ec", client=True, chain=True, days=-1)

        def listener(name, mode):
            return {"name": name, "address": HOST + ":0",
                    "tls": {"certificates": [{"cert_file": server[0], "key_file": server[1]}],
                            "client_auth": mode, "client_ca_file": cls.clients.ca,
                            "client_subject_header": "x-client-subject"}}
        routes = [{"name": "echo", "match": {"path": "/echo/{*rest}"}, "handler": "echo"},
                  {"name": "alice-only", "match": {"path": "/alice-only"}, "policies": ["alice"],
                   "respond": {"status": 200, "body": "hello alice"}}]
        policies = [{"name": "alice", "type": "acl", "allow": {"client_subjects": ["CN=alice, O=apigw tests"]}}]
        cls.gw = Gateway(base_config(listeners=[listener("required", "required"),
                                                listener("optional", "optional")],
                                     routes=routes, policies=policies)).start()

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def request(self, listener, cert=None, headers=None):
        ctx = client_context(self.pki.ca, cert=cert)
        with tls_connect(self.gw.ports[listener], "api.example.com", ctx) as s:
            resp = get(s, "/echo/me", host="api.example.com", headers=headers)
        self.assertEqual(resp.status, 200)
        body = resp.json()
        return body["tls"], [v for k, v in body["headers"] if k == "x-client-subject"]

    def failures(self, listener):
        return metric(self.gw.admin_port, "apigw_tls_handshake_failures_total", listener=listener,
                      reason="client_certificate")

    def refused(self, listener, cert):
        before = self.failures(listener)
        ctx = client_context(self.pki.ca, cert=cert)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # the refusal then comes within the handshake
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            with tls_connect(self.gw.ports[listener], "api.example.com", ctx) as s:
                get(s, "/echo/me", host="api.example.com")
        self.assertTrue(wait_until(lambda: self.failures(listener) == before + 1, 5))

    def test_required_with_a_verified_certificate(self):
        tls, header = self.request("required", cert=self.alice,
                                   headers=[("X-Client-Subject", "CN=admin")])  # spoofed: replaced
        self.assertEqual(tls["client_cert_subject"], "CN=alice, O=apigw tests")
        self.assertEqual(tls["client_cert_san"], "DNS:alice.example.com")
        self.assertEqual(header, ["CN=alice, O=apigw tests"])

    def test_required_without_a_certificate_is_refused(self):
        self.refused("required", None)

    def test_required_with_an_untrusted_certificate_is_refused(self):
        self.refused("required", self.mallory)

    def test_required_with_an_expired_certificate_is_refused(self):
        self.refused("required", self.expired)  # signed by the trusted CA, but expired yesterday

    def test_acl_allows_by_certificate_subject(self):
        def status(listener, cert):
            with tls_connect(self.gw.ports[listener], "api.example.com", client_context(self.pki.ca, cert=cert)) as s:
                return get(s, "/alice-only", host="api.example.com").status
        self.assertEqual(status("required", self.alice), 200)
        self.assertEqual(status("required", self.bob), 403)     # trusted, but not on the list
        self.assertEqual(status("optional", None), 403)          # no certificate: no identity

    def test_optional_without_a_certificate(self):
        tls, header = self.request("optional", headers=[("X-Client-Subject", "CN=admin")])
        self.assertEqual(tls["client_cert_subject"], "")
        self.assertEqual(header, [])  # the client's own value is removed

    def test_optional_with_a_certificate(self):
        tls, header = self.request("optional", cert=self.alice)
        self.assertEqual(header, ["CN=alice, O=apigw tests"])

    def test_optional_with_an_untrusted_certificate_is_refused(self):
        self.refused("optional", self.mallory)


if __name__ == "__main__":
    unittest.main()
