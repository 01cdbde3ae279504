"""Shared helpers for the apigw system tests.

Everything here is stdlib only and bounded in time:

* ``Gateway`` writes a config (dict -> JSON file), starts ``apigw run``, waits
  for the ``listening on`` lines, exposes the real ports and always stops the
  process (SIGTERM, then SIGKILL after a timeout).
* ``connect`` / ``ResponseReader`` / ``exchange`` talk raw HTTP/1.1 over
  sockets: send exact bytes, parse responses (Content-Length, chunked,
  until-close), read pipelined responses in order, detect a closed connection.
"""

import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
IO_TIMEOUT = 5.0

LISTEN_RE = re.compile(r"^apigw \S+: (\S+) listening on https?://([0-9.]+):(\d+)\s*$")


def apigw_bin():
    """Path of the gateway binary: $APIGW_BIN or ../../build/apigw."""
    path = os.environ.get("APIGW_BIN") or os.path.join(HERE, "..", "..", "build", "apigw")
    return os.path.abspath(path)


def run_cli(args, timeout=15.0, env=None):
    """Runs `apigw ARGS...` to completion; returns CompletedProcess (text)."""
    return subprocess.run([apigw_bin()] + list(args), capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def base_config(routes=None, policies=None, limits=None, admin=True, listeners=None, **extra):
    """A config dict with port-0 listeners on 127.0.0.1."""
    cfg = {"listeners": listeners or [{"name": "public", "address": HOST + ":0"}]}
    if admin:
        cfg["admin"] = {"address": HOST + ":0"}
    if limits:
        cfg["limits"] = limits
    if policies:
        cfg["policies"] = policies
    cfg["routes"] = routes if routes is not None else [
        {"name": "echo", "match": {"path": "/echo/{*rest}"}, "handler": "echo"},
    ]
    cfg.update(extra)
    return cfg



class JsonOrigin(http.server.ThreadingHTTPServer):
    """A loopback origin (Python's http.server) answering every request with
    JSON about what reached it: its name, method, path, body and headers.
    Counts requests."""

    daemon_threads = True

    def __init__(self, name=""):
        self.name = name
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self._answer()

            do_POST = do_PUT = do_DELETE = do_OPTIONS = do_GET

            def _answer(self):
                server = self.server
                server.requests += 1
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                data = json.dumps({"origin": server.name, "method": self.command, "path": self.path,
                                   "body": body,
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

    @property
    def address(self):
        return f"{HOST}:{self.server_address[1]}"

    def stop(self):
        self.shutdown()
        self.server_close()

def port_is_bound(port, host=HOST):
    """True when something already listens on host:port (a bind attempt fails)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((host, port))
        return False
    except OSError:
        return True
    finally:
        s.close()


class _LineCollector:
    """Drains a pipe on a thread so the child never blocks; lines can be awaited."""

    def __init__(self, pipe):
        self._lines = []
        self._cond = threading.Condition()
        self._eof = False
        self._thread = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self._thread.start()

    def _run(self, pipe):
        try:
            for raw in iter(pipe.readline, b""):
                with self._cond:
                    self._lines.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    @property
    def lines(self):
        with self._cond:
            return list(self._lines)

    def text(self):
        return "\n".join(self.lines)

    def wait_for(self, predicate, timeout):
        """Waits until predicate(lines) is truthy (returns its value) or EOF/timeout (None)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(self._lines)
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if self._eof or remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def join(self, timeout):
        self._thread.join(timeout)


class GatewayError(AssertionError):
    pass


class Gateway:
    """One `apigw run` process.

    config=None runs the quickstart (no --config). Use as a context manager or
    call start()/stop(); stop() is idempotent and always leaves no process.
    """

    def __init__(self, config=None, args=(), env=None, expect=None):
        self.config = config
        self.args = list(args)
        self.env = env
        self.proc = None
        self.ports = {}
        self.stdout = None
        self.stderr = None
        self.returncode = None
        self._dir = tempfile.mkdtemp(prefix="apigw-systest-")
        self.config_path = os.path.join(self._dir, "config.json") if config is not None else None
        if expect is not None:
            self._expect = list(expect)
        elif config is None:
            self._expect = ["public", "admin"]
        else:
            self._expect = [l["name"] for l in config.get("listeners", [])]
            if "admin" in config:
                self._expect.append("admin")

    # ---- lifecycle -------------------------------------------------------
    def write_config(self, config=None, raw=None):
        """Rewrites the config file atomically (a dict, or raw text)."""
        if config is not None:
            self.config = config
        text = raw if raw is not None else json.dumps(self.config, indent=2)
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)

    def start(self, timeout=START_TIMEOUT):
        cmd = [apigw_bin(), "run"]
        if self.config is not None:
            self.write_config()
            cmd += ["--config", self.config_path]
        cmd += self.args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.env)
        self.stdout = _LineCollector(self.proc.stdout)
        self.stderr = _LineCollector(self.proc.stderr)
        expected = set(self._expect)

        def ready(lines):
            found = {}
            for line in lines:
                m = LISTEN_RE.match(line)
                if m:
                    found[m.group(1)] = int(m.group(3))
            return found if expected.issubset(found) else None

        found = self.stdout.wait_for(ready, timeout)
        if not found:
            self.stop(timeout=2)
            raise GatewayError("apigw did not report listening on %s within %.1fs (rc=%r)\n"
                               "stdout:\n%s\nstderr:\n%s" % (sorted(expected), timeout, self.returncode,
                                                             self.stdout.text(), self.stderr.text()))
        self.ports = found
        return self

    @property
    def port(self):
        """Port of the first configured listener."""
        return self.ports[self._expect[0]]

    @property
    def admin_port(self):
        return self.ports["admin"]

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def reload(self, config=None, raw=None):
        """Writes a new config file and sends SIGHUP."""
        self.write_config(config, raw)
        self.send_signal(signal.SIGHUP)

    def wait(self, timeout):
        """Waits for exit; returns the exit code or None on timeout."""
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """SIGTERM (or sig), then SIGKILL after timeout. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.returncode = self.proc.returncode
        self.stdout.join(2)
        self.stderr.join(2)
        for pipe in (self.proc.stdout, self.proc.stderr):
            try:
                pipe.close()
            except OSError:
                pass
        return self.returncode

    def close(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def logs(self):
        out = self.stdout.text() if self.stdout else ""
        err = self.stderr.text() if self.stderr else ""
        return "stdout:\n%s\nstderr:\n%s" % (out, err)


class GatewayTestCase(unittest.TestCase):
    """Starts one gateway per test class from CONFIG (a dict or a callable)."""

    CONFIG = None  # dict; None means quickstart
    ARGS = ()

    @classmethod
    def setUpClass(cls):
        cfg = cls.CONFIG() if callable(cls.CONFIG) else cls.CONFIG
        cls.gw = Gateway(cfg, args=cls.ARGS)
        try:
            cls.gw.start()
        except BaseException:
            cls.gw.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()

    def assertAlive(self):
        self.assertTrue(self.gw.alive(), "gateway died\n" + self.gw.logs())


class OriginGatewayTestCase(unittest.TestCase):
    """One origin (cls.origin, made first by setUpClass) and one gateway in
    front of it per test class: setUpClass ends with start_gateway(...)."""

    @classmethod
    def start_gateway(cls, gw, before_start=None):
        """Starts gw as cls.gw; on failure stops both and re-raises.
        before_start may write files beside gw.config_path."""
        cls.gw = gw
        try:
            if before_start:
                before_start()
            gw.start()
        except BaseException:
            gw.close()
            cls.origin.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gw.close()
        cls.origin.stop()

    def request(self, method, path, headers=None, body=None):
        conn = http.client.HTTPConnection(HOST, self.gw.port, timeout=5)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r, data


# ---- raw sockets ----------------------------------------------------------

def connect(port, host=HOST, timeout=IO_TIMEOUT):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class HTTPResponse:
    def __init__(self, version, status, reason, headers, body, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as received
        self.body = body
        self.raw_head = raw_head

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def wants_close(self):
        tokens = [t.strip().lower() for v in self.header_all("connection") for t in v.split(",")]
        return "close" in tokens

    def __repr__(self):
        return "<HTTPResponse %s %d %r body=%r>" % (self.version, self.status, self.headers, self.body[:200])


class ConnectionClosed(AssertionError):
    pass


class ResponseReader:
    """Reads HTTP/1.x responses from a socket, one after the other (pipelining-safe)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("deadline passed waiting for response bytes (have %r)" % self.buf[:200])
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
        self.buf += data
        return bool(data)

    def _read_line(self, deadline):
        while b"\r\n" not in self.buf:
            if self.eof or not self._fill(deadline):
                raise ConnectionClosed("connection closed mid-line; have %r" % self.buf[:200])
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read_exact(self, n, deadline):
        while len(self.buf) < n:
            if self.eof or not self._fill(deadline):
                raise ConnectionClosed("connection closed with %d of %d body bytes" % (len(self.buf), n))
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, timeout=IO_TIMEOUT, head=False):
        """Parses one response. head=True: the request was HEAD (no body)."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if self.eof or not self._fill(deadline):
                if not self.buf:
                    raise ConnectionClosed("connection closed before any response byte")
                raise ConnectionClosed("connection closed mid-head; have %r" % self.buf[:300])
        raw_head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw_head.split(b"\r\n")
        m = re.match(rb"^(HTTP/\d\.\d) (\d{3})(?: (.*))?$", lines[0])
        if not m:
            raise AssertionError("bad status line %r" % lines[0])
        version, status, reason = m.group(1).decode(), int(m.group(2)), (m.group(3) or b"").decode("latin-1")
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise AssertionError("bad response header line %r" % line)
            headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
        resp = HTTPResponse(version, status, reason, headers, b"", raw_head)
        if head or 100 <= status < 200 or status in (204, 304):
            return resp
        te = resp.header("transfer-encoding")
        cl = resp.header("content-length")
        if te is not None and "chunked" in te.lower():
            body = b""
            while True:
                size = int(self._read_line(deadline).split(b";")[0].strip(), 16)
                if size == 0:
                    while self._read_line(deadline):
                        pass
                    break
                body += self._read_exact(size, deadline)
                if self._read_line(deadline) != b"":
                    raise AssertionError("bad chunk terminator")
            resp.body = body
        elif cl is not None:
            resp.body = self._read_exact(int(cl), deadline)
        else:
            while not self.eof:
                self._fill(deadline)
            resp.body, self.buf = self.buf, b""
        return resp

    def read_final_response(self, timeout=IO_TIMEOUT, head=False):
        """Skips 1xx interim responses."""
        deadline = time.monotonic() + timeout
        while True:
            resp = self.read_response(max(0.0, deadline - time.monotonic()), head=head)
            if resp.status >= 200 or resp.status == 101:
                return resp

    def is_closed(self, timeout=IO_TIMEOUT):
        """True when the peer closes (EOF/RST) within timeout; unread extra bytes fail."""
        deadline = time.monotonic() + timeout
        try:
            while not self.eof:
                self._fill(deadline)
        except socket.timeout:
            return False
        return True

    def read_until_close(self, timeout=IO_TIMEOUT):
        deadline = time.monotonic() + timeout
        while not self.eof:
            self._fill(deadline)
        data, self.buf = self.buf, b""
        return data


def send_all(sock, data):
    sock.sendall(data)


def exchange(port, data, timeout=IO_TIMEOUT, head=False):
    """New connection, send bytes, read one response. Returns (response, reader, sock).

    The caller owns sock (close it); reader can read more or check is_closed().
    """
    sock = connect(port, timeout=timeout)
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    reader = ResponseReader(sock)
    return reader.read_response(timeout, head=head), reader, sock


def request_bytes(method, path, headers=None, body=b"", version="HTTP/1.1", host="localhost"):
    """Builds a request; adds Host and Content-Length (when body) unless given."""
    headers = list(headers or [])
    names = {k.lower() for k, _ in headers}
    if host is not None and "host" not in names:
        headers.insert(0, ("Host", host))
    if body and "content-length" not in names and "transfer-encoding" not in names:
        headers.append(("Content-Length", str(len(body))))
    head = "%s %s %s\r\n" % (method, path, version)
    head += "".join("%s: %s\r\n" % (k, v) for k, v in headers)
    return head.encode("latin-1") + b"\r\n" + body


def simple_get(port, path, headers=None, timeout=IO_TIMEOUT):
    """One GET with Connection: close over a fresh socket."""
    hdrs = list(headers or []) + [("Connection", "close")]
    resp, reader, sock = exchange(port, request_bytes("GET", path, hdrs), timeout)
    sock.close()
    return resp


def wait_until(predicate, timeout, interval=0.02):
    """Polls predicate until truthy (returns it) or timeout (returns last value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def metric_value(gw, name):
    """Value of one sample (`name` includes labels) from the admin /metrics, or None."""
    text = simple_get(gw.admin_port, "/metrics").body.decode()
    m = re.search(r"(?m)^%s (\d+(?:\.\d+)?)$" % re.escape(name), text)
    return float(m.group(1)) if m else None


def active_requests(gw):
    """apigw_requests_active; the /metrics request itself counts as one."""
    v = metric_value(gw, "apigw_requests_active")
    return -1 if v is None else int(v)


def wait_request_started(gw, count=1, timeout=5.0):
    """Waits until the gateway has begun parsing `count` requests (besides /metrics).

    This is the observable event for "the gateway has read what was sent so
    far" when a test must split a request across reads.
    """
    return wait_until(lambda: active_requests(gw) >= count + 1, timeout)
