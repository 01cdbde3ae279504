// The built-in policies, as factories from typed options. The config loader
// (src/config) fills these options from JSON; C++ hosts fill them directly.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "apigw/policy.hpp"
#include "policy/cidr.hpp"

namespace apigw::policy {

// request_id: gives every request an id (kept from the client when trusted),
// forwards it on the request and returns it on the answer.
struct RequestIdOptions {
  std::string header = "x-request-id";
  bool trust_incoming = true;     // keep a well-formed id the client sent
  bool echo_in_response = true;
};
PolicyPtr make_request_id(RequestIdOptions options);

// headers: request and response set/add/remove/rename. Values may use
// {param} (path parameters), {consumer} and {request_id}.
struct HeaderOps {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
  std::vector<std::pair<std::string, std::string>> rename;  // from -> to
};
struct HeadersOptions {
  HeaderOps request;
  HeaderOps response;
};
PolicyPtr make_headers(HeadersOptions options);

// rate_limit (store "local"): GCRA over a bucket of limit + burst requests
// refilled at `limit` per `window_ms`, exact across the workers of a process.
struct RateLimitOptions {
  enum class Key : uint8_t { kIp, kRoute, kConsumer, kHeader };
  enum class HeadersMode : uint8_t { kLegacy, kIetf, kNone };
  std::string name;          // the policy's name, for headers and metrics
  Key key = Key::kIp;
  std::string key_header;    // with kHeader
  uint64_t limit = 0;        // > 0
  uint64_t window_ms = 0;    // > 0
  uint64_t burst = 0;
  HeadersMode headers = HeadersMode::kLegacy;
  size_t max_keys = 100000;  // beyond: the oldest idle keys are forgotten
};
PolicyPtr make_rate_limit(RateLimitOptions options);

// ip_filter: deny wins; then, when `allow` is not empty, the client must be
// in it; else 403. The client is the socket peer, or, when the peer is a
// trusted proxy, the right-most X-Forwarded-For entry that is not one.
struct IpFilterOptions {
  std::vector<Cidr> allow;
  std::vector<Cidr> deny;
  std::vector<Cidr> trusted_proxies;
};
PolicyPtr make_ip_filter(IpFilterOptions options);

}  // namespace apigw::policy
