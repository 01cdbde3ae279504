"""Certificate reload: a certificate replaced on disk, or a config reload
naming another one, serves new handshakes while open connections go on."""

import os
import shutil
import tempfile
import unittest

from harness import HOST, Gateway, base_config, wait_until
from tls_certs import TestPKI
from tls_client import client_context, get, metric, peer_cn, tls_connect


def replace_files(pair, into):
    """Copies a cert and key over `into`'s files, each by an atomic rename."""
    for src, dst in zip(pair, into):
        tmp = dst + ".new"
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)


class CertificateReloadTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="apigw-tls-")
        self.pki = TestPKI(self.dir)
        self.v1 = self.pki.leaf("v1", "v1 api.example.com", dns=["api.example.com"], kind="ec")
        self.v2 = self.pki.leaf("v2", "v2 api.example.com", dns=["api.example.com"], kind="ec")
        self.v3 = self.pki.leaf("v3", "v3 api.example.com", dns=["api.example.com"], kind="rsa")
        self.live = (os.path.join(self.dir, "live.pem"), os.path.join(self.dir, "live.key"))
        replace_files(self.v1, self.live)
        self.gw = Gateway(self.config(self.live)).start()
        self.ctx = client_context(self.pki.ca)

    def tearDown(self):
        self.gw.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def config(pair):
        tls = {"certificates": [{"cert_file": pair[0], "key_file": pair[1]}], "reload_check_ms": 100}
        return base_config(listeners=[{"name": "public", "address": HOST + ":0", "tls": tls}])

    def reloads(self, result):
        return metric(self.gw.admin_port, "apigw_tls_certificate_reloads_total", listener="public", result=result)

    def new_handshake_cn(self):
        with tls_connect(self.gw.port, "api.example.com", self.ctx) as s:
            return peer_cn(s)

    def test_replaced_on_disk_while_a_connection_stays_open(self):
        kept = tls_connect(self.gw.port, "api.example.com", self.ctx)
        try:
            self.assertEqual(get(kept, "/echo/1", host="api.example.com").status, 200)
            self.assertEqual(peer_cn(kept), "v1 api.example.com")
            replace_files(self.v2, self.live)
            self.assertTrue(wait_until(lambda: self.reloads("ok") >= 1, 10), self.gw.logs())
            self.assertEqual(self.new_handshake_cn(), "v2 api.example.com")
            # The open connection goes on, on the certificate it was made with.
            self.assertEqual(get(kept, "/echo/2", host="api.example.com").status, 200)
            self.assertEqual(peer_cn(kept), "v1 api.example.com")
        finally:
            kept.close()

    def test_a_broken_file_keeps_the_old_certificate(self):
        with open(self.live[0] + ".new", "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
        os.replace(self.live[0] + ".new", self.live[0])
        self.assertTrue(wait_until(lambda: self.reloads("error") >= 1, 10))
        self.assertEqual(self.new_handshake_cn(), "v1 api.example.com")
        self.assertEqual(self.reloads("error"), 1)  # reported once, not at every check
        replace_files(self.v2, self.live)  # fixed: picked up
        self.assertTrue(wait_until(lambda: self.reloads("ok") >= 1, 10))
        self.assertEqual(self.new_handshake_cn(), "v2 api.example.com")

    def test_config_reload_names_another_certificate(self):
        kept = tls_connect(self.gw.port, "api.example.com", self.ctx)
        try:
            self.gw.reload(self.config(self.v3))
            self.assertTrue(wait_until(lambda: self.reloads("ok") >= 1, 10), self.gw.logs())
            self.assertEqual(self.new_handshake_cn(), "v3 api.example.com")
            self.assertEqual(get(kept, "/echo/still", host="api.example.com").status, 200)
            self.assertEqual(peer_cn(kept), "v1 api.example.com")
        finally:
            kept.close()


if __name__ == "__main__":
    unittest.main()
