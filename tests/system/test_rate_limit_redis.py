"""rate_limit with store "redis": gateways sharing one real redis-server."""

import http.client
import signal
import threading
import time
import unittest

from harness import Gateway, HOST, base_config
from redis_server import RedisServer, redis_available


def limit_policy(name, limit, on_error="deny"):
    return {"name": name, "type": "rate_limit", "key": "route", "limit": limit, "window_ms": 600000,
            "store": "redis", "on_store_error": on_error}


def config(redis_address, policies, routes):
    return base_config(policies=policies, routes=routes, workers=2,
                       redis={"address": redis_address, "timeout_ms": 1000, "connections": 2})


def route(name, policy):
    return {"name": name, "match": {"path": "/" + name}, "respond": {"status": 200, "body": "ok"},
            "policies": [policy]}


def get(port, path, headers=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        res = conn.getresponse()
        res.read()
        return res.status, dict((k.lower(), v) for k, v in res.getheaders())
    finally:
        conn.close()


def hammer(ports, path, clients_per_port, each, headers=None):
    """Concurrent clients on every gateway; returns the list of statuses."""
    statuses, lock = [], threading.Lock()

    def client(port):
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        for _ in range(each):
            conn.request("GET", path, headers=headers or {})
            res = conn.getresponse()
            res.read()
            with lock:
                statuses.append(res.status)
        conn.close()
    threads = [threading.Thread(target=client, args=(p,)) for p in ports for _ in range(clients_per_port)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@unittest.skipUnless(redis_available(), "redis-server is not installed, or apigw is built without Redis")
class RedisRateLimitTest(unittest.TestCase):
    def test_two_gateways_share_one_exact_limit(self):
        with RedisServer() as redis:
            cfg = config(redis.address, [limit_policy("shared", 25)], [route("hot", "shared")])
            with Gateway(cfg) as a, Gateway(cfg) as b:
                statuses = hammer([a.port, b.port], "/hot", 4, 10)
                self.assertEqual(statuses.count(200), 25, statuses)
                self.assertEqual(statuses.count(429), 55, statuses)
                status, headers = get(a.port, "/hot")
                self.assertEqual(status, 429)
                self.assertIn("retry-after", headers)
                self.assertEqual(headers.get("ratelimit-remaining"), "0")

    def test_script_flush_mid_test_reloads_the_script(self):
        with RedisServer() as redis:
            cfg = config(redis.address, [limit_policy("flushed", 6)], [route("hot", "flushed")])
            with Gateway(cfg) as gw:
                first = [get(gw.port, "/hot")[0] for _ in range(3)]
                self.assertEqual(redis.command("SCRIPT", "FLUSH"), "+OK")
                rest = [get(gw.port, "/hot")[0] for _ in range(6)]
                self.assertEqual(first, [200] * 3)
                self.assertEqual(rest, [200] * 3 + [429] * 3)  # no 503: NOSCRIPT was answered by EVAL

    def test_redis_down_allows_or_denies_as_configured_then_reconnects(self):
        redis = RedisServer().start()
        try:
            cfg = config(redis.address, [limit_policy("open", 100, "allow"), limit_policy("closed", 100, "deny")],
                         [route("open", "open"), route("closed", "closed")])
            with Gateway(cfg) as gw:
                self.assertEqual(get(gw.port, "/closed")[0], 200)
                redis.stop()
                self.assertEqual(get(gw.port, "/open")[0], 200)
                status, _ = get(gw.port, "/closed")
                self.assertEqual(status, 503)
                metrics = get_metrics(gw.admin_port)
                self.assertIn('apigw_ratelimit_decisions_total{policy="open",decision="store_error_allowed"}',
                              metrics)
                self.assertIn('apigw_ratelimit_decisions_total{policy="closed",decision="store_error_denied"} 1',
                              metrics)
                redis = RedisServer(port=redis.port).start()
                # Reconnection is not observable from outside: poll, bounded.
                deadline = time.monotonic() + 15
                while get(gw.port, "/closed")[0] != 200:
                    self.assertLess(time.monotonic(), deadline, "the gateway did not reconnect to redis")
                    time.sleep(0.05)
        finally:
            redis.stop()


@unittest.skipUnless(redis_available(), "redis-server is not installed, or apigw is built without Redis")
class RedisTimeoutTest(unittest.TestCase):
    def test_a_redis_that_stops_answering_times_out_into_on_store_error(self):
        with RedisServer() as redis:
            cfg = config(redis.address, [limit_policy("closed", 100, "deny")], [route("closed", "closed")])
            cfg["redis"]["timeout_ms"] = 100
            with Gateway(cfg) as gw:
                self.assertEqual(get(gw.port, "/closed")[0], 200)
                redis.proc.send_signal(signal.SIGSTOP)  # connected, but silent
                try:
                    self.assertEqual(get(gw.port, "/closed")[0], 503)
                finally:
                    redis.proc.send_signal(signal.SIGCONT)
                deadline = time.monotonic() + 15
                while get(gw.port, "/closed")[0] != 200:
                    self.assertLess(time.monotonic(), deadline, "the gateway did not reconnect to redis")
                    time.sleep(0.05)


def get_metrics(port):
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        return conn.getresponse().read().decode()
    finally:
        conn.close()


if __name__ == "__main__":
    unittest.main()
