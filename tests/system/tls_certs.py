"""Test certificates made with the openssl CLI, in a directory of the test's own.

``TestPKI(dir)`` makes a root CA and an intermediate CA; ``leaf()`` issues a
server or client certificate (RSA or ECDSA) and writes ``NAME.pem`` (leaf, then
the intermediate when ``chain``) and ``NAME.key``. Nothing here is a secret:
every key is made for one test run and deleted with its directory.
"""

import os
import subprocess


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True, timeout=60)


def _new_key(path, kind, cwd):
    if kind == "rsa":
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path, cwd=cwd)
    else:
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path, cwd=cwd)


class TestPKI:
    def __init__(self, directory, name="apigw test"):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.ca = self._ca(name + " root", "ca")
        self.intermediate = self._ca(name + " intermediate", "intermediate", issuer="ca")

    def path(self, name):
        return os.path.join(self.dir, name)

    def _ca(self, cn, name, issuer=None):
        _new_key(name + ".key", "ec", self.dir)
        ext = name + ".ext"
        with open(self.path(ext), "w") as f:
            f.write("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                    "subjectKeyIdentifier=hash\n")
        if issuer is None:
            _openssl("req", "-x509", "-new", "-key", name + ".key", "-subj", "/CN=" + cn, "-days", "2",
                     "-out", name + ".pem", "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=self.dir)
        else:
            _openssl("req", "-new", "-key", name + ".key", "-subj", "/CN=" + cn, "-out", name + ".csr", cwd=self.dir)
            _openssl("x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem", "-CAkey", issuer + ".key",
                     "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", name + ".pem", cwd=self.dir)
        return self.path(name + ".pem")

    def leaf(self, name, cn, dns=(), kind="rsa", chain=False, client=False, days=2):
        """Issues NAME.pem / NAME.key; returns (cert_path, key_path)."""
        _new_key(name + ".key", kind, self.dir)
        _openssl("req", "-new", "-key", name + ".key", "-subj", "/CN=" + cn + "/O=apigw tests",
                 "-out", name + ".csr", cwd=self.dir)
        ext = ["basicConstraints=CA:FALSE",
               "extendedKeyUsage=" + ("clientAuth" if client else "serverAuth")]
        if dns:
            ext.append("subjectAltName=" + ",".join("DNS:" + d for d in dns))
        with open(self.path(name + ".ext"), "w") as f:
            f.write("\n".join(ext) + "\n")
        issuer = "intermediate" if chain else "ca"
        _openssl("x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem", "-CAkey", issuer + ".key",
                 "-CAcreateserial", "-days", str(days), "-extfile", name + ".ext", "-out", name + ".leaf.pem",
                 cwd=self.dir)
        with open(self.path(name + ".pem"), "w") as out:
            for part in [name + ".leaf.pem"] + (["intermediate.pem"] if chain else []):
                with open(self.path(part)) as f:
                    out.write(f.read())
        return self.path(name + ".pem"), self.path(name + ".key")
