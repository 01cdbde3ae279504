// Cost of each access policy per request, in ns: its on_request and
// on_response phases called directly on an exchange holding a typical
// request, minus the same loop without the policy (making and filling the
// exchange). Rounds are interleaved and the fastest round of each case
// counts, to keep noise from other processes out.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"

namespace ap = apigw::policy;

namespace {

constexpr int kRequests = 200000;
constexpr int kRounds = 7;

// Exchange's constructor is for the gateway's own flows; a bench may derive.
class BenchExchange final : public apigw::Exchange {
 public:
  BenchExchange() : Exchange(1 << 20) {}
};

void fill(apigw::Request& r, bool preflight) {
  r.method = preflight ? "OPTIONS" : "GET";
  r.target = r.path = "/u/1";
  r.host = "api.example.com";
  r.client_ip = "127.0.0.1";
  r.headers.add_view("host", "api.example.com");
  r.headers.add_view("user-agent", "bench/1.0");
  r.headers.add_view("accept", "application/json");
  r.headers.add_view("x-api-key", "key-501-abcdef");
  r.headers.add_view("origin", "https://app.example.com");
  r.headers.add_view("x-forwarded-for", "198.51.100.7");
  r.headers.add_view("cookie", "a=b");
  if (preflight) r.headers.add_view("access-control-request-method", "GET");
}

struct Case {
  const char* name;
  std::vector<apigw::PolicyPtr> policies;
  bool preflight = false;
  double best_ns = 1e18;
};

double run(const Case& c) {
  auto start = std::chrono::steady_clock::now();
  for (int n = 0; n < kRequests; ++n) {
    BenchExchange ex;
    fill(ex.request(), c.preflight);
    ex.response().headers.add_view("content-type", "application/json");
    for (const auto& p : c.policies)
      if (p->on_request(ex) != apigw::Decision::kContinue) break;
    for (auto it = c.policies.rbegin(); it != c.policies.rend(); ++it) (*it)->on_response(ex);
  }
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / kRequests;
}

// A cache holding the bench request's answer: its MISS, answered and stored.
apigw::PolicyPtr primed_cache() {
  apigw::PolicyPtr cache = ap::make_cache({});
  BenchExchange ex;
  fill(ex.request(), false);
  cache->on_request(ex);
  cache->on_request_body(ex);
  ex.respond(200, R"({"id":1,"name":"bench"})", "application/json");
  cache->on_response(ex);
  cache->on_response_body(ex);
  return cache;
}

ap::Cidr cidr(const char* s) {
  ap::Cidr c;
  ap::parse_cidr(s, &c);
  return c;
}

}  // namespace

int main() {
  ap::ApiKeyOptions key;
  for (int i = 0; i < 1000; ++i)
    key.consumers.push_back(
        {"c" + std::to_string(i), {i % 2 ? "gold" : "silver"}, {"key-" + std::to_string(i) + "-abcdef"}});
  ap::AclOptions acl;
  acl.allow.tags = {"gold"};
  ap::CorsOptions cors;
  cors.origins = {"https://app.example.com", "https://*.example.org"};
  cors.expose_headers = {"x-request-id"};
  cors.credentials = true;
  cors.max_age_s = 600;
  ap::HeadersOptions headers;
  headers.request.set = {{"x-user", "user-{consumer}"}};
  headers.request.remove = {"cookie"};
  headers.response.add = {{"x-gateway", "apigw"}};
  ap::IpFilterOptions ip;
  ip.allow = {cidr("10.0.0.0/8"), cidr("192.168.0.0/16"), cidr("198.51.100.0/24")};
  ip.trusted_proxies = {cidr("127.0.0.1")};

  std::vector<Case> cases;
  cases.push_back({"exchange alone", {}});
  cases.push_back({"api_key (1000 consumers)", {ap::make_api_key(key)}});
  cases.push_back({"api_key + acl", {ap::make_api_key(key), ap::make_acl(acl)}});
  cases.push_back({"cors (actual request)", {ap::make_cors(cors)}});
  cases.push_back({"cors (preflight)", {ap::make_cors(cors)}, true});
  cases.push_back({"headers (3 ops, 1 placeholder)", {ap::make_headers(headers)}});
  cases.push_back({"ip_filter (XFF, 3 CIDRs)", {ap::make_ip_filter(ip)}});
  cases.push_back({"size_limit", {ap::make_size_limit({1024})}});
  cases.push_back({"cache (HIT: lookup and answer)", {primed_cache()}});
  Case preflight_base{"exchange alone (preflight)", {}, true};

  for (int round = 0; round < kRounds; ++round) {
    for (auto& c : cases) c.best_ns = std::min(c.best_ns, run(c));
    preflight_base.best_ns = std::min(preflight_base.best_ns, run(preflight_base));
  }
  // The exchange lines are the whole loop; the others only what the policy adds.
  std::printf("%s: %.1f ns/op (%d ops)\n", cases[0].name, cases[0].best_ns, kRequests);
  std::printf("%s: %.1f ns/op (%d ops)\n", preflight_base.name, preflight_base.best_ns, kRequests);
  for (size_t i = 1; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const double base = c.preflight ? preflight_base.best_ns : cases[0].best_ns;
    std::printf("%s: %.1f ns/op (%d ops)\n", c.name, c.best_ns - base, kRequests);
  }
  return 0;
}
