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

namespace {

using apigw::config::LoadResult;

std::string dump(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  return out.empty() ? "(no errors)" : out;
}

bool has_error(const LoadResult& r, std::string_view pointer, std::string_view part) {
  for (const auto& e : r.errors)
    if (e.pointer == pointer && e.message.find(part) != std::string::npos) return true;
  return false;
}

#define CHECK_ERROR(result, pointer, part) CHECK_MESSAGE(has_error(result, pointer, part), dump(result))

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

