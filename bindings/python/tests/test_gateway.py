"""The Python binding driving a real gateway over HTTP (urllib)."""
import concurrent.futures
import json
import logging
import unittest
import urllib.error
import urllib.request

import apigw
from apigw import _native


def config(routes, policies=None):
    c = {"listeners": [{"name": "public", "address": "127.0.0.1:0"}], "routes": routes}
    if policies:
        c["policies"] = policies
    return c


def route(path, handler, **extra):
    return dict({"name": path.strip("/").replace("/", "-").replace("{", "").replace("}", "") or "root",
                 "match": {"path": path}, "handler": handler}, **extra)


def get(gw, path, data=None, headers=None, method=None):
    """(status, headers, body) of a request; error statuses are answers too."""
    req = urllib.request.Request("http://%s%s" % (gw.address, path), data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class GatewayTest(unittest.TestCase):
    def serve(self, routes, policies=None):
        g = apigw.Gateway(config(routes, policies))
        self.addCleanup(g.close)
        return g

    def test_hello(self):
        g = self.serve([route("/hello", "hello")])

        @g.handler("hello")
        def hello(req):
            return 200, {"content-type": "text/plain"}, b"hi"

        g.start()
        status, headers, body = get(g, "/hello")
        self.assertEqual((status, body), (200, b"hi"))
        self.assertEqual(headers["content-type"], "text/plain")
        g.stop()

    def test_request_fields(self):
        g = self.serve([route("/users/{id}", "inspect")])
        seen = {}

        @g.handler("inspect")
        def inspect(req):
            seen.update(method=req.method, path=req.path, query=req.query, body=req.body, params=req.params,
                        thing=req.headers["X-THING"], absent=req.headers.get("x-nope"), consumer=req.consumer)
            return apigw.Response(201, {"x-id": req.params["id"]}, "made")

        g.start()
        status, headers, body = get(g, "/users/7?a=1", data=b"payload", headers={"x-thing": "yes"})
        self.assertEqual((status, body, headers["x-id"]), (201, b"made", "7"))
        self.assertEqual(seen, {"method": "POST", "path": "/users/7", "query": "a=1", "body": b"payload",
                                "params": {"id": "7"}, "thing": "yes", "absent": None, "consumer": None})

    def test_other_answer_shapes(self):
        g = self.serve([route("/text", "text"), route("/pair", "pair")])
        g.handler("text")(lambda req: "just text")
        g.handler("pair")(lambda req: (202, b"pair"))
        g.start()
        self.assertEqual(get(g, "/text")[::2], (200, b"just text"))
        self.assertEqual(get(g, "/pair")[::2], (202, b"pair"))

    def test_exception_is_500_and_logged(self):
        g = self.serve([route("/boom", "boom"), route("/odd", "odd")])

        @g.handler("boom")
        def boom(req):
            raise ValueError("boom")

        g.handler("odd")(lambda req: object())  # not an answer
        g.start()
        with self.assertLogs("apigw", logging.ERROR) as logs:
            self.assertEqual(get(g, "/boom")[0], 500)
            self.assertEqual(get(g, "/odd")[0], 500)
        self.assertIn("ValueError: boom", "\n".join(logs.output))
        self.assertEqual(get(g, "/nope")[0], 404)  # still serving

    def test_config_errors(self):
        with self.assertRaises(apigw.ConfigError) as e:
            apigw.Gateway({"listeners": [{"address": "nowhere"}], "routs": [], "workers": 0})
        self.assertEqual(len(e.exception.errors), 3, e.exception.errors)
        self.assertTrue(any(line.startswith("/routs") for line in e.exception.errors))
        with self.assertRaises(apigw.ConfigError):
            apigw.Gateway("{not json")
        g = self.serve([route("/", "missing")])
        with self.assertRaisesRegex(apigw.ConfigError, 'unknown handler "missing"'):
            g.start()

    def test_reload(self):
        g = self.serve([route("/a", "h")])
        g.handler("h")(lambda req: req.path)
        g.start()
        self.assertEqual(get(g, "/a")[::2], (200, b"/a"))
        g.reload(json.dumps(config([route("/b", "h")])))
        self.assertEqual(get(g, "/a")[0], 404)
        self.assertEqual(get(g, "/b")[::2], (200, b"/b"))
        with self.assertRaises(apigw.ConfigError):
            g.reload(config([route("/c", "h", upstream="nowhere")]))
        self.assertEqual(get(g, "/b")[0], 200)

    def test_context_manager(self):
        with apigw.Gateway(config([route("/", "h")])) as g:
            g.handler("h")(lambda req: "in a with block")
            g.start()
            self.assertEqual(get(g, "/")[::2], (200, b"in a with block"))
        with self.assertRaises(apigw.Error):
            g.start()  # closed

    def test_policy(self):
        g = self.serve([route("/", "whoami", policies=["auth"])])
        g.handler("whoami")(lambda req: "%s %s" % (req.consumer, req.headers.get("x-checked")))

        @g.policy("auth")
        def auth(req):
            if req.headers.get("authorization") != "Bearer good":
                return 401, {"www-authenticate": "Bearer"}, "who are you?"
            req.set_consumer("ada")
            req.set_header("x-checked", "yes")
            return None

        g.start()
        status, headers, body = get(g, "/")
        self.assertEqual((status, body, headers["www-authenticate"]), (401, b"who are you?", "Bearer"))
        self.assertEqual(get(g, "/", headers={"Authorization": "Bearer good"})[::2], (200, b"ada yes"))

    def test_policy_exception_fails_closed(self):
        g = self.serve([route("/", "h", policies=["broken"])])
        g.handler("h")(lambda req: "should not run")
        g.policy("broken")(lambda req: 1 / 0)
        g.start()
        with self.assertLogs("apigw", logging.ERROR):
            self.assertEqual(get(g, "/")[0], 500)

    def test_concurrent_requests_on_two_workers(self):
        c = config([route("/n/{i}", "n")])
        c["workers"] = 2
        g = apigw.Gateway(c)
        self.addCleanup(g.close)
        g.handler("n")(lambda req: req.params["i"])
        g.start()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda i: get(g, "/n/%d" % i)[::2], range(64)))
        self.assertEqual(answers, [(200, str(i).encode()) for i in range(64)])

    def test_rate_limit_key(self):
        per_tenant = {"name": "per-tenant", "type": "rate_limit", "key": "host:tenant", "limit": 1,
                      "window_ms": 60000}
        g = self.serve([{"name": "r", "match": {"path": "/"}, "respond": {"status": 200, "body": "ok"},
                         "policies": ["per-tenant"]}], [per_tenant])

        @g.rate_limit_key("tenant")
        def tenant(req):
            name = req.headers.get("x-tenant")
            if name == "broken":
                raise ValueError("no tenant")
            return name

        g.start()
        status = lambda tenant: get(g, "/", headers={"x-tenant": tenant} if tenant else {})[0]  # noqa: E731
        self.assertEqual([status("acme"), status("acme"), status("globex"), status("globex")], [200, 429, 200, 429])
        long_a, long_b = "k" * 300, "k" * 299 + "z"  # beyond the first buffer: fn is called again
        self.assertEqual([status(long_a), status(long_a), status(long_b)], [200, 429, 200])
        with self.assertLogs("apigw", logging.ERROR):  # an exception: no key, the shared keyless bucket
            self.assertEqual([status("broken"), status(None)], [200, 429])

    def origin(self):
        """A second gateway as the origin: "hello from PATH" (200 bytes of "a"
        under /long), cacheable; .calls counts its requests."""
        g = self.serve([{"name": "o", "match": {"path_prefix": "/"}, "handler": "o"}])
        g.calls = 0

        @g.handler("o")
        def answer(req):
            g.calls += 1
            body = b"a" * 200 if req.path.startswith("/long") else "hello from " + req.path
            return 200, {"cache-control": "max-age=60"}, body

        return g.start()

    def front(self, origin, policies):
        c = config([{"name": "up", "match": {"path_prefix": "/"}, "upstream": "origin", "policies": policies}],
                   [{"name": "cache", "type": "cache"}])
        c["upstreams"] = [{"name": "origin", "targets": [{"address": origin.address}]}]
        g = apigw.Gateway(c)
        self.addCleanup(g.close)
        return g

    def test_response_body_policy(self):
        g = self.front(self.origin(), ["upper"])
        seen = []

        @g.response_body_policy("upper", limit=64)
        def upper(req, body, overflowed):
            seen.append((req.path, overflowed))
            return None if overflowed else body.upper()

        g.start()
        status, headers, body = get(g, "/greet")
        self.assertEqual((status, body, headers["content-length"]), (200, b"HELLO FROM /GREET", "17"))
        self.assertEqual(get(g, "/long")[::2], (200, b"a" * 200))  # longer than the limit: unchanged
        self.assertEqual(seen, [("/greet", False), ("/long", True)])

    def test_response_body_policy_errors(self):
        g = self.front(self.origin(), ["replace"])
        g.response_body_policy("replace", limit=64)(lambda req, body, overflowed: "new")
        with self.assertRaises(ValueError):
            g.response_body_policy("zero", limit=0)(lambda req, body, overflowed: None)
        g.start()
        self.assertEqual(get(g, "/greet")[::2], (200, b"new"))
        with self.assertLogs("apigw", logging.ERROR) as logs:  # a body for an overflowed answer
            self.assertEqual(get(g, "/long")[0], 500)
        self.assertIn("cannot be replaced", "\n".join(logs.output))

    def test_purge_cache(self):
        origin = self.origin()
        g = self.front(origin, ["cache"])
        self.assertEqual(g.purge_cache("/"), 0)  # not serving yet: nothing cached
        g.start()
        x_cache = lambda path: get(g, path)[1]["x-cache"]  # noqa: E731
        self.assertEqual([x_cache("/items/1"), x_cache("/items/1"), x_cache("/other")], ["MISS", "HIT", "MISS"])
        self.assertEqual(g.purge_cache("/items/"), 1)
        self.assertEqual([x_cache("/items/1"), x_cache("/other")], ["MISS", "HIT"])
        self.assertEqual(origin.calls, 3)
        self.assertEqual(g.purge_cache(), 2)
        with self.assertRaisesRegex(apigw.Error, 'starts with "/"') as e:
            g.purge_cache("items")
        self.assertEqual(e.exception.status, -1)

    def test_route_kill_switch_and_rate_limit_override(self):
        g = self.serve([{"name": "open", "match": {"path": "/open"}, "respond": {"status": 200}},
                        {"name": "limited", "match": {"path": "/limited"}, "respond": {"status": 200},
                         "policies": ["per-client"]}],
                       [{"name": "per-client", "type": "rate_limit", "key": "header:x-client", "limit": 100,
                         "window_ms": 60000}])
        with self.assertRaises(apigw.Error) as e:  # nothing to switch before start
            g.set_route_enabled("open", False)
        self.assertEqual(e.exception.status, _native.E_STATE)
        g.start()

        g.set_route_enabled("open", False)
        self.assertEqual(get(g, "/open")[0], 503)
        g.set_route_enabled("open", True)
        self.assertEqual(get(g, "/open")[0], 200)

        status = lambda client: get(g, "/limited", headers={"x-client": client})[0]  # noqa: E731
        g.set_rate_limit_override("per-client", 1)
        self.assertEqual([status("a"), status("a")], [200, 429])
        g.remove_rate_limit_override("per-client")
        # A fresh client: "a" stays charged for what it spent under the override.
        self.assertEqual([status("b"), status("b")], [200, 200])
        self.assertEqual(get(g, "/limited", headers={"x-client": "b"})[1]["ratelimit-limit"], "100")

        for unknown in (lambda: g.set_route_enabled("nope", False), lambda: g.set_rate_limit_override("nope", 1),
                        lambda: g.remove_rate_limit_override("per-client")):  # no override left to remove
            with self.assertRaises(apigw.Error) as e:
                unknown()
            self.assertEqual(e.exception.status, _native.E_NOT_FOUND)
        with self.assertRaisesRegex(apigw.Error, "limit must be") as e:
            g.set_rate_limit_override("per-client", 0)
        self.assertEqual(e.exception.status, _native.E_INVALID)


if __name__ == "__main__":
    unittest.main()
