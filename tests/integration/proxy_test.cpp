// The gateway as a reverse proxy, against real loopback origins.
#include <doctest/doctest.h>

#include <map>

#include "apigw/gateway.hpp"
#include "raw_origin.hpp"
#include "socket_client.hpp"

using apigw::test::RawOrigin;
using apigw::test::RefusedPort;
using apigw::test::SocketClient;
using apigw::test::get_request;
using apigw::test::ok_response;

namespace {

struct Proxy {
  std::unique_ptr<apigw::Gateway> gw;
  std::string address;
};

Proxy start_proxy(apigw::UpstreamOptions upstream, apigw::RouteOptions route = {}) {
  apigw::GatewayBuilder b;
  if (route.name.empty()) {
    route.name = "all";
    route.match.path_prefix = "/";
  }
  route.upstream = upstream.name;
  b.listener({"l", "127.0.0.1:0"}).upstream(std::move(upstream)).route(std::move(route));
  auto gw = b.build();
  REQUIRE_MESSAGE(gw, gw.status().to_string());
  REQUIRE(gw.value()->start());
  std::string addr = gw.value()->bound_addresses()[0];
  return {std::move(gw.value()), addr};
}

apigw::UpstreamOptions upstream_of(std::vector<std::string> addresses) {
  apigw::UpstreamOptions u;
  u.name = "origin";
  for (auto& a : addresses) u.targets.push_back({a, 1});
  return u;
}

std::string header_line(const std::string& head, const std::string& name) {
  size_t p = head.find("\r\n" + name + ": ");
  if (p == std::string::npos) return "";
  size_t start = p + 4 + name.size();
  return head.substr(start, head.find("\r\n", start) - start);
}

}  // namespace

TEST_CASE("proxy: forwards a GET, keeps Host, adds forwarding headers, strips hop-by-hop ones") {
  RawOrigin origin([](const std::string&, bool*) { return ok_response("hi from origin", "connection: keep-alive\r\nx-origin: 1\r\n"); });
  auto p = start_proxy(upstream_of({origin.address()}));
  SocketClient c(p.address);
  c.send("GET /a/b?x=1 HTTP/1.1\r\nhost: api.example.com\r\nconnection: x-secret\r\nx-secret: s\r\n"
         "keep-alive: timeout=5\r\nte: trailers\r\nproxy-authorization: basic x\r\nx-forwarded-for: 10.0.0.1\r\n"
         "x-keep: yes\r\n\r\n");
  auto res = c.read_response();
  CHECK(res.status == 200);
  CHECK(res.body == "hi from origin");
  CHECK(res.header("x-origin") == "1");
  CHECK(res.header("connection") == "");  // the origin's hop-by-hop field stays behind
  std::string head = origin.last_head();
  CHECK(head.rfind("GET /a/b?x=1 HTTP/1.1\r\n", 0) == 0);
  CHECK(header_line(head, "host") == "api.example.com");
  CHECK(header_line(head, "x-keep") == "yes");
  CHECK(header_line(head, "x-forwarded-for") == "10.0.0.1, 127.0.0.1");
  CHECK(header_line(head, "x-forwarded-proto") == "http");
  CHECK(header_line(head, "x-forwarded-host") == "api.example.com");
  CHECK(header_line(head, "via") == "1.1 apigw");
  for (const char* gone : {"connection", "x-secret", "keep-alive", "te", "proxy-authorization"})
    CHECK_MESSAGE(header_line(head, gone).empty(), gone);
  p.gw->stop();
}

TEST_CASE("proxy: upstream connections are kept alive and reused") {
  RawOrigin origin([](const std::string&, bool*) { return ok_response("x"); });
  auto p = start_proxy(upstream_of({origin.address()}));
  SocketClient c(p.address);
  for (int i = 0; i < 20; ++i) {
    c.send(get_request("/x"));
    REQUIRE(c.read_response().status == 200);
  }
  CHECK(origin.requests() == 20);
  CHECK(origin.connections() == 1);
  p.gw->stop();
}

TEST_CASE("proxy: POST bodies and large answers pass through intact") {
  std::string big(3 * 1024 * 1024 + 17, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  RawOrigin origin([&big](const std::string& head, bool*) {
    if (head.rfind("POST", 0) == 0) return ok_response("got " + header_line(head, "content-length"));
    return ok_response(big);
  });
  auto p = start_proxy(upstream_of({origin.address()}));
  SocketClient c(p.address);
  c.send("POST /up HTTP/1.1\r\nhost: t\r\ncontent-length: 5\r\n\r\nhello");
  CHECK(c.read_response().body == "got 5");
  c.send(get_request("/big"));
  auto res = c.read_response(std::chrono::seconds(10));
  CHECK(res.status == 200);
  CHECK(res.body == big);
  p.gw->stop();
}

TEST_CASE("proxy: chunked and close-delimited answers are re-framed for the client") {
  RawOrigin chunked([](const std::string&, bool*) {
    return std::string("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  });
  RawOrigin until_close([](const std::string&, bool* close_after) {
    *close_after = true;
    return std::string("HTTP/1.1 200 OK\r\n\r\nuntil close");
  });
  for (auto* origin : {&chunked, &until_close}) {
    auto p = start_proxy(upstream_of({origin->address()}));
    SocketClient c(p.address);
    c.send(get_request("/"));
    auto res = c.read_response();
    CHECK(res.status == 200);
    CHECK((res.body == "hello world" || res.body == "until close"));
    CHECK(res.header("transfer-encoding") == "chunked");
    p.gw->stop();
  }
}

TEST_CASE("proxy: a dead target is retried on another one") {
  RawOrigin alive([](const std::string&, bool*) { return ok_response("alive"); });
  RefusedPort refused;
  const std::string& dead = refused.address();
  auto u = upstream_of({dead, alive.address()});
  u.retries.attempts = 2;
  auto p = start_proxy(u);
  for (int i = 0; i < 6; ++i) {
    SocketClient c(p.address);
    c.send(get_request("/"));
    auto res = c.read_response();
    CHECK(res.status == 200);
    CHECK(res.body == "alive");
  }
  p.gw->stop();
}

TEST_CASE("proxy: connect failure without retries is a 502 JSON error") {
  RefusedPort refused;
  const std::string& dead = refused.address();
  auto p = start_proxy(upstream_of({dead}));
  SocketClient c(p.address);
  c.send(get_request("/"));
  auto res = c.read_response();
  CHECK(res.status == 502);
  CHECK(res.body.find("\"code\":\"upstream_connect_failed\"") != std::string::npos);
  p.gw->stop();
}

TEST_CASE("proxy: a slow upstream is a 504 after timeouts.response_ms") {
  RawOrigin silent([](const std::string&, bool*) { return std::string(); });  // never answers
  auto u = upstream_of({silent.address()});
  u.timeouts.response_ms = 150;
  auto p = start_proxy(u);
  SocketClient c(p.address);
  auto t0 = std::chrono::steady_clock::now();
  c.send(get_request("/"));
  auto res = c.read_response();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  CHECK(res.status == 504);
  CHECK(ms >= 140);
  p.gw->stop();
}

TEST_CASE("proxy: an origin closing mid-body truncates the answer instead of completing it") {
  RawOrigin broken([](const std::string&, bool* close_after) {
    *close_after = true;
    return std::string("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part");
  });
  auto p = start_proxy(upstream_of({broken.address()}));
  SocketClient c(p.address);
  c.send(get_request("/"));
  auto res = c.read_response(std::chrono::seconds(2));
  CHECK(res.status == 0);  // never a complete answer
  CHECK(c.wait_closed());
  p.gw->stop();
}

TEST_CASE("proxy: a listed status is retried on another target, for idempotent methods") {
  RawOrigin failing([](const std::string&, bool*) {
    return std::string("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\nbusy");
  });
  RawOrigin fine([](const std::string&, bool*) { return ok_response("fine"); });
  auto u = upstream_of({failing.address(), fine.address()});
  u.retries.attempts = 2;
  u.retries.on = {"connect_failure", "503"};
  u.balance = apigw::Balance::kRoundRobin;
  auto p = start_proxy(u);
  int fine_answers = 0, busy_answers = 0;
  for (int i = 0; i < 4; ++i) {
    SocketClient c(p.address);
    c.send(get_request("/"));
    auto res = c.read_response();
    if (res.body == "fine") ++fine_answers;
    c.send("POST / HTTP/1.1\r\nhost: t\r\ncontent-length: 1\r\n\r\nx");
    auto post = c.read_response();
    if (post.status == 503) ++busy_answers;  // POST is not retried on a status
  }
  CHECK(fine_answers == 4);
  CHECK(busy_answers >= 1);
  p.gw->stop();
}

TEST_CASE("proxy: rewrite maps the route's parameters into the upstream path and host") {
  RawOrigin origin([](const std::string&, bool*) { return ok_response("ok"); });
  apigw::RouteOptions r;
  r.name = "users";
  r.match.path = "/v1/users/{id}/{*rest}";
  r.rewrite.path = "/internal/u/{id}/{rest}";
  r.rewrite.host = "users.internal";
  auto p = start_proxy(upstream_of({origin.address()}), r);
  SocketClient c(p.address);
  c.send(get_request("/v1/users/42/files/a.txt?v=2"));
  CHECK(c.read_response().status == 200);
  std::string head = origin.last_head();
  CHECK(head.rfind("GET /internal/u/42/files/a.txt?v=2 HTTP/1.1\r\n", 0) == 0);
  CHECK(header_line(head, "host") == "users.internal");
  p.gw->stop();
}

TEST_CASE("proxy: round robin spreads requests evenly over the targets") {
  std::vector<std::unique_ptr<RawOrigin>> origins;
  std::vector<std::string> addrs;
  for (int i = 0; i < 3; ++i) {
    origins.push_back(std::make_unique<RawOrigin>([i](const std::string&, bool*) { return ok_response(std::to_string(i)); }));
    addrs.push_back(origins.back()->address());
  }
  auto p = start_proxy(upstream_of(addrs));
  std::map<std::string, int> seen;
  SocketClient c(p.address);
  for (int i = 0; i < 30; ++i) {
    c.send(get_request("/"));
    seen[c.read_response().body]++;
  }
  CHECK(seen["0"] == 10);
  CHECK(seen["1"] == 10);
  CHECK(seen["2"] == 10);
  p.gw->stop();
}

TEST_CASE("proxy: Retry-After is honoured, a wait beyond the try window returns the origin's answer") {
  for (const char* retry_after : {"0", "100"}) {
    RawOrigin failing([retry_after](const std::string&, bool*) {
      return std::string("HTTP/1.1 503 Service Unavailable\r\nretry-after: ") + retry_after +
             "\r\ncontent-length: 4\r\n\r\nbusy";
    });
    RawOrigin fine([](const std::string&, bool*) { return ok_response("fine"); });
    auto u = upstream_of({failing.address(), fine.address()});
    u.retries.attempts = 2;
    u.retries.on = {"503"};
    u.timeouts.response_ms = 1000;
    auto p = start_proxy(u);
    SocketClient c(p.address);
    c.send(get_request("/"));  // round robin: the first try goes to `failing`
    auto res = c.read_response();
    if (std::string(retry_after) == "0") {
      CHECK(res.body == "fine");
    } else {
      CHECK(res.status == 503);  // 100 s is past the 1 s window: no retry
      CHECK(res.body == "busy");
    }
    p.gw->stop();
  }
}

TEST_CASE("proxy: 103 Early Hints and chunked trailers are passed on") {
  RawOrigin origin([](const std::string&, bool*) {
    return std::string(
        "HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n"
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-checksum\r\n\r\n"
        "5\r\nhello\r\n0\r\nx-checksum: abc\r\ncontent-length: 99\r\n\r\n");
  });
  auto p = start_proxy(upstream_of({origin.address()}));
  SocketClient c(p.address);
  c.send(get_request("/"));
  std::string hints = c.read_raw_until("\r\n\r\n");
  CHECK_MESSAGE(hints.rfind("HTTP/1.1 103 Early Hints\r\n", 0) == 0, hints);
  CHECK(hints.find("link: </style.css>; rel=preload\r\n") != std::string::npos);
  std::string rest = c.read_raw_until("\r\n0\r\n");
  rest += c.read_raw_until("\r\n\r\n");
  CHECK(rest.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(rest.find("hello") != std::string::npos);
  CHECK(rest.find("x-checksum: abc\r\n") != std::string::npos);
  CHECK(rest.find("content-length: 99") == std::string::npos);  // framing fields never pass as trailers
  p.gw->stop();
}

TEST_CASE("proxy: a host-name target is resolved, and re-resolved in the background") {
  RawOrigin origin([](const std::string&, bool*) { return ok_response("by name"); });
  std::string port = origin.address().substr(origin.address().rfind(':') + 1);
  auto p = start_proxy(upstream_of({"localhost:" + port}));
  SocketClient c(p.address);
  c.send(get_request("/"));
  CHECK(c.read_response().body == "by name");
  p.gw->stop();
}

TEST_CASE("proxy: upstream metrics count tries by outcome, retries, health and ejections") {
  RawOrigin alive([](const std::string&, bool*) { return ok_response("ok"); });
  RefusedPort refused;
  const std::string& dead = refused.address();
  apigw::UpstreamOptions u = upstream_of({dead, alive.address()});
  u.retries.attempts = 2;
  u.circuit_breaker.consecutive_failures = 1;
  apigw::RouteOptions r = apigw::test::catch_all(u.name);
  apigw::GatewayBuilder b;
  b.listener({"l", "127.0.0.1:0"}).admin({"127.0.0.1:0", ""}).upstream(u).route(r);
  auto gw = b.build().value();
  REQUIRE(gw->start());
  auto addrs = gw->bound_addresses();
  SocketClient c(addrs[0]);
  for (int i = 0; i < 4; ++i) {
    c.send(get_request("/"));
    CHECK(c.read_response().body == "ok");
  }
  SocketClient admin(addrs[1]);
  admin.send(get_request("/metrics"));
  std::string m = admin.read_response().body;
  auto has = [&](const std::string& line) {
    CAPTURE(line);
    CHECK(m.find(line) != std::string::npos);
  };
  has("apigw_upstream_requests_total{upstream=\"origin\",target=\"" + alive.address() + "\",outcome=\"answered\"} 4\n");
  has("apigw_upstream_requests_total{upstream=\"origin\",target=\"" + dead + "\",outcome=\"connect_failure\"} 1\n");
  has("apigw_upstream_retries_total{upstream=\"origin\"} 1\n");
  has("apigw_upstream_target_healthy{upstream=\"origin\",target=\"" + dead + "\"} 0\n");
  has("apigw_upstream_target_healthy{upstream=\"origin\",target=\"" + alive.address() + "\"} 1\n");
  has("apigw_upstream_ejections_total{upstream=\"origin\",target=\"" + dead + "\"} 1\n");
  gw->stop();
}
