// cache's JSON options: defaults, a working policy, and errors at their pointers.
#include <doctest/doctest.h>

#include <string>

#include "apigw/testing.hpp"
#include "config/config_loader.hpp"
#include "unit/config/config_errors.hpp"

namespace {

apigw::config::LoadResult load_policy(const std::string& policy) {
  return apigw::config::load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "policies": [)" + policy + R"(],
    "routes": [{"name": "a", "match": {"path_prefix": "/"}, "handler": "echo", "policies": ["c"]}]})");
}

}  // namespace

TEST_CASE("config: a cache policy with every option serves HITs") {
  auto r = load_policy(R"({"name": "c", "type": "cache", "ttl_ms": 60000, "max_ttl_ms": 3600000,
    "max_entries": 100, "max_bytes": 1048576, "max_entry_bytes": 65536, "methods": ["GET", "HEAD"],
    "statuses": [200, 404], "key_headers": ["X-Tenant"], "request_no_cache": true, "max_waiters": 10})");
  REQUIRE_MESSAGE(r.ok(), apigw::test::dump(r));
  auto c = apigw::testing::Client::create(r.builder).value();
  auto first = c.get("/x");
  CHECK(first.status == 200);
  CHECK(first.header("x-cache") == "MISS");
  CHECK(c.get("/x").header("x-cache") == "HIT");
  CHECK(c.get("/x", {{"x-tenant", "t"}}).header("x-cache") == "MISS");
  CHECK(c.get("/x", {{"cache-control", "no-cache"}}).header("x-cache") == "MISS");  // request_no_cache
  CHECK(c.get("/x", {{"cache-control", "no-store"}}).header("x-cache") == "");      // bypassed
}

TEST_CASE("config: a cache policy with no options takes the defaults") {
  auto r = load_policy(R"({"name": "c", "type": "cache"})");
  REQUIRE_MESSAGE(r.ok(), apigw::test::dump(r));
  auto c = apigw::testing::Client::create(r.builder).value();
  c.get("/y");
  CHECK(c.get("/y").header("x-cache") == "HIT");
  CHECK(c.get("/y", {{"cache-control", "no-cache"}}).header("x-cache") == "HIT");  // request_no_cache off
}

TEST_CASE("config: cache option errors") {
  auto r = load_policy(R"({"name": "c", "type": "cache", "ttl_ms": 0, "max_entries": -1, "max_bytes": 10,
    "methods": ["GET", "POST"], "statuses": [200, 99], "key_headers": ["bad header"],
    "request_no_cache": "yes", "max_entres": 5})");
  CHECK_ERROR(r, "/policies/0/ttl_ms", "");
  CHECK_ERROR(r, "/policies/0/max_entries", "");
  CHECK_ERROR(r, "/policies/0/max_bytes", "");
  CHECK_ERROR(r, "/policies/0/methods/1", "only GET and HEAD answers are cached");
  CHECK_ERROR(r, "/policies/0/statuses/1", "");
  CHECK_ERROR(r, "/policies/0/key_headers/0", "not a valid header name");
  CHECK_ERROR(r, "/policies/0/request_no_cache", "");
  CHECK_ERROR(r, "/policies/0/max_entres", "did you mean \"max_entries\"");
  auto head = load_policy(R"({"name": "c", "type": "cache", "methods": ["HEAD"], "max_entry_bytes": 2048,
                               "max_bytes": 1024})");
  CHECK_ERROR(head, "/policies/0/methods", "list \"GET\" too");
  CHECK_ERROR(head, "/policies/0/max_entry_bytes", "larger than max_bytes");
}
