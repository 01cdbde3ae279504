"""Finds libapigw.so and declares the C ABI (include/apigw/apigw.h) for ctypes.

ctypes.CDLL releases the GIL around every call into the library, and a
CFUNCTYPE callback takes it back only while Python code runs.
"""
import ctypes
import ctypes.util
import os

OK = 0
E_INVALID = -1
E_CONFIG = -2
E_STATE = -3
E_IO = -4
E_NOMEM = -5
E_INTERNAL = -6
E_NOT_FOUND = -7

CONTINUE, RESPOND, PAUSE, FAIL = 0, 1, 2, 3

ABI_MAJOR = 0


class Str(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    def bytes(self):
        return None if not self.ptr else ctypes.string_at(self.ptr, self.len)

    def text(self):
        b = self.bytes()
        return None if b is None else b.decode("utf-8", "replace")


HANDLER = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
PHASE = HANDLER  # (user, req, res) -> decision
LOG = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
# (user, req, buf, buflen) -> the key's length (0: no key)
RATE_LIMIT_KEY = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)


class PolicyVtable(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("on_request", PHASE),
        ("on_request_body", PHASE),
        ("select_upstream", PHASE),
        ("on_upstream_request", PHASE),
        ("on_upstream_response", PHASE),
        ("on_response", PHASE),
        ("on_response_body", PHASE),
        ("on_log", LOG),
        ("needs_request_body", ctypes.c_int32),
        ("response_body_limit", ctypes.c_size_t),  # ABI 0.4; an older library reads no further than its own
    ]


def _candidates():
    env = os.environ.get("APIGW_LIBRARY")
    if env:
        yield env
        return  # an explicit choice is never second-guessed
    here = os.path.dirname(os.path.abspath(__file__))
    for name in sorted(os.listdir(here)):
        if name.startswith("libapigw.so"):
            yield os.path.join(here, name)
    found = ctypes.util.find_library("apigw")
    yield found or "libapigw.so.%d" % ABI_MAJOR


def _load():
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append("%s: %s" % (path, e))
    raise ImportError("cannot load libapigw (set APIGW_LIBRARY): " + "; ".join(errors))


lib = _load()

_p = ctypes.c_void_p
_pp = ctypes.POINTER(ctypes.c_void_p)
_s = ctypes.c_char_p
_n = ctypes.c_size_t
_i32 = ctypes.c_int32


def _declare(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


_declare("apigw_abi_version", ctypes.c_uint32)
_declare("apigw_version", _s)
_declare("apigw_status_name", _s, _i32)
_declare("apigw_status_str", _s, _i32)
_declare("apigw_gateway_new_from_json", _i32, _s, _n, _pp, _p, _n)
_declare("apigw_gateway_add_handler", _i32, _p, _s, HANDLER, _p, _p, _n)
_declare("apigw_gateway_add_policy", _i32, _p, _s, ctypes.POINTER(PolicyVtable), _p, _p, _n)
if hasattr(lib, "apigw_gateway_add_rate_limit_key"):  # ABI 0.3
    _declare("apigw_gateway_add_rate_limit_key", _i32, _p, _s, RATE_LIMIT_KEY, _p, _p, _n)
_declare("apigw_gateway_start", _i32, _p, _p, _n)
_declare("apigw_gateway_run", _i32, _p, _p, _n)
_declare("apigw_gateway_reload_json", _i32, _p, _s, _n, _p, _n)
_declare("apigw_gateway_stop", None, _p, ctypes.c_int64)
_declare("apigw_gateway_free", None, _p)
_declare("apigw_gateway_address", _i32, _p, _n, _p, _n)
_declare("apigw_gateway_active_requests", ctypes.c_uint64, _p)
for _name in ("method", "path", "query", "body", "client_ip", "consumer"):
    _declare("apigw_request_" + _name, Str, _p)
_declare("apigw_request_header", Str, _p, _s)
_declare("apigw_request_param", Str, _p, _s)
_declare("apigw_request_header_count", _n, _p)
_declare("apigw_request_header_at", _i32, _p, _n, ctypes.POINTER(Str), ctypes.POINTER(Str))
_declare("apigw_request_param_count", _n, _p)
_declare("apigw_request_param_at", _i32, _p, _n, ctypes.POINTER(Str), ctypes.POINTER(Str))
_declare("apigw_request_set_header", _i32, _p, _s, _s)
_declare("apigw_request_set_consumer", _i32, _p, _s)
_declare("apigw_response_set_status", _i32, _p, _i32)
_declare("apigw_response_set_header", _i32, _p, _s, _s)
_declare("apigw_response_set_body", _i32, _p, ctypes.c_char_p, _n)
_declare("apigw_response_status", _i32, _p)
_declare("apigw_response_header", Str, _p, _s)
if hasattr(lib, "apigw_gateway_purge_cache"):  # ABI 0.4
    _declare("apigw_response_body", Str, _p)
    _declare("apigw_response_body_overflowed", _i32, _p)
    _declare("apigw_gateway_purge_cache", _i32, _p, ctypes.c_char_p, _n, ctypes.POINTER(ctypes.c_uint64), _p, _n)
    _declare("apigw_gateway_set_route_enabled", _i32, _p, _s, _i32, _p, _n)
    _declare("apigw_gateway_set_rate_limit_override", _i32, _p, _s, ctypes.c_uint64, ctypes.c_uint64, _p, _n)
    _declare("apigw_gateway_remove_rate_limit_override", _i32, _p, _s, _p, _n)

if lib.apigw_abi_version() >> 16 != ABI_MAJOR:
    raise ImportError("libapigw has ABI %d, this package needs %d" % (lib.apigw_abi_version() >> 16, ABI_MAJOR))
