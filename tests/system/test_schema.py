"""The schema policy through the binary, its config file and a real origin
(Python's http.server): valid bodies reach the origin unchanged, sent with
Content-Length or chunked; invalid ones never reach it and get 400 with the
JSON pointer of the first violation."""

import http.client
import json
import os
import unittest

from harness import HOST, Gateway, JsonOrigin, OriginGatewayTestCase, ResponseReader, base_config, connect


ORDER_SCHEMA = {
    "type": "object",
    "required": ["customer", "items"],
    "additionalProperties": False,
    "properties": {
        "customer": {"type": "string", "minLength": 1, "pattern": "^[a-z]+$"},
        "items": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["sku", "price"],
            "properties": {"sku": {"type": "string"}, "price": {"type": "number", "minimum": 0}}}},
    },
}


class SchemaPolicyTest(OriginGatewayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.origin = JsonOrigin()
        config = base_config(
            upstreams=[{"name": "app", "targets": [{"address": cls.origin.address}]}],
            policies=[
                {"name": "order", "type": "schema", "schema": ORDER_SCHEMA},
                {"name": "note", "type": "schema", "schema_file": "schemas/note.json",
                 "content_types": ["application/json", "application/json; charset=utf-8"]},
            ],
            routes=[
                {"name": "orders", "match": {"path": "/orders", "methods": ["POST"]},
                 "policies": ["order"], "upstream": "app"},
                {"name": "notes", "match": {"path": "/notes", "methods": ["POST"]},
                 "policies": ["note"], "upstream": "app"},
            ])
        gw = Gateway(config)

        def write_schema_file():  # schema_file is relative to the config file's directory
            schemas = os.path.join(os.path.dirname(gw.config_path), "schemas")
            os.makedirs(schemas)
            with open(os.path.join(schemas, "note.json"), "w") as f:
                json.dump({"type": "object", "properties": {"text": {"type": "string", "maxLength": 3}}}, f)
        cls.start_gateway(gw, write_schema_file)

    def post(self, path, body, content_type="application/json"):
        conn = http.client.HTTPConnection(HOST, self.gw.port, timeout=5)
        try:
            headers = {"content-type": content_type} if content_type else {}
            conn.request("POST", path, body=body.encode(), headers=headers)
            r = conn.getresponse()
            return r.status, json.loads(r.read())
        finally:
            conn.close()

    def post_chunked(self, path, chunks):
        s = connect(self.gw.port)
        try:
            data = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
            s.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n" + data)
            res = ResponseReader(s).read_response()
            return res.status, res.json()
        finally:
            s.close()

    def test_valid_body_reaches_the_origin_unchanged(self):
        body = '{"customer": "ada", "items": [{"sku": "a-1", "price": 0}, {"sku": "b", "price": 9.5}]}'
        status, seen = self.post("/orders", body)
        self.assertEqual(status, 200)
        self.assertEqual(seen["body"], body)
        self.assertEqual(seen["headers"]["content-length"], str(len(body)))

    def test_invalid_body_is_400_with_the_pointer_and_never_reaches_the_origin(self):
        before = self.origin.requests
        cases = [
            ('{"customer": "ada", "items": [{"sku": "a", "price": 1}, {"sku": "b", "price": -1}]}',
             "/items/1/price: must be >= 0"),
            ('{"customer": "ada", "items": [{"sku": "a"}]}', "/items/0/price: is required"),
            ('{"customer": "Ada", "items": [{"sku": "a", "price": 1}]}',
             '/customer: must match the pattern "^[a-z]+$"'),
            ('{"customer": "ada", "items": [], "x": 1}', "/items: must have at least 1 items"),
            ('{"customer": "ada", "items": [{"sku": "a", "price": 1}], "x": 1}',
             "/x: is not allowed (additionalProperties is false)"),
            ('[]', "(root): expected object, got array"),
        ]
        for body, message in cases:
            with self.subTest(body=body):
                status, answer = self.post("/orders", body)
                self.assertEqual(status, 400)
                self.assertEqual(answer["error"]["code"], "schema_violation")
                self.assertEqual(answer["error"]["message"], message)
        self.assertEqual(self.origin.requests, before)

    def test_malformed_json_empty_body_and_content_type(self):
        before = self.origin.requests
        status, answer = self.post("/orders", '{"customer": ')
        self.assertEqual((status, answer["error"]["code"]), (400, "invalid_json"))
        status, answer = self.post("/orders", "")
        self.assertEqual((status, answer["error"]["message"]), (400, "request body is required"))
        status, answer = self.post("/orders", '{"customer": "ada", "items": [{"sku": "a", "price": 1}]}',
                                   content_type="text/plain")
        self.assertEqual((status, answer["error"]["code"]), (400, "content_type_not_allowed"))
        self.assertEqual(self.origin.requests, before)

    def test_chunked_bodies_are_validated_whole(self):
        body = b'{"customer": "bob", "items": [{"sku": "z", "price": 2}]}'
        status, seen = self.post_chunked("/orders", [body[:7], body[7:30], body[30:]])
        self.assertEqual(status, 200)
        self.assertEqual(seen["body"], body.decode())
        before = self.origin.requests
        bad = b'{"customer": "bob", "items": [{"sku": 7, "price": 2}]}'
        status, answer = self.post_chunked("/orders", [bad[:20], bad[20:]])
        self.assertEqual(status, 400)
        self.assertEqual(answer["error"]["message"], "/items/0/sku: expected string, got integer")
        self.assertEqual(self.origin.requests, before)

    def test_schema_file_and_listed_content_types(self):
        status, seen = self.post("/notes", '{"text": "h\u00e9!"}', content_type="application/json; charset=utf-8")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(seen["body"]), {"text": "h\u00e9!"})  # three code points, four bytes
        status, answer = self.post("/notes", '{"text": "four"}')
        self.assertEqual(status, 400)
        self.assertEqual(answer["error"]["message"], "/text: must be at most 3 characters long")


if __name__ == "__main__":
    unittest.main()
