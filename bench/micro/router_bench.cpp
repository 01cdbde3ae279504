// Router lookup cost at 10 vs 10,000 routes: it should barely change.
//
// Builds two tables of mixed literal/param/catch-all/prefix routes over a few
// hosts, then times ~2,000,000 lookups on each over the same mix of request
// shapes (hits of each kind, 405s and 404s).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "apigw/arena.hpp"
#include "apigw/headers.hpp"
#include "router/route_table.hpp"

using apigw::router::RouteSpec;
using apigw::router::RouteTable;

namespace {

const char* const kHosts[] = {"api.example.com", "*.example.org", ""};

std::vector<RouteSpec> make_specs(int n) {
  std::vector<RouteSpec> specs;
  for (int i = 0; static_cast<int>(specs.size()) < n; ++i) {
    std::string k = std::to_string(i);
    RouteSpec s;
    if (kHosts[i % 3][0]) s.hosts = {kHosts[i % 3]};
    switch (i % 4) {
      case 0: s.path = "/svc" + k + "/items"; break;
      case 1: s.path = "/svc" + k + "/items/{id}/detail"; s.methods = {"GET", "PUT"}; break;
      case 2: s.path = "/svc" + k + "/files/{*path}"; break;
      case 3: s.path = "/static" + k + "/"; s.is_prefix = true; break;
    }
    specs.push_back(std::move(s));
  }
  return specs;
}

struct Request {
  std::string host, method, path;
};

// Requests against routes 0..n-1 of make_specs(n), spread over the table:
// each kind of hit, plus misses (404) and wrong methods (405).
std::vector<Request> make_requests(int n) {
  std::vector<Request> reqs;
  for (int j = 0; j < 1024; ++j) {
    int kind = j % 6;
    int i = static_cast<int>((static_cast<long long>(j) * 7919) % (n / 4)) * 4 + kind % 4;
    std::string k = std::to_string(i);
    std::string host = i % 3 == 0 ? "api.example.com" : i % 3 == 1 ? "a.b.example.org" : "x.net";
    switch (kind) {
      case 0: reqs.push_back({host, "GET", "/svc" + k + "/items"}); break;
      case 1: reqs.push_back({host, "GET", "/svc" + k + "/items/12345/detail"}); break;
      case 2: reqs.push_back({host, "GET", "/svc" + k + "/files/css/site/main.css"}); break;
      case 3: reqs.push_back({host, "GET", "/static" + k + "/img/logo.png"}); break;
      case 4: reqs.push_back({host, "GET", "/nope/" + k}); break;                 // 404
      case 5: reqs.push_back({host, "POST", "/svc" + k + "/items/1/detail"}); break;  // 405
    }
  }
  return reqs;
}

double ns_per_lookup(int routes, long lookups) {
  auto built = RouteTable::build(make_specs(routes));
  if (!built.is_ok()) {
    std::fprintf(stderr, "build failed: %s\n", built.status().to_string().c_str());
    std::exit(1);
  }
  const RouteTable& table = built.value();
  std::vector<Request> reqs = make_requests(routes);
  apigw::Arena arena;
  apigw::HeaderMap headers(arena);
  headers.add("user-agent", "bench");
  volatile uint32_t sink = 0;
  size_t found = 0;
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < lookups; ++i) {
    const Request& r = reqs[static_cast<size_t>(i) & 1023];
    auto m = table.match(r.host, r.method, r.path, headers);
    sink = sink + m.route + static_cast<uint32_t>(m.params.size);
    found += m.kind == apigw::router::Match::Kind::kFound;
    sink = sink + static_cast<uint32_t>(m.allow.size());
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  double ns = std::chrono::duration<double, std::nano>(elapsed).count() / static_cast<double>(lookups);
  std::printf("%6d routes: %7.1f ns/lookup (%.0f%% found)\n", routes, ns,
              100.0 * static_cast<double>(found) / static_cast<double>(lookups));
  return ns;
}

}  // namespace

int main() {
  constexpr long kLookups = 2'000'000;
  ns_per_lookup(10, kLookups / 10);  // warm up
  double small = ns_per_lookup(10, kLookups);
  double large = ns_per_lookup(10'000, kLookups);
  std::printf("ratio 10000/10: %.2f\n", large / small);
  return 0;
}
