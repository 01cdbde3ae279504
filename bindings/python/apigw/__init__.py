"""apigw for Python: an API gateway in your process, with handlers and
policies written in Python.

    import apigw
    g = apigw.Gateway(config)                 # dict or JSON text
    @g.handler("hello")
    def hello(req):
        return 200, {"content-type": "text/plain"}, b"hi"
    g.start()
    ...
    g.stop(); g.close()                       # or: with apigw.Gateway(config) as g: ...
"""
import ctypes
import json
import logging

from . import _native
from ._exchange import Headers, Request, Response
from ._native import lib

__all__ = ["Gateway", "Request", "Response", "Headers", "Error", "ConfigError", "version"]

log = logging.getLogger("apigw")

_ERRBUF = 64 * 1024  # room for every config error


class Error(Exception):
    """A failed call into apigw; .status is the C status code."""

    def __init__(self, status, message):
        super().__init__(message or lib.apigw_status_str(status).decode())
        self.status = status


class ConfigError(Error):
    """The config does not validate; .errors lists every error ("POINTER: message")."""

    def __init__(self, status, message):
        super().__init__(status, message)
        self.errors = message.splitlines()


def version():
    return lib.apigw_version().decode()


def _check(status, err):
    if status == _native.OK:
        return
    message = err.value.decode("utf-8", "replace")
    raise (ConfigError if status == _native.E_CONFIG else Error)(status, message)


def _json_bytes(config):
    text = config if isinstance(config, (str, bytes)) else json.dumps(config)
    return text.encode() if isinstance(text, str) else text


class Gateway:
    """A gateway built from a config (dict or JSON text).

    Register handlers, policies and rate-limit keys, then start() (worker threads of its own)
    or use it as a context manager. Python callbacks run on the worker threads
    and hold the GIL only while they run.
    """

    def __init__(self, config):
        self._handle = None
        self._keep = []  # ctypes callbacks and vtables must outlive the gateway
        data = _json_bytes(config)
        err = ctypes.create_string_buffer(_ERRBUF)
        out = ctypes.c_void_p()
        _check(lib.apigw_gateway_new_from_json(data, len(data), ctypes.byref(out), err, _ERRBUF), err)
        self._handle = out

    # Registration -----------------------------------------------------------

    def handler(self, name):
        """Decorator: fn(req) -> Response, (status, headers, body), (status, body) or a body.
        An exception becomes a 500 (and is logged)."""

        def register(fn):
            def call(user, req, res):
                try:
                    Response.of(fn(Request(req, writable=False))).write_to(res)
                    return _native.OK
                except BaseException:  # nothing may unwind into C
                    log.exception("apigw handler %r failed", name)
                    return _native.E_INTERNAL

            self._register(lib.apigw_gateway_add_handler, name, _native.HANDLER(call))
            return fn

        return register

    def policy(self, name):
        """Decorator: a policy stage run on each request of the routes that list it.
        fn(req) returns None to go on, or an answer (as a handler's) to answer at
        once; it may call req.set_header / req.set_consumer. An exception fails
        the request with a 500 (and is logged)."""

        def register(fn):
            def on_request(user, req, res):
                try:
                    answer = fn(Request(req, writable=True))
                    if answer is None:
                        return _native.CONTINUE
                    Response.of(answer).write_to(res)
                    return _native.RESPOND
                except BaseException:
                    log.exception("apigw policy %r failed", name)
                    return _native.FAIL

            vtable = _native.PolicyVtable(struct_size=ctypes.sizeof(_native.PolicyVtable),
                                          on_request=_native.PHASE(on_request))
            self._register(lib.apigw_gateway_add_policy, name, ctypes.byref(vtable), keep=vtable)
            return fn

        return register

    def response_body_policy(self, name, limit):
        """Decorator: a policy stage that reads or rewrites the answer's body on
        the routes that list it. fn(req, body, overflowed) gets the whole body
        (bytes) of answers up to `limit` bytes (a proxied answer is held until
        it ends) and returns a new body (bytes or str) or None to leave it. A
        longer answer streams on unchanged: fn is called once with what arrived
        and overflowed=True, and must return None. An exception, or a body
        returned for an overflowed answer, fails the request with a 500 (and
        is logged)."""

        def register(fn):
            def on_response_body(user, req, res):
                try:
                    overflowed = lib.apigw_response_body_overflowed(res) == 1
                    body = lib.apigw_response_body(res).bytes() or b""
                    new = fn(Request(req, writable=False), body, overflowed)
                    if new is None:
                        return _native.CONTINUE
                    data = new.encode() if isinstance(new, str) else bytes(new)
                    if lib.apigw_response_set_body(res, data, len(data)) != _native.OK:
                        raise ValueError("the answer overflowed %d bytes: its body cannot be replaced" % limit)
                    return _native.CONTINUE
                except BaseException:
                    log.exception("apigw policy %r failed", name)
                    return _native.FAIL

            if not hasattr(lib, "apigw_gateway_purge_cache"):
                raise Error(_native.E_STATE, "this libapigw has no response body phase (ABI 0.4 needed)")
            if limit <= 0:
                raise ValueError("limit is the largest body fn reads, in bytes: above 0")
            vtable = _native.PolicyVtable(struct_size=ctypes.sizeof(_native.PolicyVtable),
                                          on_response_body=_native.PHASE(on_response_body),
                                          response_body_limit=int(limit))
            self._register(lib.apigw_gateway_add_policy, name, ctypes.byref(vtable), keep=vtable)
            return fn

        return register

    def rate_limit_key(self, name):
        """Decorator: fn(req) -> str, bytes or None, the request's key for
        rate_limit and quota policies with "key": "host:NAME". None or empty
        means no key (the policy's missing_key applies); so does an exception
        (which is logged). fn may be called twice for keys over 256 bytes."""

        def register(fn):
            def call(user, req, buf, buflen):
                try:
                    key = fn(Request(req, writable=False))
                    data = (key.encode() if isinstance(key, str) else bytes(key)) if key else b""
                    if len(data) <= buflen:
                        ctypes.memmove(buf, data, len(data))
                    return len(data)
                except BaseException:  # nothing may unwind into C
                    log.exception("apigw rate-limit key %r failed", name)
                    return 0

            if not hasattr(lib, "apigw_gateway_add_rate_limit_key"):
                raise Error(_native.E_STATE, "this libapigw has no rate-limit key functions (ABI 0.3 needed)")
            self._register(lib.apigw_gateway_add_rate_limit_key, name, _native.RATE_LIMIT_KEY(call))
            return fn

        return register

    def _register(self, add, name, callback, keep=None):
        err = ctypes.create_string_buffer(_ERRBUF)
        _check(add(self._live(), name.encode(), callback, None, err, _ERRBUF), err)
        self._keep.append(keep if keep is not None else callback)

    # Life -------------------------------------------------------------------

    def start(self):
        """Binds the listeners and serves on worker threads; returns at once."""
        err = ctypes.create_string_buffer(_ERRBUF)
        _check(lib.apigw_gateway_start(self._live(), err, _ERRBUF), err)
        return self

    def reload(self, config):
        """Swaps in a new config; handlers and policies carry over. Raises
        ConfigError and keeps the old config serving if it does not validate."""
        data = _json_bytes(config)
        err = ctypes.create_string_buffer(_ERRBUF)
        _check(lib.apigw_gateway_reload_json(self._live(), data, len(data), err, _ERRBUF), err)

    def purge_cache(self, prefix="/"):
        """Removes the answers whose path starts with prefix ("/": all) from
        every cache policy; returns how many. Any thread."""
        if not hasattr(lib, "apigw_gateway_purge_cache"):
            raise Error(_native.E_STATE, "this libapigw has no cache purge (ABI 0.4 needed)")
        data = prefix.encode()
        removed = ctypes.c_uint64()
        err = ctypes.create_string_buffer(_ERRBUF)
        _check(lib.apigw_gateway_purge_cache(self._live(), data, len(data), ctypes.byref(removed), err, _ERRBUF), err)
        return removed.value

    def set_route_enabled(self, route, enabled):
        """The kill switch: a disabled route answers 503 with Retry-After until
        enabled again, across reloads. Raises Error (.status E_NOT_FOUND) for
        a route the running config does not have, E_STATE before start()."""
        if not hasattr(lib, "apigw_gateway_purge_cache"):
            raise Error(_native.E_STATE, "this libapigw has no route kill switch (ABI 0.4 needed)")
        err = ctypes.create_string_buffer(_ERRBUF)
        _check(lib.apigw_gateway_set_route_enabled(self._live(), route.encode(), 1 if enabled else 0, err, _ERRBUF),
               err)

    def set_rate_limit_override(self, policy, limit, burst=0):
        """Overrides rate_limit policy `policy` with a new limit (1..1e9) and
        burst (0..1e9), window unchanged, across reloads until removed. Raises
        Error (.status E_NOT_FOUND) for a policy the running config does not
        have, E_INVALID for a limit out of range, E_STATE before start()."""
        if not hasattr(lib, "apigw_gateway_purge_cache"):
            raise Error(_native.E_STATE, "this libapigw has no rate-limit overrides (ABI 0.4 needed)")
        err = ctypes.create_string_buffer(_ERRBUF)
        _check(lib.apigw_gateway_set_rate_limit_override(self._live(), policy.encode(), int(limit), int(burst), err,
                                                         _ERRBUF), err)

    def remove_rate_limit_override(self, policy):
        """Back to the config's limit. Raises Error (.status E_NOT_FOUND) when
        `policy` has no override."""
        if not hasattr(lib, "apigw_gateway_purge_cache"):
            raise Error(_native.E_STATE, "this libapigw has no rate-limit overrides (ABI 0.4 needed)")
        err = ctypes.create_string_buffer(_ERRBUF)
        _check(lib.apigw_gateway_remove_rate_limit_override(self._live(), policy.encode(), err, _ERRBUF), err)

    def stop(self, drain_ms=1000):
        """Stops accepting, lets requests in flight finish for up to drain_ms."""
        if self._handle:
            lib.apigw_gateway_stop(self._handle, int(drain_ms))

    def close(self):
        """Stops at once if needed and frees the gateway."""
        if self._handle:
            lib.apigw_gateway_free(self._handle)
            self._handle = None

    @property
    def address(self):
        """"IP:PORT" of the first listener, once started (useful with port 0)."""
        return self.addresses()[0]

    def addresses(self):
        out = []
        buf = ctypes.create_string_buffer(256)
        while lib.apigw_gateway_address(self._live(), len(out), buf, 256) == _native.OK:
            out.append(buf.value.decode())
        return out

    @property
    def active_requests(self):
        return lib.apigw_gateway_active_requests(self._live())

    def _live(self):
        if not self._handle:
            raise Error(_native.E_STATE, "the gateway was closed")
        return self._handle

    # `with Gateway(config) as g:` owns the gateway: register, start(), use;
    # leaving the block stops and frees it.
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass
