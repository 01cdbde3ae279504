"""Python ssl clients for the TLS system tests."""

import socket
import ssl

from harness import HOST, IO_TIMEOUT, ResponseReader, request_bytes, simple_get


def client_context(cafile, cert=None, alpn=("http/1.1",), check_hostname=True):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = check_hostname
    if cert:
        ctx.load_cert_chain(*cert)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


def tls_connect(port, server_name, ctx, session=None, timeout=IO_TIMEOUT):
    """A TLS connection to the gateway; server_name None sends no SNI."""
    raw = socket.create_connection((HOST, port), timeout=timeout)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        return ctx.wrap_socket(raw, server_hostname=server_name, session=session)
    except BaseException:
        raw.close()
        raise


def peer_cn(sock):
    """The commonName of the certificate the gateway presented (verified)."""
    for rdn in sock.getpeercert()["subject"]:
        for key, value in rdn:
            if key == "commonName":
                return value
    return None


def get(sock, path, host="localhost", headers=None):
    """One keep-alive GET on an open connection; returns the response."""
    sock.sendall(request_bytes("GET", path, headers=headers, host=host))
    return ResponseReader(sock).read_response()


def metric(admin_port, name, **labels):
    """The value of one sample of the admin /metrics page (0 when absent)."""
    body = simple_get(admin_port, "/metrics").body.decode()
    want = ",".join('%s="%s"' % (k, v) for k, v in labels.items())
    for line in body.splitlines():
        if line.startswith(name + "{" + want + "}") or (not labels and line.startswith(name + " ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
