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
