"""The admin API of SPEC.md section 3 on the binary: token auth, the running
config (redacted, version, checksum), PUT /config and /config/validate,
GET /upstreams and the route kill switch. Real clients (urllib, http.client)."""

import http.client
import json
import re
import socket
import threading
import unittest

from harness import HOST, Gateway, base_config
from test_proxy import _Origin, dead_address

TOKEN = "s3cret-admin-token"


def call(port, method, path, body=None, token=TOKEN):
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    headers = {"authorization": "Bearer " + token} if token else {}
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    payload = r.read()
    conn.close()
    return r, payload


def public_get(port, path):
    r, body = call(port, "GET", path, token=None)
    return r.status, body


def config_for(origin, dead, hello_body="hi\n"):
    config = base_config(
        upstreams=[{"name": "pool", "targets": [{"address": origin}, {"address": dead}]}],
        policies=[{"name": "tight", "type": "rate_limit", "key": "ip", "limit": 1, "window_ms": 60000}],
        routes=[{"name": "hello", "match": {"path": "/hello"}, "respond": {"status": 200, "body": hello_body}},
                {"name": "api", "match": {"path_prefix": "/api"}, "upstream": "pool"},
                {"name": "limited", "match": {"path": "/limited"}, "policies": ["tight"],
                 "respond": {"status": 200, "body": "ok"}}])
    config["admin"]["token"] = TOKEN
    return config


class AdminApiTest(unittest.TestCase):
    def setUp(self):
        self.origin = _Origin("o")
        self.dead = dead_address()
        self.gw = Gateway(config_for(self.origin.address, self.dead), expect=["public", "admin"])
        self.gw.start()
        self.admin = self.gw.admin_port

    def tearDown(self):
        self.gw.close()
        self.origin.stop()

    def test_control_calls_need_the_token_probes_do_not(self):
        for method, path, body in [("GET", "/config", None), ("PUT", "/config", {}),
                                   ("POST", "/config/validate", {}), ("GET", "/upstreams", None),
                                   ("POST", "/routes/hello/disable", None),
                                   ("PUT", "/policies/tight/override", {"limit": 5}),
                                   ("DELETE", "/policies/tight/override", None)]:
            for token in (None, "wrong", TOKEN[:-1]):
                r, payload = call(self.admin, method, path, body, token=token)
                self.assertEqual(r.status, 401, (method, path, token, payload))
                self.assertIn("Bearer", r.getheader("www-authenticate") or "")
                self.assertEqual(json.loads(payload)["error"]["code"], "unauthorized")
        for path in ("/healthz", "/readyz", "/metrics"):
            self.assertEqual(public_get(self.admin, path)[0], 200, path)
        self.assertEqual(public_get(self.gw.port, "/hello")[0], 200)  # the 401s disabled nothing

    def test_get_config_is_redacted_with_version_and_checksum(self):
        r, payload = call(self.admin, "GET", "/config")
        self.assertEqual(r.status, 200)
        self.assertNotIn(TOKEN.encode(), payload)
        doc = json.loads(payload)
        self.assertEqual(doc["config"]["admin"]["token"], "[redacted]")
        self.assertEqual(doc["config"]["routes"][0]["name"], "hello")
        self.assertRegex(doc["checksum"], r"^[0-9a-f]{16}$")
        self.assertGreaterEqual(doc["version"], 1)
        metrics = public_get(self.admin, "/metrics")[1].decode()
        self.assertIn('apigw_config_info{version="%d",checksum="%s"} 1' % (doc["version"], doc["checksum"]), metrics)

    def test_bad_put_is_refused_with_pointers_and_the_old_config_keeps_serving(self):
        before = json.loads(call(self.admin, "GET", "/config")[1])
        bad = config_for(self.origin.address, self.dead)
        bad["routes"][1]["upstream"] = "poll"
        bad["listenres"] = []
        r, payload = call(self.admin, "PUT", "/config", bad)
        self.assertEqual(r.status, 400, payload)
        pointers = {e["pointer"] for e in json.loads(payload)["errors"]}
        self.assertIn("/routes/1/upstream", pointers)
        self.assertIn("/listenres", pointers)
        self.assertEqual(public_get(self.gw.port, "/hello"), (200, b"hi\n"))
        self.assertEqual(json.loads(call(self.admin, "GET", "/config")[1])["version"], before["version"])
        metrics = public_get(self.admin, "/metrics")[1].decode()
        self.assertRegex(metrics, r'apigw_config_reloads_total\{result="error"\} [1-9]')

    def test_validate_only_does_not_apply(self):
        new = config_for(self.origin.address, self.dead, hello_body="validated\n")
        r, payload = call(self.admin, "POST", "/config/validate", new)
        self.assertEqual((r.status, json.loads(payload)), (200, {"valid": True}))
        self.assertEqual(public_get(self.gw.port, "/hello"), (200, b"hi\n"))
        r, payload = call(self.admin, "POST", "/config/validate", b"{not json")
        self.assertEqual(r.status, 400)
        self.assertTrue(json.loads(payload)["errors"])

    def test_put_applies_atomically(self):
        before = json.loads(call(self.admin, "GET", "/config")[1])
        new = config_for(self.origin.address, self.dead, hello_body="hello v2\n")
        r, payload = call(self.admin, "PUT", "/config", new)
        self.assertEqual(r.status, 200, payload)
        after = json.loads(payload)
        self.assertGreater(after["version"], before["version"])
        self.assertNotEqual(after["checksum"], before["checksum"])
        self.assertEqual(public_get(self.gw.port, "/hello"), (200, b"hello v2\n"))
        shown = json.loads(call(self.admin, "GET", "/config")[1])
        self.assertEqual((shown["version"], shown["checksum"]), (after["version"], after["checksum"]))
        self.assertEqual(shown["config"]["routes"][0]["respond"]["body"], "hello v2\n")

    def test_upstreams_lists_targets_with_health(self):
        for _ in range(4):  # tries on the dead target eject it passively
            public_get(self.gw.port, "/api/x")
        r, payload = call(self.admin, "GET", "/upstreams")
        self.assertEqual(r.status, 200)
        (pool,) = json.loads(payload)["upstreams"]
        self.assertEqual(pool["name"], "pool")
        by_address = {t["address"]: t for t in pool["targets"]}
        self.assertEqual(set(by_address), {self.origin.address, self.dead})
        live = by_address[self.origin.address]
        self.assertEqual((live["available"], live["ejected"], live["ejections"]), (True, False, 0))
        self.assertEqual(set(live), {"address", "available", "passing_checks", "ejected", "ejections", "in_flight"})

    def test_kill_switch_survives_a_reload_until_enabled(self):
        r, payload = call(self.admin, "POST", "/routes/hello/disable")
        self.assertEqual((r.status, json.loads(payload)), (200, {"route": "hello", "enabled": False}))
        conn = http.client.HTTPConnection(HOST, self.gw.port, timeout=5)
        conn.request("GET", "/hello")
        res = conn.getresponse()
        self.assertEqual((res.status, res.getheader("retry-after")), (503, "30"))
        self.assertEqual(json.loads(res.read())["error"]["code"], "route_disabled")
        self.assertEqual(public_get(self.gw.port, "/api/x")[0], 200)  # other routes serve on
        # A new config does not silently re-enable it.
        call(self.admin, "PUT", "/config", config_for(self.origin.address, self.dead, hello_body="v3\n"))
        self.assertEqual(public_get(self.gw.port, "/hello")[0], 503)
        self.assertEqual(json.loads(call(self.admin, "GET", "/config")[1])["disabled_routes"], ["hello"])
        self.assertEqual(call(self.admin, "POST", "/routes/hello/enable")[0].status, 200)
        self.assertEqual(public_get(self.gw.port, "/hello"), (200, b"v3\n"))
        r, payload = call(self.admin, "POST", "/routes/nope/disable")
        self.assertEqual(r.status, 404)
        self.assertIn("nope", json.loads(payload)["errors"][0]["message"])


    def test_rate_limit_override_raises_the_limit_until_deleted(self):
        self.assertEqual(public_get(self.gw.port, "/limited")[0], 200)
        self.assertEqual(public_get(self.gw.port, "/limited")[0], 429)  # limit 1 per minute
        r, payload = call(self.admin, "PUT", "/policies/tight/override", {"limit": 100, "burst": 10})
        self.assertEqual((r.status, json.loads(payload)), (200, {"policy": "tight", "limit": 100, "burst": 10}))
        self.assertEqual([public_get(self.gw.port, "/limited")[0] for _ in range(5)], [200] * 5)
        self.assertEqual(call(self.admin, "DELETE", "/policies/tight/override")[0].status, 200)
        self.assertEqual(public_get(self.gw.port, "/limited")[0], 429)
        self.assertEqual(call(self.admin, "DELETE", "/policies/tight/override")[0].status, 404)  # none left
        self.assertEqual(call(self.admin, "PUT", "/policies/nope/override", {"limit": 5})[0].status, 404)
        for bad in ({"limit": -1}, {"burst": 1}, {"limit": 5, "brust": 1}, b"[1]"):
            self.assertEqual(call(self.admin, "PUT", "/policies/tight/override", bad)[0].status, 400, bad)


class AdminWithoutTokenTest(unittest.TestCase):
    def test_loopback_admin_without_a_token_needs_no_auth(self):
        origin = _Origin("o")
        try:
            with Gateway(base_config(routes=[{"name": "hello", "match": {"path": "/hello"},
                                             "respond": {"status": 200, "body": "hi\n"}}])) as gw:
                r, payload = call(gw.admin_port, "GET", "/config", token=None)
                self.assertEqual(r.status, 200)
                self.assertEqual(json.loads(payload)["config"]["routes"][0]["name"], "hello")
        finally:
            origin.stop()


if __name__ == "__main__":
    unittest.main()


class HeldOrigin:
    """An origin that holds every request until released: requests stay in
    flight for as long as the test needs, with no sleeps."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(16)
        self.address = "%s:%d" % (HOST, self.sock.getsockname()[1])
        self.arrived = threading.Semaphore(0)  # released once per request that reached it
        self.release = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.arrived.release()
            self.release.wait(10)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nheld")

    def stop(self):
        self.release.set()
        self.sock.close()


class UpstreamsInFlightTest(unittest.TestCase):
    def test_held_requests_show_in_flight_on_their_target_until_answered(self):
        origin, idle = HeldOrigin(), _Origin("idle")
        config = base_config(
            workers=2,  # the count is summed over the workers
            upstreams=[{"name": "held", "targets": [{"address": origin.address}]},
                       {"name": "idle", "targets": [{"address": idle.address}]}],
            routes=[{"name": "held", "match": {"path": "/held"}, "upstream": "held"},
                    {"name": "idle", "match": {"path": "/idle"}, "upstream": "idle"}])
        config["admin"]["token"] = TOKEN
        try:
            with Gateway(config, expect=["public", "admin"]) as gw:
                def in_flight():
                    upstreams = json.loads(call(gw.admin_port, "GET", "/upstreams")[1])["upstreams"]
                    return {u["name"]: u["targets"][0]["in_flight"] for u in upstreams}

                def await_in_flight(expected):
                    # A client can have the whole answer a moment before the
                    # worker has ended the try: no event to await, so a bounded poll.
                    pause = threading.Event()
                    for _ in range(250):
                        counts = in_flight()
                        if counts == expected:
                            return
                        pause.wait(0.02)
                    self.assertEqual(counts, expected)

                self.assertEqual(public_get(gw.port, "/idle")[0], 200)
                await_in_flight({"held": 0, "idle": 0})
                answers = []
                clients = [threading.Thread(target=lambda: answers.append(public_get(gw.port, "/held")))
                           for _ in range(2)]
                for c in clients:
                    c.start()
                for _ in clients:
                    self.assertTrue(origin.arrived.acquire(timeout=5), "a request never reached the origin")
                await_in_flight({"held": 2, "idle": 0})
                origin.release.set()
                for c in clients:
                    c.join(10)
                self.assertEqual([a[0] for a in answers], [200, 200])
                await_in_flight({"held": 0, "idle": 0})
        finally:
            origin.stop()
            idle.stop()
