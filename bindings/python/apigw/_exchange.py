"""Request and Response as Python code sees them inside a handler or policy."""
import collections.abc
import ctypes

from . import _native
from ._native import lib


class Headers(collections.abc.Mapping):
    """Request headers: names are case-insensitive; a repeated name gives its first value."""

    def __init__(self, pairs=()):
        self._items = list(pairs)
        self._first = {}
        for k, v in self._items:
            self._first.setdefault(k.lower(), v)

    def __getitem__(self, name):
        return self._first[name.lower()]

    def __iter__(self):
        return iter(self._first)

    def __len__(self):
        return len(self._first)

    def get_all(self, name):
        name = name.lower()
        return [v for k, v in self._items if k.lower() == name]

    def __repr__(self):
        return "Headers(%r)" % self._items


def _pairs(handle, count, at):
    name, value = _native.Str(), _native.Str()
    out = []
    for i in range(count(handle)):
        if at(handle, i, ctypes.byref(name), ctypes.byref(value)) == _native.OK:
            out.append((name.text(), value.text()))
    return out


class Request:
    """A copy of the request, taken when the callback starts.

    method, path, query (str), headers (Headers), body (bytes), params (dict),
    consumer (str or None), client_ip (str). set_header and set_consumer work
    in policies, during the call only.
    """

    __slots__ = ("method", "path", "query", "headers", "body", "params", "consumer", "client_ip", "_handle")

    def __init__(self, handle, writable):
        self.method = lib.apigw_request_method(handle).text()
        self.path = lib.apigw_request_path(handle).text()
        self.query = lib.apigw_request_query(handle).text() or ""
        self.body = lib.apigw_request_body(handle).bytes() or b""
        self.consumer = lib.apigw_request_consumer(handle).text()
        self.client_ip = lib.apigw_request_client_ip(handle).text()
        self.headers = Headers(_pairs(handle, lib.apigw_request_header_count, lib.apigw_request_header_at))
        self.params = dict(_pairs(handle, lib.apigw_request_param_count, lib.apigw_request_param_at))
        self._handle = handle if writable else None

    def set_header(self, name, value):
        self._writable().apigw_request_set_header(self._handle, name.encode(), value.encode())

    def set_consumer(self, consumer_id):
        self._writable().apigw_request_set_consumer(self._handle, consumer_id.encode())
        self.consumer = consumer_id

    def _writable(self):
        if self._handle is None:
            raise RuntimeError("the request can be changed only by a policy, during its call")
        return lib


class Response:
    """An answer: status, headers (dict or list of pairs), body (bytes or str)."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status=200, headers=None, body=b""):
        self.status = status
        self.headers = headers or {}
        self.body = body

    @classmethod
    def of(cls, value):
        """What a handler may return: a Response, (status, headers, body),
        (status, body), or a body alone (200)."""
        if isinstance(value, Response):
            return value
        if isinstance(value, tuple):
            if len(value) == 3:
                return cls(*value)
            if len(value) == 2:
                return cls(value[0], None, value[1])
        if isinstance(value, (bytes, str)):
            return cls(200, None, value)
        raise TypeError("a handler returns a Response, (status, headers, body), (status, body) or a body; got %r"
                        % (value,))

    def write_to(self, handle):
        """Sets this answer on an apigw_response handle."""
        if lib.apigw_response_set_status(handle, int(self.status)) != _native.OK:
            raise ValueError("status %r is not 100..599" % (self.status,))
        headers = self.headers.items() if isinstance(self.headers, collections.abc.Mapping) else self.headers
        for k, v in headers:
            if lib.apigw_response_set_header(handle, str(k).encode(), str(v).encode()) != _native.OK:
                raise ValueError("bad header %r" % (k,))
        body = self.body.encode() if isinstance(self.body, str) else bytes(self.body)
        lib.apigw_response_set_body(handle, body, len(body))
