// rate_limit's JSON options: key forms, missing_key, max_keys, and their errors.
#include <doctest/doctest.h>

#include <string>

#include "apigw/testing.hpp"
#include "config/config_loader.hpp"

namespace {

std::string errors_of(const apigw::config::LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  return out;
}

apigw::config::LoadResult load_policy(const std::string& policy) {
  return apigw::config::load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "policies": [)" + policy + R"(],
    "routes": [{"name": "a", "match": {"path": "/a"}, "handler": "echo", "policies": ["rl"]},
               {"name": "b", "match": {"path": "/b"}, "handler": "echo", "policies": ["rl"]}]})");
}

}  // namespace

TEST_CASE("config: rate_limit key as an array of parts makes one bucket per combination") {
  auto r = load_policy(R"({"name": "rl", "type": "rate_limit", "key": ["header:X-User", "route"],
                            "limit": 1, "window_ms": 60000, "missing_key": "deny", "max_keys": 10})");
  REQUIRE_MESSAGE(r.ok(), errors_of(r));
  auto c = apigw::testing::Client::create(r.builder).value();
  CHECK(c.get("/a", {{"x-user", "u"}}).status == 200);
  CHECK(c.get("/a", {{"x-user", "u"}}).status == 429);
  CHECK(c.get("/b", {{"x-user", "u"}}).status == 200);
  CHECK(c.get("/b").status == 400);  // missing_key "deny"
}

TEST_CASE("config: rate_limit key errors name the part at fault") {
  auto r = load_policy(R"({"name": "rl", "type": "rate_limit", "key": ["route", "ipp", "header:bad name"],
                            "limit": 1, "window_ms": 1, "missing_key": "drop", "max_keys": 0})");
  std::string e = errors_of(r);
  CHECK(e.find("/policies/0/key/1") != std::string::npos);
  CHECK(e.find("(did you mean \"ip\"?)") != std::string::npos);
  CHECK(e.find("/policies/0/key/2") != std::string::npos);
  CHECK(e.find("/policies/0/missing_key") != std::string::npos);
  CHECK(e.find("/policies/0/max_keys") != std::string::npos);
  auto empty = load_policy(R"({"name": "rl", "type": "rate_limit", "key": [], "limit": 1, "window_ms": 1})");
  CHECK(errors_of(empty).find("expected 1..8 key parts") != std::string::npos);
}

TEST_CASE("config: a host:NAME key needs the host to register the function") {
  auto r = load_policy(R"({"name": "rl", "type": "rate_limit", "key": "host:tenant", "limit": 1, "window_ms": 1000})");
  REQUIRE_MESSAGE(r.ok(), errors_of(r));
  CHECK_FALSE(apigw::testing::Client::create(r.builder));
  r.builder.rate_limit_key("tenant", [](apigw::Exchange& ex) { return ex.request().headers.get("x-tenant"); });
  auto c = apigw::testing::Client::create(r.builder).value();
  CHECK(c.get("/a", {{"x-tenant", "t1"}}).status == 200);
}

#ifdef APIGW_WITH_REDIS
TEST_CASE("config: the redis section and store \"redis\"") {
  auto ok = apigw::config::load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "redis": {"address": "127.0.0.1:6390", "password": "pw", "timeout_ms": 50, "connections": 3},
    "policies": [{"name": "rl", "type": "rate_limit", "limit": 1, "window_ms": 1000, "store": "redis",
                  "on_store_error": "deny"}],
    "routes": [{"name": "a", "match": {"path": "/a"}, "handler": "echo", "policies": ["rl"]}]})");
  REQUIRE_MESSAGE(ok.ok(), errors_of(ok));
  CHECK(ok.builder.validate());

  auto bad = apigw::config::load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "redis": {"address": "127.0.0.1:6390", "timeout_ms": 0, "connections": 65, "db": 2}})");
  std::string e = errors_of(bad);
  CHECK(e.find("/redis/timeout_ms") != std::string::npos);
  CHECK(e.find("/redis/connections") != std::string::npos);
  CHECK(e.find("/redis/db") != std::string::npos);

  auto name = apigw::config::load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "redis": {"address": "redis.internal:6379"}})");
  REQUIRE(name.ok());
  CHECK(name.builder.validate().message().find("address must be IP:PORT") != std::string_view::npos);
}

TEST_CASE("config: store \"redis\" without a redis section is refused when the gateway is built") {
  auto r = load_policy(R"({"name": "rl", "type": "rate_limit", "limit": 1, "window_ms": 1000, "store": "redis"})");
  REQUIRE_MESSAGE(r.ok(), errors_of(r));
  auto c = apigw::testing::Client::create(r.builder);
  REQUIRE_FALSE(c);
  CHECK(c.status().message().find("needs the top-level redis section") != std::string_view::npos);
}

TEST_CASE("config: without a Redis connection on the thread, on_store_error decides: allow counted and deny 503") {
  auto r = apigw::config::load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "redis": {"address": "127.0.0.1:1"},
    "policies": [{"name": "open", "type": "rate_limit", "limit": 1, "window_ms": 1000, "store": "redis"},
                 {"name": "closed", "type": "rate_limit", "limit": 1, "window_ms": 1000, "store": "redis",
                  "on_store_error": "deny"}],
    "routes": [{"name": "a", "match": {"path": "/a"}, "handler": "echo", "policies": ["open"]},
               {"name": "b", "match": {"path": "/b"}, "handler": "echo", "policies": ["closed"]}]})");
  REQUIRE_MESSAGE(r.ok(), errors_of(r));
  auto c = apigw::testing::Client::create(r.builder).value();  // in memory: no worker, no Redis client
  CHECK(c.get("/a").status == 200);
  CHECK(c.get("/a").status == 200);
  auto denied = c.get("/b");
  CHECK(denied.status == 503);
  CHECK(denied.body.find("rate_limit_store_unavailable") != std::string::npos);
}
#else
TEST_CASE("config: a build without Redis refuses the redis section and store \"redis\" clearly") {
  auto r = apigw::config::load(R"({"listeners": [{"address": "127.0.0.1:0"}], "redis": {},
    "policies": [{"name": "rl", "type": "rate_limit", "limit": 1, "window_ms": 1000, "store": "redis"}]})");
  std::string e = errors_of(r);
  CHECK(e.find("/redis") != std::string::npos);
  CHECK(e.find("APIGW_WITH_REDIS=OFF") != std::string::npos);
  CHECK(e.find("/policies/0/store") != std::string::npos);
}
#endif
