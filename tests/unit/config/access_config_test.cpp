// consumers and the api_key, acl, ip_filter, size_limit, cors and headers
// policies from the JSON config: what is built, and every error's pointer.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

#include "apigw/testing.hpp"
#include "config/config_loader.hpp"
#include "unit/config/config_errors.hpp"

namespace {

using apigw::config::LoadResult;
using apigw::test::dump;
using apigw::test::has_error;


// A config with one echo route using `policies` (names or inline objects).
std::string config(std::string consumers, std::string policies, std::string route_policies) {
  return R"({"listeners": [{"address": "127.0.0.1:0"}], "consumers": )" + consumers +
         R"(, "policies": )" + policies +
         R"(, "routes": [{"name": "r", "match": {"path": "/u/{id}", "methods": ["GET", "POST"]},
                          "policies": )" + route_policies + R"(, "handler": "echo"}]})";
}

const char* const kConsumers = R"([
  {"id": "acme", "tags": ["gold"], "api_keys": ["k-acme-1", {"key_env": "APIGW_TEST_KEY"}]},
  {"id": "bob", "tags": ["silver"], "api_keys": ["k-bob"]}])";

}  // namespace

TEST_CASE("config: consumers, api_key, acl, ip_filter, size_limit and cors work end to end") {
  ::setenv("APIGW_TEST_KEY", "k-acme-env", 1);
  LoadResult r = apigw::config::load(config(kConsumers, R"([
      {"name": "ip", "type": "ip_filter", "allow": ["127.0.0.0/8", "::1"], "trusted_proxies": ["10.0.0.0/8"]},
      {"name": "cors", "type": "cors", "origins": ["https://app.example.com"], "max_age_s": 60},
      {"name": "key", "type": "api_key", "hide_credentials": true},
      {"name": "gold", "type": "acl", "allow": {"tags": ["gold"]}},
      {"name": "small", "type": "size_limit", "max_body_bytes": 4}])",
      R"(["ip", "cors", "key", "gold", "small",
          {"type": "headers", "request": {"set": {"x-who": "{consumer}-{id}"}}}])"));
  REQUIRE_MESSAGE(r.ok(), dump(r));
  auto c = apigw::testing::Client::create(r.builder).value();
  auto ok = c.get("/u/7", {{"x-api-key", "k-acme-env"}});
  CHECK(ok.status == 200);
  CHECK(ok.body.find("[\"x-who\",\"acme-7\"]") != std::string::npos);
  CHECK(ok.body.find("k-acme-env") == std::string::npos);  // hidden
  CHECK(c.get("/u/7", {{"x-api-key", "k-bob"}}).status == 403);
  CHECK(c.get("/u/7").status == 401);
  CHECK(c.request("POST", "/u/7", {{"x-api-key", "k-acme-1"}}, "12345").status == 413);
  auto pre = c.request("OPTIONS", "/u/7", {{"origin", "https://app.example.com"},
                                          {"access-control-request-method", "POST"}});
  CHECK(pre.status == 204);
  CHECK(pre.header("access-control-max-age") == "60");
}

TEST_CASE("config: consumer errors carry pointers and never show a key") {
  ::unsetenv("APIGW_NO_SUCH_KEY");
  LoadResult r = apigw::config::load(config(R"([
      {"id": "acme", "api_keys": ["k-1", "k 2", ""], "tags": ["a b"], "tgas": []},
      {"id": "acme", "api_keys": ["k-1", {"key_env": "APIGW_NO_SUCH_KEY"}, {"kye": "x"}, 5]},
      {"api_keys": []}, "x"])", "[]", "[]"));
  CHECK_ERROR(r, "/consumers/0/api_keys/1", "printable ASCII");
  CHECK_FALSE(has_error(r, "/consumers/0/api_keys/1", "k 2"));
  CHECK_ERROR(r, "/consumers/0/api_keys/2", "must not be empty");
  CHECK_ERROR(r, "/consumers/0/tags/0", "tag \"a b\"");
  CHECK_ERROR(r, "/consumers/0/tgas", "unknown key \"tgas\" (did you mean \"tags\"?)");
  CHECK_ERROR(r, "/consumers/1/id", "duplicate consumer id \"acme\"");
  CHECK_ERROR(r, "/consumers/1/api_keys/0", "the same API key as /consumers/0/api_keys/0");
  CHECK_FALSE(has_error(r, "/consumers/1/api_keys/0", "k-1"));
  CHECK_ERROR(r, "/consumers/1/api_keys/1/key_env", "\"APIGW_NO_SUCH_KEY\" is not set");
  CHECK_ERROR(r, "/consumers/1/api_keys/2", "needs one of \"key\", \"key_env\", \"key_file\"");
  CHECK_ERROR(r, "/consumers/1/api_keys/2/kye", "unknown key \"kye\" (did you mean \"key\"?)");
  CHECK_ERROR(r, "/consumers/1/api_keys/3", "expected a key string or an object");
  CHECK_ERROR(r, "/consumers/2", "missing required key \"id\"");
  CHECK_ERROR(r, "/consumers/3", "expected object");
}

TEST_CASE("config: api_key and acl option errors") {
  LoadResult r = apigw::config::load(config(kConsumers, R"([
      {"name": "k1", "type": "api_key", "header": "bad header", "query": "a&b", "hide_credentials": "yes"},
      {"name": "a1", "type": "acl", "allow": {"consumers": ["acem"], "tags": ["glod"], "scope": []}},
      {"name": "a2", "type": "acl"},
      {"name": "a3", "type": "acl", "deny": {"consumers": "bob"}}])", "[]"));
  CHECK_ERROR(r, "/policies/0/header", "\"bad header\" is not a valid header name");
  CHECK_ERROR(r, "/policies/0/query", "expected a query parameter name");
  CHECK_ERROR(r, "/policies/0/hide_credentials", "expected boolean");
  CHECK_ERROR(r, "/policies/1/allow/consumers/0", "unknown consumer \"acem\" (did you mean \"acme\"?)");
  CHECK_ERROR(r, "/policies/1/allow/tags/0", "unknown tag \"glod\" (did you mean \"gold\"?)");
  CHECK_ERROR(r, "/policies/1/allow/scope", "unknown key \"scope\" (did you mean \"scopes\"?)");
  CHECK_ERROR(r, "/policies/2", "needs \"allow\" or \"deny\"");
  CHECK_ERROR(r, "/policies/3/deny/consumers", "expected array of strings");

  LoadResult none = apigw::config::load(config("[]", R"([{"name": "k", "type": "api_key"}])", "[]"));
  CHECK_ERROR(none, "/policies/0", "no consumer has api_keys");
}

TEST_CASE("config: ip_filter CIDR errors point at the entry") {
  LoadResult r = apigw::config::load(config("[]", R"([
      {"name": "i1", "type": "ip_filter", "allow": ["10.0.0.1/8", "300.1.1.1", "::/200", 7],
       "trusted_proxies": ["10.0.0.0/8x"]},
      {"name": "i2", "type": "ip_filter", "trusted_proxies": []},
      {"name": "i3", "type": "ip_filter", "deny": ["10.0.0.0/8"], "alow": []}])", "[]"));
  CHECK_ERROR(r, "/policies/0/allow/0", "\"10.0.0.1/8\": has bits set beyond the prefix (did you mean \"10.0.0.0/8\"?)");
  CHECK_ERROR(r, "/policies/0/allow/1", "invalid IPv4 address");
  CHECK_ERROR(r, "/policies/0/allow/3", "expected string");
  CHECK_ERROR(r, "/policies/0/trusted_proxies/0", "invalid prefix length");
  CHECK_ERROR(r, "/policies/1", "needs \"allow\" or \"deny\"");
  CHECK_ERROR(r, "/policies/2/alow", "unknown key \"alow\" (did you mean \"allow\"?)");
  CHECK_FALSE(has_error(r, "/policies/2", "needs"));
}

TEST_CASE("config: size_limit and cors option errors") {
  LoadResult r = apigw::config::load(config("[]", R"([
      {"name": "s1", "type": "size_limit"},
      {"name": "s2", "type": "size_limit", "max_body_bytes": -1},
      {"name": "c1", "type": "cors", "origins": ["https://app.example.com/", "app.example.com", "https://App.example.com",
                                                "https://*.example.com:99999", "HTTPS://x.com", "https://*.example.com:8443"],
       "methods": ["get", "BAD METHOD"], "headers": ["x ok"], "credentials": 1, "max_age_s": 9999999},
      {"name": "c2", "type": "cors", "origins": []},
      {"name": "c3", "type": "cors", "origin": ["*"]}])", "[]"));
  CHECK_ERROR(r, "/policies/0", "missing required key \"max_body_bytes\"");
  CHECK_ERROR(r, "/policies/1/max_body_bytes", "must be 0..");
  CHECK_ERROR(r, "/policies/2/origins/0", "an origin has no path");
  CHECK_ERROR(r, "/policies/2/origins/1", "expected \"*\" or SCHEME://HOST[:PORT]");
  CHECK_ERROR(r, "/policies/2/origins/2", "lower case");
  CHECK_ERROR(r, "/policies/2/origins/3", "invalid port");
  CHECK_ERROR(r, "/policies/2/origins/4", "scheme must be lower case");
  CHECK_FALSE(has_error(r, "/policies/2/origins/5", ""));
  CHECK_FALSE(has_error(r, "/policies/2/methods/0", ""));  // upper-cased
  CHECK_ERROR(r, "/policies/2/methods/1", "not a valid name");
  CHECK_ERROR(r, "/policies/2/headers/0", "not a valid name");
  CHECK_ERROR(r, "/policies/2/credentials", "expected boolean");
  CHECK_ERROR(r, "/policies/2/max_age_s", "must be 0..604800");
  CHECK_ERROR(r, "/policies/3/origins", "must not be empty");
  CHECK_ERROR(r, "/policies/4", "missing required key \"origins\"");
  CHECK_ERROR(r, "/policies/4/origin", "unknown key \"origin\" (did you mean \"origins\"?)");
}

TEST_CASE("config: headers may not write framing headers") {
  LoadResult r = apigw::config::load(config("[]", R"([
      {"name": "h", "type": "headers", "request": {"set": {"Content-Length": "1"}, "rename": {"x-a": "transfer-encoding"}},
       "response": {"add": {"transfer-encoding": "chunked"}}}])", "[]"));
  CHECK_ERROR(r, "/policies/0/request/set/Content-Length", "is set by the gateway");
  CHECK_ERROR(r, "/policies/0/request/rename/x-a", "is set by the gateway");
  CHECK_ERROR(r, "/policies/0/response/add/transfer-encoding", "is set by the gateway");
}

TEST_CASE("config: examples/access_policies.json is valid and behaves as its README describes") {
  LoadResult r = apigw::config::load_file(std::string(APIGW_SOURCE_DIR) + "/examples/access_policies.json");
  REQUIRE_MESSAGE(r.ok(), dump(r));
  auto c = apigw::testing::Client::create(r.builder).value();
  CHECK(c.get("/orders/1").status == 401);
  CHECK(c.get("/orders/1", {{"x-api-key", "k-bob-demo"}}).status == 403);
  auto ok = c.get("/orders/1", {{"x-api-key", "k-acme-demo"}});
  CHECK(ok.status == 200);
  CHECK(ok.body.find("[\"x-consumer\",\"acme\"]") != std::string::npos);
}
