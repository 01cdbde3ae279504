"""TLS termination on a listener: SNI, wildcards, the default certificate,
ECDSA and RSA, chains, ALPN, and bad input (plain HTTP, garbage, truncated
handshakes, unknown names), with Python's ssl and curl as clients."""

import os
import shutil
import ssl
import subprocess
import tempfile
import unittest

from harness import HOST, Gateway, ResponseReader, base_config, connect, run_cli, wait_until
from tls_certs import TestPKI
from tls_client import client_context, get, metric, peer_cn, tls_connect


TLS_BUILT = os.environ.get("APIGW_WITH_TLS", "1") != "0"


@unittest.skipUnless(TLS_BUILT, "built with APIGW_WITH_TLS=OFF")
class TlsTestBase(unittest.TestCase):
    @classmethod
    def make_certs(cls):
        cls.dir = tempfile.mkdtemp(prefix="apigw-tls-")
        cls.pki = TestPKI(cls.dir)
        cls.rsa = cls.pki.leaf("rsa", "api.example.com", dns=["api.example.com"], kind="rsa")
        cls.ec = cls.pki.leaf("ec", "api.example.com ecdsa", dns=["api.example.com"], kind="ec")
        cls.wild = cls.pki.leaf("wild", "wild.example.org", dns=["*.example.org"], kind="ec", chain=True)
        cls.default = cls.pki.leaf("default", "default.example.net", dns=["default.example.net"], kind="rsa")

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def cert(cls, pair, names=None):
        c = {"cert_file": pair[0], "key_file": pair[1]}
        if names is not None:
            c["server_names"] = names
        return c


class TlsListenerTest(TlsTestBase):
    @classmethod
    def setUpClass(cls):
        cls.make_certs()
        tls = {"certificates": [cls.cert(cls.rsa, ["api.example.com"]), cls.cert(cls.ec, ["api.example.com"]),
                                cls.cert(cls.wild, ["*.example.org"]), cls.cert(cls.default)],
               "handshake_timeout_ms": 500}
        strict = {"certificates": [cls.cert(cls.rsa, ["api.example.com"])]}
        narrow = {"certificates": [cls.cert(cls.ec)], "ciphers": ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]}
        cfg = base_config(listeners=[{"name": "public", "address": HOST + ":0", "tls": tls},
                                     {"name": "strict", "address": HOST + ":0", "tls": strict},
                                     {"name": "narrow", "address": HOST + ":0", "tls": narrow}])
        cls.gw = Gateway(cfg).start()
        cls.ctx = client_context(cls.pki.ca)

    def failures(self, reason, listener="public"):
        return metric(self.gw.admin_port, "apigw_tls_handshake_failures_total", listener=listener, reason=reason)

    def assertServes(self, port=None):
        with tls_connect(port or self.gw.port, "api.example.com", self.ctx) as s:
            resp = get(s, "/echo/ok", host="api.example.com")
            self.assertEqual(resp.status, 200)

    def test_sni_picks_the_certificate_and_requests_are_answered(self):
        with tls_connect(self.gw.port, "api.example.com", self.ctx) as s:
            self.assertIn(peer_cn(s), ("api.example.com", "api.example.com ecdsa"))
            self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
            self.assertIn(s.version(), ("TLSv1.2", "TLSv1.3"))
            for i in range(3):  # keep-alive over one TLS connection
                resp = get(s, "/echo/x%d" % i, host="api.example.com")
                self.assertEqual(resp.status, 200)
                self.assertEqual(resp.json()["path"], "/echo/x%d" % i)

    def test_ecdsa_or_rsa_follows_the_client_suites(self):
        for suite, cn in (("ECDHE-ECDSA-AES128-GCM-SHA256", "api.example.com ecdsa"),
                          ("ECDHE-RSA-AES128-GCM-SHA256", "api.example.com")):
            ctx = client_context(self.pki.ca)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_ciphers(suite)
            with tls_connect(self.gw.port, "api.example.com", ctx) as s:
                self.assertEqual(peer_cn(s), cn)
                self.assertEqual(s.cipher()[0], suite)

    def refused_suite(self, listener, suite):
        before = self.failures("no_shared_cipher", listener)
        ctx = client_context(self.pki.ca, check_hostname=False)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(suite)
        with self.assertRaises(ssl.SSLError):
            tls_connect(self.gw.ports[listener], None, ctx).close()
        self.assertEqual(self.failures("no_shared_cipher", listener), before + 1)

    def test_defaults_refuse_suites_without_forward_secrecy_or_aead(self):
        self.refused_suite("public", "AES128-GCM-SHA256")  # RSA key exchange
        self.refused_suite("public", "ECDHE-RSA-AES128-SHA256")  # CBC

    def test_ciphers_option(self):
        self.refused_suite("narrow", "ECDHE-ECDSA-AES128-GCM-SHA256")
        ctx = client_context(self.pki.ca, check_hostname=False)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        with tls_connect(self.gw.ports["narrow"], None, ctx) as s:
            self.assertEqual(s.cipher()[0], "ECDHE-ECDSA-AES256-GCM-SHA384")

    def test_wildcard_with_a_chain(self):
        with tls_connect(self.gw.port, "shop.example.org", self.ctx) as s:
            self.assertEqual(peer_cn(s), "wild.example.org")  # verified through the intermediate
        # One label only: a.b.example.org is not *.example.org; the default answers.
        ctx = client_context(self.pki.ca, check_hostname=False)
        with tls_connect(self.gw.port, "a.b.example.org", ctx) as s:
            self.assertEqual(peer_cn(s), "default.example.net")

    def test_no_sni_gets_the_default(self):
        ctx = client_context(self.pki.ca, check_hostname=False)
        with tls_connect(self.gw.port, None, ctx) as s:
            self.assertEqual(peer_cn(s), "default.example.net")

    def test_unknown_name_without_a_default_is_refused(self):
        before = self.failures("unknown_server_name", "strict")
        ctx = client_context(self.pki.ca, check_hostname=False)
        with self.assertRaises(ssl.SSLError):
            tls_connect(self.gw.ports["strict"], "other.example.com", ctx).close()
        self.assertEqual(self.failures("unknown_server_name", "strict"), before + 1)
        # Without SNI, the first certificate answers.
        with tls_connect(self.gw.ports["strict"], None, ctx) as s:
            self.assertEqual(peer_cn(s), "api.example.com")
        self.assertServes(self.gw.ports["strict"])

    def test_curl(self):
        port = self.gw.port
        out = subprocess.run(
            ["curl", "-sS", "--max-time", "5", "--cacert", self.pki.ca,
             "--resolve", "api.example.com:%d:127.0.0.1" % port,
             "--resolve", "shop.example.org:%d:127.0.0.1" % port,
             "-w", "\n%{http_code} %{http_version}\n",
             "https://api.example.com:%d/echo/curl" % port, "https://shop.example.org:%d/echo/wild" % port],
            capture_output=True, text=True, timeout=15)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.count("200 1.1"), 2, out.stdout)

    def test_plain_http_on_the_tls_port_is_closed_and_counted(self):
        before = self.failures("not_tls")
        s = connect(self.gw.port)
        try:
            s.sendall(b"GET /echo/x HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertTrue(ResponseReader(s).is_closed())
        finally:
            s.close()
        self.assertEqual(self.failures("not_tls"), before + 1)
        self.assertServes()

    def test_garbage_after_a_record_header_is_closed(self):
        before = self.failures("protocol")
        s = connect(self.gw.port)
        try:
            s.sendall(b"\x16\x03\x01\x00\x20" + os.urandom(32))
            self.assertTrue(ResponseReader(s).is_closed())
        finally:
            s.close()
        self.assertEqual(self.failures("protocol"), before + 1)
        self.assertServes()

    def test_truncated_handshake_is_counted(self):
        before = self.failures("truncated")
        s = connect(self.gw.port)
        s.sendall(b"\x16\x03\x01\x02\x00\x01\x00")  # a ClientHello header, then nothing
        s.close()
        self.assertServes()
        # The close and the count happen on the gateway's loop, maybe after our next scrape.
        self.assertTrue(wait_until(lambda: self.failures("truncated") == before + 1, 5))

    def test_handshake_timeout(self):
        before = self.failures("timeout")
        s = connect(self.gw.port)
        try:
            s.sendall(b"\x16\x03\x01")  # a record header cut short; then silence
            self.assertTrue(ResponseReader(s).is_closed(timeout=5))
        finally:
            s.close()
        self.assertEqual(self.failures("timeout"), before + 1)

    def test_old_protocol_versions_are_refused(self):
        before = self.failures("version")
        ctx = client_context(self.pki.ca)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        try:
            ctx.set_ciphers("ALL:@SECLEVEL=0")
        except ssl.SSLError:
            self.skipTest("this OpenSSL cannot offer TLS 1.1")
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            tls_connect(self.gw.port, "api.example.com", ctx).close()
        self.assertServes()
        self.assertEqual(self.failures("version"), before + 1)

    def test_private_keys_never_logged(self):
        with open(self.rsa[1]) as f:
            key_line = f.read().splitlines()[1]
        self.assertNotIn(key_line, self.gw.logs())


@unittest.skipUnless(TLS_BUILT, "built with APIGW_WITH_TLS=OFF")
class TlsConfigErrorsTest(unittest.TestCase):
    def test_validate_reports_a_key_that_does_not_match(self):
        d = tempfile.mkdtemp(prefix="apigw-tls-")
        try:
            pki = TestPKI(d)
            a = pki.leaf("a", "a.example.com", kind="ec")
            b = pki.leaf("b", "b.example.com", kind="ec")
            gw = Gateway(base_config(listeners=[{"name": "public", "address": HOST + ":0",
                                                 "tls": {"certificates": [{"cert_file": a[0], "key_file": b[1]}]}}]))
            gw.write_config()
            r = run_cli(["validate", "--config", gw.config_path])
            gw.close()
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("does not belong to cert_file", r.stdout + r.stderr)
            with open(b[1]) as f:
                self.assertNotIn(f.read().splitlines()[1], r.stdout + r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)


@unittest.skipIf(TLS_BUILT, "TLS is built in")
class TlsNotBuiltTest(unittest.TestCase):
    def test_a_tls_config_is_refused_clearly(self):
        cfg = base_config(listeners=[{"name": "public", "address": HOST + ":0",
                                      "tls": {"certificates": [{"cert_file": "a.pem", "key_file": "a.key"}]}}],
                          upstreams=[{"name": "u", "targets": [{"address": "127.0.0.1:9"}],
                                      "tls": {"server_name": "u.internal"}}])
        gw = Gateway(cfg)
        try:
            gw.write_config()
            r = run_cli(["validate", "--config", gw.config_path])
        finally:
            gw.close()
        self.assertEqual(r.returncode, 1)
        self.assertIn("/listeners/0/tls: TLS is not in this build (built with APIGW_WITH_TLS=OFF)", r.stdout + r.stderr)
        self.assertIn("/upstreams/0/tls: TLS is not in this build", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
