#include <doctest/doctest.h>

#include "admin/bearer_token.hpp"
#include "admin/config_document.hpp"

using apigw::admin::checksum;
using apigw::admin::constant_time_equal;
using apigw::admin::redact;

TEST_CASE("admin: secrets are redacted wherever they sit, where they come from is kept") {
  std::string doc = R"({"admin": {"address": "127.0.0.1:9901", "token": "t0p"},
    "redis": {"password": "pw", "password_env": "REDIS_PASSWORD"},
    "consumers": [{"id": "acme", "api_keys": ["k-1", "k-2"], "tags": ["gold"]}],
    "policies": [{"name": "auth", "type": "jwt", "keys": [{"kid": "k1", "secret": {"nested": "s"}}]}],
    "limits": {"max_body_bytes": 10485760}, "ratio": 0.25, "on": true, "off": null})";
  std::string out = redact(doc);
  for (const char* secret : {"t0p", "\"pw\"", "k-1", "k-2", "nested"}) CHECK(out.find(secret) == std::string::npos);
  CHECK(out.find(R"("token":"[redacted]")") != std::string::npos);
  CHECK(out.find(R"("api_keys":["[redacted]","[redacted]"])") != std::string::npos);
  CHECK(out.find(R"("secret":"[redacted]")") != std::string::npos);
  CHECK(out.find(R"("password_env":"REDIS_PASSWORD")") != std::string::npos);
  CHECK(out.find(R"("tags":["gold"])") != std::string::npos);
  CHECK(out.find(R"("limits":{"max_body_bytes":10485760},"ratio":0.25,"on":true,"off":null)") != std::string::npos);
  CHECK(redact("{not json") == "null");
  CHECK(redact("") == "null");
}

TEST_CASE("admin: the checksum tells documents apart and is stable") {
  CHECK(checksum("{}") == checksum("{}"));
  CHECK(checksum("{}") != checksum("{ }"));
  CHECK(checksum("").size() == 16);
}

TEST_CASE("admin: token comparison") {
  CHECK(constant_time_equal("Bearer abc", "Bearer abc"));
  CHECK_FALSE(constant_time_equal("Bearer abd", "Bearer abc"));
  CHECK_FALSE(constant_time_equal("Bearer ab", "Bearer abc"));
  CHECK_FALSE(constant_time_equal("", "Bearer abc"));
}
