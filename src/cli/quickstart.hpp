// The built-in quickstart config of `apigw run` without --config.
#pragma once

namespace apigw::cli {

inline constexpr const char* kQuickstartConfig = R"json({
  "listeners": [{"name": "public", "address": "127.0.0.1:8080"}],
  "admin": {"address": "127.0.0.1:9901"},
  "policies": [
    {"name": "request-id", "type": "request_id"},
    {"name": "five-per-second", "type": "rate_limit", "key": "ip", "limit": 5, "window_ms": 1000}
  ],
  "routes": [
    {"name": "hello", "match": {"path": "/hello", "methods": ["GET"]},
     "policies": ["request-id"],
     "respond": {"status": 200, "headers": {"content-type": "text/plain; charset=utf-8"},
                 "body": "Hello from apigw!\n"}},
    {"name": "greet", "match": {"path": "/greet/{name}", "methods": ["GET"]},
     "policies": ["request-id"],
     "respond": {"status": 200, "headers": {"content-type": "text/plain; charset=utf-8"},
                 "body": "Hello, {name}!\n"}},
    {"name": "echo", "match": {"path": "/echo/{*rest}"},
     "policies": ["request-id",
                  {"type": "headers", "response": {"set": {"x-gateway": "apigw"}}}],
     "handler": "echo"},
    {"name": "limited", "match": {"path": "/limited", "methods": ["GET"]},
     "policies": ["request-id", "five-per-second"],
     "respond": {"status": 200, "body": "You are within the limit.\n"}}
  ]
})json";

}  // namespace apigw::cli
