// No heap allocation on the steady-state request path.
//
// This binary replaces the global operator new with one that counts, per
// thread. A handler route reads the count of the worker thread it runs on,
// so the client, the origin and the test thread do not disturb the figure.
// Between two reads, N requests answered from memory and N proxied requests
// over warm keep-alive connections must not allocate at all.
#include <doctest/doctest.h>

#include <cstdlib>
#include <new>
#include <string>

#include "apigw/gateway.hpp"
#include "policy/builtin.hpp"
#include "policy/jwt_key.hpp"
#include "integration/raw_origin.hpp"
#include "integration/socket_client.hpp"

namespace {
thread_local uint64_t t_allocations = 0;
}

void* operator new(size_t size) {
  ++t_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

using apigw::test::RawOrigin;
using apigw::test::SocketClient;

// The worker's count, read on the worker's thread (the read itself allocates
// the same amount every time; the test subtracts it).
uint64_t worker_allocations(SocketClient& c) {
  c.send("GET /allocations HTTP/1.1\r\nhost: t\r\n\r\n");
  auto r = c.read_response();
  REQUIRE(r.status == 200);
  return std::stoull(r.body);
}

void send_requests(SocketClient& c, const std::string& path, int count) {
  const std::string request = "GET " + path + " HTTP/1.1\r\nhost: t\r\nuser-agent: alloc-test\r\naccept: */*\r\n\r\n";
  for (int i = 0; i < count; ++i) {
    c.send(request);
    auto r = c.read_response();
    REQUIRE(r.status == 200);
  }
}

}  // namespace

TEST_CASE("steady state: answering from memory and proxying allocate nothing per request") {
  RawOrigin origin([](const std::string&, bool*) { return apigw::test::ok_response("from origin"); });
  apigw::GatewayBuilder b;
  b.workers(1);
  b.listener({"l", "127.0.0.1:0"});
  b.handler("allocations", [](apigw::Exchange& ex) {
    uint64_t n = t_allocations;  // before this handler allocates anything
    return ex.respond(200, std::to_string(n));
  });
  apigw::UpstreamOptions u;
  u.name = "origin";
  u.targets.push_back({origin.address(), 1});
  b.upstream(std::move(u));
  apigw::RouteOptions count;
  count.name = "allocations";
  count.match.path = "/allocations";
  count.handler = "allocations";
  b.route(std::move(count));
  apigw::RouteOptions respond;
  respond.name = "respond";
  respond.match.path = "/respond";
  respond.respond = apigw::StaticResponse{200, {{"content-type", "text/plain"}}, "hello, world\n"};
  b.route(std::move(respond));
  apigw::RouteOptions proxy;
  proxy.name = "proxy";
  proxy.match.path = "/proxy";
  proxy.upstream = "origin";
  b.route(std::move(proxy));
  auto gw = b.build();
  REQUIRE_MESSAGE(gw, gw.status().to_string());
  REQUIRE(gw.value()->start());
  SocketClient c(gw.value()->bound_addresses()[0]);
  REQUIRE(c.connected());

  // Warm up: pools, caches and buffers reach their steady size.
  send_requests(c, "/respond", 200);
  send_requests(c, "/proxy", 200);
  uint64_t a = worker_allocations(c);
  uint64_t b1 = worker_allocations(c);
  uint64_t per_read = b1 - a;

  send_requests(c, "/respond", 1000);
  uint64_t after_respond = worker_allocations(c);
  CHECK(after_respond - b1 == per_read);

  send_requests(c, "/proxy", 1000);
  uint64_t after_proxy = worker_allocations(c);
  CHECK(after_proxy - after_respond == per_read);
  gw.value()->stop();
}

#ifdef APIGW_WITH_TLS
// {"alg":"HS256","typ":"JWT","kid":"k1"} . {"sub":"alice","iss":"https://id.example","aud":"api",
// "exp":4102444800,"scope":"read write"}, signed with kSecret.
constexpr char kJwtSecret[] = "0123456789abcdef0123456789abcdef";
constexpr char kJwt[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0."
    "eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vaWQuZXhhbXBsZSIsImF1ZCI6ImFwaSIsImV4cCI6NDEwMjQ0NDgwMCwic2NvcGUiOiJyZWFkIHdyaXRlIn0."
    "ccC5dW0rGtBHWYiOVCMkmq14oG6108lSVUPGzcKZrAg";

TEST_CASE("steady state: an HS256 jwt route (claims, scopes, consumer) allocates nothing per request") {
  apigw::GatewayBuilder b;
  b.workers(1);
  b.listener({"l", "127.0.0.1:0"});
  b.handler("allocations", [](apigw::Exchange& ex) {
    uint64_t n = t_allocations;
    return ex.respond(200, std::to_string(n));
  });
  apigw::RouteOptions count;
  count.name = "allocations";
  count.match.path = "/allocations";
  count.handler = "allocations";
  b.route(std::move(count));
  namespace jwt = apigw::policy::jwt;
  apigw::policy::JwtOptions o;
  o.keys.push_back(jwt::Key::hmac("k1", kJwtSecret, jwt::alg_bit(jwt::Alg::kHS256)).value());
  o.issuers = {"https://id.example"};
  o.audiences = {"api"};
  o.required_scopes = {"read"};
  o.consumer_claim = "sub";
  o.consumers.push_back({"alice", {"gold"}, {}});
  b.policy("auth", apigw::policy::make_jwt(std::move(o)));
  apigw::RouteOptions guarded;
  guarded.name = "guarded";
  guarded.match.path = "/guarded";
  guarded.policies = {"auth"};
  guarded.respond = apigw::StaticResponse{200, {{"content-type", "text/plain"}}, "hello, alice\n"};
  b.route(std::move(guarded));
  auto gw = b.build();
  REQUIRE_MESSAGE(gw, gw.status().to_string());
  REQUIRE(gw.value()->start());
  SocketClient c(gw.value()->bound_addresses()[0]);
  REQUIRE(c.connected());

  const std::string request = std::string("GET /guarded HTTP/1.1\r\nhost: t\r\nauthorization: Bearer ") + kJwt + "\r\n\r\n";
  auto send_guarded = [&](int n) {
    for (int i = 0; i < n; ++i) {
      c.send(request);
      REQUIRE(c.read_response().status == 200);
    }
  };
  send_guarded(200);  // warm up
  uint64_t a = worker_allocations(c);
  uint64_t b1 = worker_allocations(c);
  send_guarded(1000);
  CHECK(worker_allocations(c) - b1 == b1 - a);
  gw.value()->stop();
}
#endif  // APIGW_WITH_TLS
