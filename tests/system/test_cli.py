"""apigw command line: version, validate, exit codes."""

import json
import os
import socket
import tempfile
import unittest

from harness import HOST, Gateway, apigw_bin, base_config, run_cli


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="apigw-cli-")
        self.addCleanup(self.tmp.cleanup)

    def write(self, name, content):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(content if isinstance(content, str) else json.dumps(content))
        return path

    def test_binary_exists(self):
        self.assertTrue(os.access(apigw_bin(), os.X_OK), apigw_bin())

    def test_version(self):
        r = run_cli(["version"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^apigw \d+\.\d+\.\d+")

    def test_validate_ok(self):
        path = self.write("ok.json", base_config(
            policies=[{"name": "rid", "type": "request_id"}],
            routes=[{"name": "echo", "match": {"path": "/echo/{*rest}"}, "policies": ["rid"],
                     "handler": "echo"},
                    {"name": "hi", "match": {"path": "/hi", "methods": ["GET"]},
                     "respond": {"status": 200, "body": "hi"}}]))
        r = run_cli(["validate", "--config", path])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.strip(), "%s: ok" % path)

    def test_validate_reports_every_error(self):
        path = self.write("bad.json", {
            "listenres": [],
            "listeners": [{"name": "public", "address": HOST + ":0"}],
            "policies": [{"name": "rid", "type": "request_id"}],
            "routes": [
                {"name": "a", "match": {"path": "no-slash"}, "respond": {"status": 200}},
                {"name": "b", "match": {"path": "/b"}, "policies": ["rid", "nope"],
                 "respond": {"status": 200}},
            ],
        })
        r = run_cli(["validate", "--config", path])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        by_pointer = {}
        for line in lines:
            pointer, sep, msg = line.partition(": ")
            self.assertTrue(sep, "line not 'POINTER: message': %r" % line)
            by_pointer[pointer] = msg
        self.assertEqual(set(by_pointer), {"/listenres", "/routes/0/match/path", "/routes/1/policies/1"},
                         r.stdout)
        self.assertIn('did you mean "listeners"', by_pointer["/listenres"])
        self.assertIn('"nope"', by_pointer["/routes/1/policies/1"])

    def test_validate_unknown_policy_type(self):
        path = self.write("unknown_type.json", base_config(
            policies=[{"name": "auth", "type": "jwtt", "issuer": "x"}]))
        r = run_cli(["validate", "--config", path])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r'(?m)^/policies/0/type: .*did you mean "jwt"')

    def test_validate_syntax_error(self):
        path = self.write("syntax.json", '{"listeners": [}')
        r = run_cli(["validate", "--config", path])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertTrue(r.stdout.strip(), "expected an error line")

    def test_validate_missing_file(self):
        path = os.path.join(self.tmp.name, "does-not-exist.json")
        r = run_cli(["validate", "--config", path])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("does-not-exist.json", r.stdout + r.stderr)

    def test_validate_without_config_is_usage_error(self):
        r = run_cli(["validate"])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)

    def test_run_invalid_config_exits_1(self):
        path = self.write("bad.json", base_config(routes=[
            {"name": "a", "match": {"path": "no-slash"}, "respond": {"status": 200}}]))
        r = run_cli(["run", "--config", path], timeout=10)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("/routes/0/match/path", r.stdout + r.stderr)
        self.assertNotIn("listening on", r.stdout)

    def test_run_port_in_use_exits_2(self):
        blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(blocker.close)
        blocker.bind((HOST, 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        path = self.write("busy.json", base_config(
            listeners=[{"name": "public", "address": "%s:%d" % (HOST, port)}], admin=False))
        r = run_cli(["run", "--config", path], timeout=10)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("%s:%d" % (HOST, port), r.stderr)

    def test_run_admin_port_in_use_exits_2(self):
        blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(blocker.close)
        blocker.bind((HOST, 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        cfg = base_config()
        cfg["admin"] = {"address": "%s:%d" % (HOST, port)}
        path = self.write("busy-admin.json", cfg)
        r = run_cli(["run", "--config", path], timeout=10)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("%s:%d" % (HOST, port), r.stderr)

    def test_usage_errors_exit_1(self):
        for args in ([], ["bogus"], ["run", "--bogus"], ["run", "--workers"], ["version", "extra"]):
            with self.subTest(args=args):
                r = run_cli(args, timeout=10)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("usage", (r.stdout + r.stderr).lower())

    def test_run_reports_each_listener(self):
        cfg = base_config(listeners=[{"name": "one", "address": HOST + ":0"},
                                     {"name": "two", "address": HOST + ":0"}])
        with Gateway(cfg) as gw:
            lines = [l for l in gw.stdout.lines if "listening on" in l]
            names = [l.split(":")[1].split()[0] for l in lines]
            self.assertEqual(names[:3], ["one", "two", "admin"], lines)
            self.assertEqual(len({gw.ports["one"], gw.ports["two"], gw.ports["admin"]}), 3)
            self.assertEqual(gw.stop(), 0, gw.logs())


if __name__ == "__main__":
    unittest.main()
