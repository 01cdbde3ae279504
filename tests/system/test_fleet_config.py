"""config_source and `apigw push` (SPEC.md sections 1 and 2): real apigw
processes reading their config from one real redis-server, started by the
test on a free port."""

import json
import os
import re
import shutil
import signal
import tempfile
import unittest

from harness import Gateway, base_config, run_cli, simple_get, metric_value, wait_until
from redis_server import RedisServer, redis_available
from test_proxy import dead_address

KEY, CHANNEL = "fleet:config", "fleet:news"
CONVERGE_TIMEOUT = 15.0  # reconnect backoff is at most 2 s; a shared machine is slow


def local_config(redis_address, **source):
    """What each instance's own file says: a fallback route and where the fleet's config lives."""
    return base_config(
        routes=[{"name": "where", "match": {"path": "/where"}, "respond": {"status": 200, "body": "local"}}],
        config_source={"redis": dict({"address": redis_address, "key": KEY, "channel": CHANNEL}, **source)})


def fleet_config(body, **extra):
    """A config pushed to the fleet: same listeners, another answer."""
    return base_config(
        routes=[{"name": "where", "match": {"path": "/where"}, "respond": {"status": 200, "body": body}},
                {"name": "pushed", "match": {"path": "/pushed"}, "respond": {"status": 200, "body": "yes"}}],
        **extra)


def running_checksum(gw):
    text = simple_get(gw.admin_port, "/metrics").body.decode()
    m = re.search(r'(?m)^apigw_config_info\{version="\d+",checksum="([0-9a-f]{16})"\} 1$', text)
    return m.group(1) if m else None


def where(gw):
    r = simple_get(gw.port, "/where")
    return r.body.decode() if r.status == 200 else r.status


def failed_reloads(gw):
    return metric_value(gw, 'apigw_config_reloads_total{result="error"}')


def subscriptions(gw):
    return sum("config_source: subscribed to " + CHANNEL in line for line in gw.stderr.lines)


@unittest.skipUnless(redis_available(), "redis-server is not installed, or apigw is built without Redis")
class FleetConfigTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="apigw-fleet-")
        self.redis = RedisServer().start()
        self.gateways = []

    def tearDown(self):
        for gw in self.gateways:
            gw.close()
        self.redis.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start_fleet(self, n=2, **source):
        for _ in range(n):
            gw = Gateway(local_config(self.redis.address, **source))
            self.gateways.append(gw)
            gw.start()
        self.await_subscribed(1)
        return self.gateways

    def await_subscribed(self, times):
        for gw in self.gateways:
            self.assertTrue(gw.stderr.wait_for(lambda lines: subscriptions(gw) >= times, CONVERGE_TIMEOUT),
                            gw.logs())

    def push(self, config, name="pushed.json", *extra):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(config if isinstance(config, str) else json.dumps(config))
        return run_cli(["push", "--config", path, "--redis", self.redis.address, "--key", KEY,
                        "--channel", CHANNEL] + list(extra))

    def push_ok(self, config):
        r = self.push(config)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = re.search(r"checksum ([0-9a-f]{16}), announced on %s to (\d+) subscriber" % CHANNEL, r.stdout)
        self.assertIsNotNone(m, r.stdout)
        return m.group(1), int(m.group(2))

    def await_checksum(self, checksum):
        for gw in self.gateways:
            got = wait_until(lambda: running_checksum(gw) == checksum, CONVERGE_TIMEOUT)
            self.assertTrue(got, "expected checksum %s, running %s\n%s" % (checksum, running_checksum(gw), gw.logs()))

    def test_two_instances_converge_on_a_pushed_config(self):
        fleet = self.start_fleet()
        self.assertEqual([where(gw) for gw in fleet], ["local", "local"])  # the key is missing: local config
        checksum, received = self.push_ok(fleet_config("fleet v1"))
        self.assertEqual(received, 2)
        self.await_checksum(checksum)
        for gw in fleet:
            self.assertEqual(where(gw), "fleet v1")
            self.assertEqual(simple_get(gw.port, "/pushed").status, 200)
            shown = json.loads(simple_get(gw.admin_port, "/config").body)
            self.assertEqual(shown["checksum"], checksum)
            self.assertEqual(shown["config"]["routes"][0]["respond"]["body"], "fleet v1")

    def test_an_instance_starts_on_the_config_the_key_holds(self):
        checksum, received = self.push_ok(fleet_config("already there"))
        self.assertEqual(received, 0)
        (gw,) = self.start_fleet(n=1)
        # Read before the listeners were announced: no waiting needed.
        self.assertEqual(running_checksum(gw), checksum)
        self.assertEqual(where(gw), "already there")

    def test_invalid_configs_are_refused_by_every_instance_and_the_old_one_keeps_serving(self):
        fleet = self.start_fleet()
        checksum, _ = self.push_ok(fleet_config("good"))
        self.await_checksum(checksum)
        refused = [
            # Not a valid config at all (written without apigw push, which would refuse it).
            ('raw', json.dumps({"listeners": [{"address": "127.0.0.1:0"}], "routs": []}), "did you mean"),
            # Valid on its own, but a running instance cannot take it.
            ('push', fleet_config("two listeners", listeners=[{"name": "public", "address": "127.0.0.1:0"},
                                                               {"name": "more", "address": "127.0.0.1:0"}]),
             "changing listeners needs a restart"),
            # A pushed config cannot point the fleet at another source.
            ('push', fleet_config("elsewhere", config_source={"redis": {"address": self.redis.address,
                                                                        "key": "other", "channel": CHANNEL}}),
             "changing config_source needs a restart"),
        ]
        for count, (how, config, why) in enumerate(refused, start=1):
            if how == 'raw':
                self.assertEqual(self.redis.command("SET", KEY, config), "+OK")
                self.assertEqual(self.redis.command("PUBLISH", CHANNEL, "x"), ":2")
            else:
                self.push_ok(config)
            for gw in fleet:
                self.assertTrue(wait_until(lambda: failed_reloads(gw) == count, CONVERGE_TIMEOUT), gw.logs())
                # The count moves before the refusal's log line reaches our reader.
                self.assertTrue(gw.stderr.wait_for(lambda lines: any(why in line for line in lines), CONVERGE_TIMEOUT),
                                gw.logs())
                self.assertEqual(running_checksum(gw), checksum)
                self.assertEqual(where(gw), "good")

    def test_instances_resubscribe_after_redis_restarts_and_take_a_later_push(self):
        fleet = self.start_fleet()
        first, _ = self.push_ok(fleet_config("before"))
        self.await_checksum(first)
        self.redis.stop()
        for gw in fleet:
            self.assertTrue(gw.stderr.wait_for(lambda lines: any("reconnecting" in l for l in lines),
                                               CONVERGE_TIMEOUT), gw.logs())
            self.assertEqual(where(gw), "before")  # serving on without Redis
        self.redis.start()
        second, _ = self.push_ok(fleet_config("after"))  # maybe before they resubscribed: they read the key then
        self.await_checksum(second)
        self.await_subscribed(2)
        self.assertEqual([where(gw) for gw in fleet], ["after", "after"])

    def test_sighup_reads_the_key_again(self):
        (gw,) = self.start_fleet(n=1)
        # Changed behind the instance's back (no announcement): SIGHUP re-reads the key, not the file.
        checksum, _ = self.push_ok(fleet_config("quiet"))
        self.await_checksum(checksum)
        self.assertEqual(self.redis.command("SET", KEY, json.dumps(fleet_config("silent"))), "+OK")
        gw.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: where(gw) == "silent", CONVERGE_TIMEOUT), gw.logs())


@unittest.skipUnless(redis_available(), "redis-server is not installed, or apigw is built without Redis")
class PushExitCodesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="apigw-push-")
        self.good = os.path.join(self.dir, "good.json")
        with open(self.good, "w") as f:
            json.dump(fleet_config("x"), f)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_ok_invalid_usage_and_unreachable(self):
        with RedisServer() as redis:
            r = run_cli(["push", "--config", self.good, "--redis", redis.address])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertRegex(r.stdout, r"key apigw:config, checksum [0-9a-f]{16}, announced on apigw:config to 0 ")
            bad = os.path.join(self.dir, "bad.json")
            with open(bad, "w") as f:
                json.dump({"listeners": [{"address": "127.0.0.1:0"}], "routes": [{"name": "a"}]}, f)
            r = run_cli(["push", "--config", bad, "--redis", redis.address])
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertRegex(r.stdout, r"(?m)^/routes/0: ")
            self.assertEqual(redis.command("EXISTS", "apigw:config"), ":1")  # the good one, untouched
            r = run_cli(["push", "--config", self.good])  # no --redis
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("usage:", r.stderr)
        r = run_cli(["push", "--config", self.good, "--redis", dead_address()])
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("apigw: push: redis at ", r.stderr)


if __name__ == "__main__":
    unittest.main()
