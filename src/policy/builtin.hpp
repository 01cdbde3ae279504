// The built-in policies, as factories from typed options. The config loader
// (src/config) fills these options from JSON; C++ hosts fill them directly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "apigw/policy.hpp"
#include "policy/cidr.hpp"
#include "policy/jwt_key.hpp"
#include "policy/json_redact.hpp"

namespace apigw::policy {

class JsonSchema;

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

// A client of the gateway, as the "consumers" config section lists them.
// Authentication policies map a credential to one; acl checks its id and tags.
struct Consumer {
  std::string id;
  std::vector<std::string> tags;
  std::vector<std::string> api_keys;
};

// api_key: the key from a header and/or a query parameter must belong to a
// consumer, who becomes the request's identity; else 401.
struct ApiKeyOptions {
  std::string header = "x-api-key";  // lower case; "" = not read from a header
  std::string query;                 // "" = not read from the query
  bool hide_credentials = false;     // strip the key before forwarding
  std::vector<Consumer> consumers;   // ids and keys unique (the config loader checks)
};
PolicyPtr make_api_key(ApiKeyOptions options);

// jwt: a signed JWT (JWS) must verify against a configured key and pass the
// claims checks; its scopes, and the consumer named by consumer_claim,
// become the request's identity. Else 401 (403 when scopes are missing),
// with an RFC 6750 WWW-Authenticate challenge. Needs mbedTLS (APIGW_WITH_TLS).
struct JwtOptions {
  enum class From : uint8_t { kBearer, kHeader, kQuery, kCookie };
  From from = From::kBearer;     // Authorization: Bearer
  std::string from_name;         // kHeader (lower case), kQuery, kCookie: the name
  std::vector<jwt::KeyPtr> keys;  // inline keys and jwks_file, each pinned to its algorithms
  std::string jwks_url;          // "" = none; http:// only, fetched in the background
  int64_t jwks_refresh_ms = 300000;
  int64_t jwks_min_refresh_ms = 10000;  // unknown kids refetch at most this often
  int64_t jwks_timeout_ms = 5000;
  jwt::AlgMask algorithms = 0x1ff;      // accepted for JWKS keys without "alg" (default all)
  int64_t leeway_ms = 60000;            // clock skew allowed on exp, nbf, iat
  bool require_exp = true;              // a token without exp is refused
  std::vector<std::string> issuers;     // any of them; empty = not checked
  std::vector<std::string> audiences;   // any of them in aud; empty = not checked
  std::vector<std::string> required_scopes;  // all of them, from "scope" or "scp"
  std::string consumer_claim;          // "" = no consumer; else the claim names one of `consumers`
  std::vector<Consumer> consumers;
};
PolicyPtr make_jwt(JwtOptions options);

// acl: deny wins; then, when any allow entry is given, one must match. A
// request that fails either way, or has no consumer and no scopes, gets 403.
struct AclRules {
  std::vector<std::string> consumers;
  std::vector<std::string> tags;
  std::vector<std::string> scopes;
  // Verified TLS client certificates, by subject as Request::client_cert_subject
  // shows it ("CN=alice, O=Acme"): the certificate is the identity.
  std::vector<std::string> client_subjects;
  bool empty() const { return consumers.empty() && tags.empty() && scopes.empty() && client_subjects.empty(); }
};
struct AclOptions {
  AclRules allow;
  AclRules deny;
};
PolicyPtr make_acl(AclOptions options);

// ip_filter: deny wins; then, when `allow` is not empty, the client must be
// in it; else 403. The client is the socket peer, or, when the peer is a
// trusted proxy, the right-most X-Forwarded-For entry that is not one.
struct IpFilterOptions {
  std::vector<Cidr> allow;
  std::vector<Cidr> deny;
  std::vector<Cidr> trusted_proxies;
};
PolicyPtr make_ip_filter(IpFilterOptions options);

// size_limit: request bodies larger than max_body_bytes get 413, by
// Content-Length before the body is read, chunked once the count passes it.
struct SizeLimitOptions {
  uint64_t max_body_bytes = 0;
};
PolicyPtr make_size_limit(SizeLimitOptions options);

// cors: CORS headers for allowed origins; preflights answered with 204.
struct CorsOptions {
  // "*", an exact origin ("https://app.example.com") or a wildcard host
  // ("https://*.example.com": any subdomain, not the bare domain).
  std::vector<std::string> origins;
  std::vector<std::string> methods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
  std::vector<std::string> headers;         // empty: allow what the preflight asks for
  std::vector<std::string> expose_headers;
  bool credentials = false;
  int64_t max_age_s = -1;                   // -1: no Access-Control-Max-Age
};
PolicyPtr make_cors(CorsOptions options);
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

// schema: request bodies must be JSON the schema accepts; else 400 naming
// the JSON pointer of the first violation. A Content-Type not listed gets
// 400 too (as Kong's request-validator).
struct SchemaOptions {
  std::shared_ptr<const JsonSchema> schema;  // JsonSchema::compile (policy/json_schema.hpp)
  // Media types whose bodies are validated: "type/subtype" (`*` matches any
  // type or subtype) and parameters a request must give alike (media_type.hpp).
  std::vector<std::string> content_types = {"application/json"};
};
PolicyPtr make_schema(SchemaOptions options);
// json_body: removes or masks values, by JSON pointer, in request and
// response bodies of a JSON content type. Bodies longer than max_body_bytes,
// compressed or not JSON pass unchanged (counted), or, for overflows with
// kReject, get 413 (requests) or 502 (answers).
struct JsonBodyOptions {
  enum class OnOverflow : uint8_t { kPass, kReject };
  JsonRedactRules request;
  JsonRedactRules response;
  uint64_t max_body_bytes = 1 << 20;
  OnOverflow on_overflow = OnOverflow::kPass;
  // Media types, lower case, without parameters; empty: application/json
  // and every type whose subtype ends in "+json".
  std::vector<std::string> content_types;
};
PolicyPtr make_json_body(JsonBodyOptions options);

// cache: answers kept in memory, shared by the workers of the process, by
// method (HEAD reads GET's), host, path, query and `key_headers`. Honours
// Cache-Control and Vary (RFC 9111); concurrent misses for one key go to the
// origin once. Answers carry x-cache: HIT or MISS (and Age on a HIT).
struct CacheOptions {
  uint64_t ttl_ms = 60000;      // when the origin gives no s-maxage or max-age
  uint64_t max_ttl_ms = 0;      // caps the origin's s-maxage/max-age; 0 = no cap
  size_t max_entries = 10000;
  size_t max_bytes = 64u << 20;       // all entries; least recently used go first
  size_t max_entry_bytes = 1u << 20;  // a longer answer is not stored (streams on)
  std::vector<std::string> methods = {"GET", "HEAD"};
  std::vector<int> statuses = {200, 203, 204, 300, 301, 404, 405, 410, 414, 501};
  std::vector<std::string> key_headers;  // lower case
  bool request_no_cache = false;  // honour the client's Cache-Control: no-cache / no-store
  size_t max_waiters = 1000;      // per key, while one request fetches it
};
PolicyPtr make_cache(CacheOptions options);

}  // namespace apigw::policy
