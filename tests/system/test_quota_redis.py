"""quota: requests per key per UTC day, counted in a real redis-server."""

import unittest

from harness import Gateway, base_config
from redis_server import RedisServer, redis_available
from test_rate_limit_redis import get, hammer


@unittest.skipUnless(redis_available(), "redis-server is not installed, or apigw is built without Redis")
class QuotaTest(unittest.TestCase):
    def test_quota_is_shared_by_two_gateways_and_answers_429_when_spent(self):
        with RedisServer() as redis:
            cfg = base_config(
                workers=2, redis={"address": redis.address},
                policies=[{"name": "daily", "type": "quota", "period": "day", "limit": 12,
                           "key": "header:x-consumer", "on_store_error": "deny"}],
                routes=[{"name": "hot", "match": {"path": "/hot"}, "respond": {"status": 200, "body": "ok"},
                         "policies": ["daily"]}])
            with Gateway(cfg) as a, Gateway(cfg) as b:
                status, headers = get(a.port, "/hot", {"x-consumer": "c1"})
                self.assertEqual(status, 200)
                self.assertEqual(headers["x-quota-limit"], "12")
                self.assertEqual(headers["x-quota-remaining"], "11")
                self.assertGreater(int(headers["x-quota-reset"]), 0)
                statuses = hammer([a.port, b.port], "/hot", 3, 5, {"x-consumer": "c1"})
                self.assertEqual(statuses.count(200), 11, statuses)
                status, headers = get(b.port, "/hot", {"x-consumer": "c1"})
                self.assertEqual(status, 429)
                self.assertEqual(headers["x-quota-remaining"], "0")
                self.assertEqual(headers["retry-after"], headers["x-quota-reset"])
                self.assertEqual(get(b.port, "/hot", {"x-consumer": "c2"})[0], 200)


if __name__ == "__main__":
    unittest.main()
