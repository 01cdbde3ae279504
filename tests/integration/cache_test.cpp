// The cache policy through a real gateway (two workers) and a real origin
// that counts the requests it gets: what is stored and served, for how long,
// request coalescing, and purge. Time moves on a ManualClock, never by sleeping.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "apigw/gateway.hpp"
#include "policy/builtin.hpp"
#include "raw_origin.hpp"
#include "socket_client.hpp"

using apigw::test::RawOrigin;
using apigw::test::SocketClient;
using apigw::test::get_request;
using apigw::test::ok_response;

namespace {

struct CachedGateway {
  std::shared_ptr<apigw::ManualClock> clock = std::make_shared<apigw::ManualClock>();
  std::unique_ptr<apigw::Gateway> gw;
  std::string address;

  apigw::testing::ClientResponse get(const std::string& path, const std::string& extra = "") {
    SocketClient c(address);
    c.send(get_request(path, extra));
    return c.read_response();
  }
  ~CachedGateway() {
    if (gw) gw->stop();
  }
};

std::unique_ptr<CachedGateway> start(const std::string& origin, apigw::policy::CacheOptions options = {}) {
  auto g = std::make_unique<CachedGateway>();
  apigw::UpstreamOptions u;
  u.name = "origin";
  u.targets.push_back({origin, 1});
  apigw::RouteOptions r = apigw::test::catch_all("origin");
  r.name = "cached";
  r.policies = {"cache"};
  apigw::GatewayBuilder b;
  b.workers(2).clock(g->clock).listener({"l", "127.0.0.1:0"}).upstream(u).route(r);
  b.policy("cache", apigw::policy::make_cache(std::move(options)));
  auto gw = b.build();
  REQUIRE_MESSAGE(gw, gw.status().to_string());
  REQUIRE(gw.value()->start());
  g->address = gw.value()->bound_addresses()[0];
  g->gw = std::move(gw.value());
  return g;
}

// The request head's path.
std::string path_of(const std::string& head) {
  size_t sp = head.find(' ');
  return head.substr(sp + 1, head.find(' ', sp + 1) - sp - 1);
}

// The value of a request header in a head the gateway forwarded ("" when absent).
std::string header_of(const std::string& head, const std::string& name) {
  size_t at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  at += name.size() + 4;
  return head.substr(at, head.find("\r\n", at) - at);
}

// Waits, bounded, until `done` holds.
template <class Pred>
bool await(Pred done, std::chrono::seconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace

TEST_CASE("cache: a MISS goes to the origin, then a HIT is served from memory with its Age") {
  RawOrigin origin([](const std::string&, bool*) { return ok_response("fresh", "content-type: text/plain\r\n"); });
  auto g = start(origin.address());
  auto first = g->get("/a?x=1");
  CHECK(first.status == 200);
  CHECK(first.body == "fresh");
  CHECK(first.header("x-cache") == "MISS");
  g->clock->advance_ms(3500);
  auto second = g->get("/a?x=1");
  CHECK(second.status == 200);
  CHECK(second.body == "fresh");
  CHECK(second.header("x-cache") == "HIT");
  CHECK(second.header("age") == "3");
  CHECK(second.header("content-type") == "text/plain");
  CHECK(second.header("content-length") == "5");
  CHECK(origin.requests() == 1);
  // Another query is another key.
  CHECK(g->get("/a?x=2").header("x-cache") == "MISS");
  CHECK(origin.requests() == 2);
}

TEST_CASE("cache: HEAD is served from the GET entry, and POST is never cached") {
  RawOrigin origin([](const std::string&, bool*) { return ok_response("body"); });
  auto g = start(origin.address());
  CHECK(g->get("/h").header("x-cache") == "MISS");
  SocketClient c(g->address);
  c.send("HEAD /h HTTP/1.1\r\nhost: test\r\n\r\n");
  std::string head = c.read_raw_until("\r\n\r\n");
  CHECK(head.find("x-cache: HIT") != std::string::npos);
  CHECK(head.find("content-length: 4") != std::string::npos);
  for (int i = 0; i < 2; ++i) {
    SocketClient p(g->address);
    p.send("POST /h HTTP/1.1\r\nhost: test\r\ncontent-length: 2\r\n\r\nhi");
    auto res = p.read_response();
    CHECK(res.status == 200);
    CHECK(res.header("x-cache") == "");  // bypassed: not looked up
  }
  CHECK(origin.requests() == 3);
}

TEST_CASE("cache: an entry expires after ttl_ms") {
  RawOrigin origin([](const std::string&, bool*) { return ok_response("x"); });
  apigw::policy::CacheOptions o;
  o.ttl_ms = 2000;
  auto g = start(origin.address(), o);
  CHECK(g->get("/t").header("x-cache") == "MISS");
  g->clock->advance_ms(1999);
  CHECK(g->get("/t").header("x-cache") == "HIT");
  g->clock->advance_ms(1);
  CHECK(g->get("/t").header("x-cache") == "MISS");
  CHECK(origin.requests() == 2);
}

TEST_CASE("cache: no-store, private, no-cache, Set-Cookie and Vary * answers are not stored") {
  RawOrigin origin([](const std::string& head, bool*) {
    std::string p = path_of(head);
    if (p == "/no-store") return ok_response("a", "cache-control: no-store\r\n");
    if (p == "/private") return ok_response("b", "cache-control: private, max-age=60\r\n");
    if (p == "/no-cache") return ok_response("c", "Cache-Control: no-cache\r\n");
    if (p == "/cookie") return ok_response("d", "set-cookie: s=1\r\n");
    if (p == "/vary-star") return ok_response("e", "vary: *\r\n");
    return ok_response("f");
  });
  auto g = start(origin.address());
  for (const char* path : {"/no-store", "/private", "/no-cache", "/cookie", "/vary-star"}) {
    CAPTURE(path);
    CHECK(g->get(path).header("x-cache") == "MISS");
    CHECK(g->get(path).header("x-cache") == "MISS");
  }
  CHECK(origin.requests() == 10);
}

TEST_CASE("cache: only the configured statuses are stored") {
  RawOrigin origin([](const std::string& head, bool*) {
    if (path_of(head) == "/gone") return std::string("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
    return std::string("HTTP/1.1 500 Oops\r\ncontent-length: 4\r\n\r\noops");
  });
  auto g = start(origin.address());
  CHECK(g->get("/gone").status == 404);
  auto again = g->get("/gone");
  CHECK(again.status == 404);
  CHECK(again.header("x-cache") == "HIT");
  CHECK(g->get("/err").status == 500);
  CHECK(g->get("/err").header("x-cache") == "MISS");
  CHECK(origin.requests() == 3);
}

TEST_CASE("cache: s-maxage beats max-age and ttl_ms, and max_ttl_ms caps it") {
  RawOrigin origin([](const std::string& head, bool*) {
    if (path_of(head) == "/capped") return ok_response("c", "cache-control: max-age=600\r\n");
    return ok_response("s", "cache-control: max-age=5, s-maxage=100\r\n");
  });
  apigw::policy::CacheOptions o;
  o.ttl_ms = 1000;
  o.max_ttl_ms = 200000;
  auto g = start(origin.address(), o);
  CHECK(g->get("/s").header("x-cache") == "MISS");
  CHECK(g->get("/capped").header("x-cache") == "MISS");
  g->clock->advance_ms(50000);  // past ttl_ms and max-age, within s-maxage
  auto hit = g->get("/s");
  CHECK(hit.header("x-cache") == "HIT");
  CHECK(hit.header("age") == "50");
  CHECK(hit.header("cache-control") == "max-age=5, s-maxage=100");
  g->clock->advance_ms(50000);  // 100 s: stale
  CHECK(g->get("/s").header("x-cache") == "MISS");
  CHECK(g->get("/capped").header("x-cache") == "HIT");  // 100 s of 200 s (600 capped)
  g->clock->advance_ms(100000);
  CHECK(g->get("/capped").header("x-cache") == "MISS");
}

TEST_CASE("cache: the origin's Age counts against freshness and is added to the Age sent") {
  RawOrigin origin([](const std::string&, bool*) {
    return ok_response("x", "cache-control: max-age=60\r\nage: 50\r\n");
  });
  auto g = start(origin.address());
  CHECK(g->get("/aged").header("x-cache") == "MISS");
  g->clock->advance_ms(5000);
  auto hit = g->get("/aged");
  CHECK(hit.header("x-cache") == "HIT");
  CHECK(hit.header("age") == "55");
  g->clock->advance_ms(5000);  // 60 s old in all
  CHECK(g->get("/aged").header("x-cache") == "MISS");
}

TEST_CASE("cache: answers to requests with Authorization are stored only when public or s-maxage") {
  RawOrigin origin([](const std::string& head, bool*) {
    std::string p = path_of(head);
    if (p == "/public") return ok_response("p", "cache-control: public, max-age=60\r\n");
    if (p == "/shared") return ok_response("s", "cache-control: s-maxage=60\r\n");
    return ok_response("u", "cache-control: max-age=60\r\n");
  });
  auto g = start(origin.address());
  const std::string auth = "authorization: Bearer t\r\n";
  for (const char* path : {"/user", "/public", "/shared"}) g->get(path, auth);
  CHECK(g->get("/user", auth).header("x-cache") == "MISS");
  CHECK(g->get("/public", auth).header("x-cache") == "HIT");
  CHECK(g->get("/shared", auth).header("x-cache") == "HIT");
}

TEST_CASE("cache: Vary keeps one variant per key, for the request header values it was stored with") {
  RawOrigin origin([](const std::string& head, bool*) {
    return ok_response("lang=" + header_of(head, "accept-language"), "vary: Accept-Language\r\n");
  });
  auto g = start(origin.address());
  auto en = g->get("/v", "accept-language: en\r\n");
  CHECK(en.header("x-cache") == "MISS");
  CHECK(g->get("/v", "accept-language: en\r\n").header("x-cache") == "HIT");
  auto fr = g->get("/v", "accept-language: fr\r\n");
  CHECK(fr.header("x-cache") == "MISS");
  CHECK(fr.body == "lang=fr");
  auto fr_hit = g->get("/v", "accept-language: fr\r\n");
  CHECK(fr_hit.header("x-cache") == "HIT");
  CHECK(fr_hit.body == "lang=fr");
  CHECK(g->get("/v").header("x-cache") == "MISS");  // no header is a value of its own
  CHECK(origin.requests() == 3);
}

TEST_CASE("cache: key_headers make one entry per header value") {
  RawOrigin origin([](const std::string& head, bool*) { return ok_response("tenant=" + header_of(head, "x-tenant")); });
  apigw::policy::CacheOptions o;
  o.key_headers = {"X-Tenant"};
  auto g = start(origin.address(), o);
  CHECK(g->get("/k", "x-tenant: a\r\n").header("x-cache") == "MISS");
  CHECK(g->get("/k", "x-tenant: b\r\n").header("x-cache") == "MISS");
  auto a = g->get("/k", "x-tenant: a\r\n");
  CHECK(a.header("x-cache") == "HIT");
  CHECK(a.body == "tenant=a");
  auto b = g->get("/k", "x-tenant: b\r\n");
  CHECK(b.header("x-cache") == "HIT");
  CHECK(b.body == "tenant=b");
  CHECK(origin.requests() == 2);
}

TEST_CASE("cache: an answer longer than max_entry_bytes streams through and is not stored") {
  std::string big(3000, 'z');
  RawOrigin origin([&](const std::string&, bool*) { return ok_response(big); });
  apigw::policy::CacheOptions o;
  o.max_entry_bytes = 1024;
  auto g = start(origin.address(), o);
  auto first = g->get("/big");
  CHECK(first.body == big);
  CHECK(first.header("x-cache") == "MISS");
  CHECK(g->get("/big").header("x-cache") == "MISS");
  CHECK(origin.requests() == 2);
}

TEST_CASE("cache: 20 concurrent misses for one key reach the origin once and all get the answer") {
  constexpr int kClients = 20;
  CachedGateway* gp = nullptr;
  std::atomic<bool> all_waiting{false};
  RawOrigin origin([&](const std::string&, bool*) {
    // Holds the answer until every client's request is in the gateway.
    all_waiting = await([&] { return gp && gp->gw->active_requests() == static_cast<uint64_t>(kClients); });
    return ok_response("shared answer", "cache-control: max-age=60\r\n");
  });
  auto g = start(origin.address());
  gp = g.get();
  std::vector<std::unique_ptr<SocketClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<SocketClient>(g->address));
    clients.back()->send(get_request("/hot"));
  }
  int hits = 0, misses = 0;
  for (auto& c : clients) {
    auto res = c->read_response(std::chrono::seconds(15));
    CHECK(res.status == 200);
    CHECK(res.body == "shared answer");
    hits += res.header("x-cache") == "HIT";
    misses += res.header("x-cache") == "MISS";
  }
  CHECK(all_waiting);
  CHECK(origin.requests() == 1);
  CHECK(misses == 1);
  CHECK(hits == kClients - 1);
}

TEST_CASE("cache: when the leader's answer is not cacheable, its waiters go to the origin themselves") {
  constexpr int kClients = 20;
  CachedGateway* gp = nullptr;
  std::atomic<int> answered{0};
  RawOrigin origin([&](const std::string&, bool*) {
    if (answered++ == 0)
      await([&] { return gp && gp->gw->active_requests() == static_cast<uint64_t>(kClients); });
    return std::string("HTTP/1.1 500 Oops\r\ncontent-length: 4\r\n\r\noops");
  });
  auto g = start(origin.address());
  gp = g.get();
  std::vector<std::unique_ptr<SocketClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<SocketClient>(g->address));
    clients.back()->send(get_request("/failing"));
  }
  for (auto& c : clients) {
    auto res = c->read_response(std::chrono::seconds(15));
    CHECK(res.status == 500);
    CHECK(res.header("x-cache") == "MISS");
  }
  CHECK(origin.requests() == kClients);
  CHECK(await([&] { return g->gw->active_requests() == 0; }));  // every exchange ended
}

TEST_CASE("cache: when the leader's origin is down, its waiters are released with the same error") {
  apigw::test::RefusedPort dead;
  auto g = start(dead.address());
  std::vector<std::unique_ptr<SocketClient>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<SocketClient>(g->address));
    clients.back()->send(get_request("/down"));
  }
  for (auto& c : clients) CHECK(c->read_response(std::chrono::seconds(15)).status == 502);
}

TEST_CASE("cache: purge_cache removes the entries under a path prefix") {
  RawOrigin origin([](const std::string& head, bool*) { return ok_response(path_of(head)); });
  auto g = start(origin.address());
  for (const char* p : {"/v1/a", "/v1/b", "/v2/a"}) CHECK(g->get(p).header("x-cache") == "MISS");
  CHECK(g->gw->purge_cache("/v1/") == 2);
  CHECK(g->get("/v1/a").header("x-cache") == "MISS");
  CHECK(g->get("/v2/a").header("x-cache") == "HIT");
  CHECK(g->gw->purge_cache("/") == 2);
  CHECK(g->get("/v2/a").header("x-cache") == "MISS");
}
