// The built-in policies, as factories from typed options. The config loader
// (src/config) fills these options from JSON; C++ hosts fill them directly.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "apigw/policy.hpp"

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
struct RateLimitKeyPart {
  enum class Kind : uint8_t { kIp, kRoute, kConsumer, kHeader, kHost };
  Kind kind = Kind::kIp;
  std::string name;  // kHeader: the header (lower case); kHost: the function (GatewayBuilder::rate_limit_key)
};
struct RateLimitOptions {
  enum class HeadersMode : uint8_t { kLegacy, kIetf, kNone };
  enum class MissingKey : uint8_t { kShared, kDeny };
  std::string name;          // for headers; "" = the name it is registered under
  std::vector<RateLimitKeyPart> key = {RateLimitKeyPart{}};  // several: one bucket per combination
  MissingKey missing_key = MissingKey::kShared;  // a part without a value: one shared bucket, or 400
  uint64_t limit = 0;        // > 0
  uint64_t window_ms = 0;    // > 0
  uint64_t burst = 0;
  HeadersMode headers = HeadersMode::kLegacy;
  size_t max_keys = 100000;  // beyond, while all are active: new keys share one overflow bucket
  enum class Store : uint8_t { kLocal, kRedis };
  Store store = Store::kLocal;  // kRedis: one bucket per key across every gateway sharing the Redis server
  bool fail_open = true;        // Redis unreachable or late: allow (counted), or answer 503
};
PolicyPtr make_rate_limit(RateLimitOptions options);

// quota: `limit` requests per key (default the consumer) per UTC day or
// month, counted in Redis (needs GatewayBuilder::redis). The window is taken
// from the gateway's wall clock; the count is exact across gateways.
struct QuotaOptions {
  enum class Period : uint8_t { kDay, kMonth };
  std::string name;  // "" = the name it is registered under
  Period period = Period::kDay;
  uint64_t limit = 0;  // > 0
  std::vector<RateLimitKeyPart> key = {RateLimitKeyPart{RateLimitKeyPart::Kind::kConsumer, ""}};
  RateLimitOptions::MissingKey missing_key = RateLimitOptions::MissingKey::kShared;
  bool fail_open = true;  // Redis unreachable or late: allow (counted), or answer 503
};
PolicyPtr make_quota(QuotaOptions options);

}  // namespace apigw::policy
