// Policies that hold the answer's body (Policy::response_body_limit): a
// proxied answer is buffered, on_response_body sees and may rewrite it, and
// the client gets it whole with its new length; longer answers stream on.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>

#include "apigw/exchange.hpp"
#include "apigw/gateway.hpp"
#include "apigw/status.hpp"
#include "raw_origin.hpp"
#include "socket_client.hpp"

using apigw::test::RawOrigin;
using apigw::test::SocketClient;
using apigw::test::get_request;
using apigw::test::ok_response;

namespace {

// Upper-cases bodies up to `limit` bytes; fails longer ones when asked to.
class Shout final : public apigw::PassThroughPolicy {
 public:
  Shout(size_t limit, bool fail_on_overflow) : limit_(limit), fail_on_overflow_(fail_on_overflow) {}
  size_t response_body_limit() const noexcept override { return limit_; }
  apigw::Decision on_response_body(apigw::Exchange& ex) const noexcept override {
    ++calls;
    if (ex.response_body_overflowed()) {
      ++overflows;
      if (fail_on_overflow_) return ex.fail(apigw::Status::http(502, "body_too_large", "the answer is too long"));
      return apigw::Decision::kContinue;
    }
    auto& body = ex.response().body;
    std::transform(body.begin(), body.end(), body.begin(), [](unsigned char c) { return std::toupper(c); });
    body.append("!");
    return apigw::Decision::kContinue;
  }
  mutable std::atomic<int> calls{0};
  mutable std::atomic<int> overflows{0};

 private:
  size_t limit_;
  bool fail_on_overflow_;
};

struct Gateway {
  std::unique_ptr<apigw::Gateway> gw;
  std::string address;
};

Gateway start(const std::string& origin, std::shared_ptr<Shout> shout) {
  apigw::UpstreamOptions u;
  u.name = "origin";
  u.targets.push_back({origin, 1});
  apigw::RouteOptions r;
  r.name = "all";
  r.match.path_prefix = "/";
  r.upstream = "origin";
  r.policies = {"shout"};
  apigw::GatewayBuilder b;
  b.listener({"l", "127.0.0.1:0"}).upstream(u).policy("shout", shout).route(r);
  auto gw = b.build();
  REQUIRE_MESSAGE(gw, gw.status().to_string());
  REQUIRE(gw.value()->start());
  std::string addr = gw.value()->bound_addresses()[0];
  return {std::move(gw.value()), addr};
}

// The body in two chunks.
std::string chunked(const std::string& body) {
  std::string out = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
  size_t half = body.size() / 2;
  for (std::string part : {body.substr(0, half), body.substr(half)}) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    out += size + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

}  // namespace

TEST_CASE("response body: a proxied answer is held whole, rewritten, and sent with its new length") {
  RawOrigin origin([](const std::string&, bool*) { return ok_response("hello origin", "x-origin: 1\r\n"); });
  auto shout = std::make_shared<Shout>(1024, false);
  auto g = start(origin.address(), shout);
  SocketClient c(g.address);
  c.send(get_request("/"));
  auto res = c.read_response();
  CHECK(res.status == 200);
  CHECK(res.body == "HELLO ORIGIN!");
  CHECK(res.header("content-length") == "13");
  CHECK(res.header("x-origin") == "1");
  CHECK(shout->calls == 1);
  CHECK(shout->overflows == 0);
  g.gw->stop();
}

TEST_CASE("response body: a chunked answer is gathered before the phase and re-framed by length") {
  RawOrigin origin([](const std::string&, bool*) { return chunked("two chunks of text"); });
  auto shout = std::make_shared<Shout>(1024, false);
  auto g = start(origin.address(), shout);
  SocketClient c(g.address);
  c.send(get_request("/"));
  auto res = c.read_response();
  CHECK(res.status == 200);
  CHECK(res.body == "TWO CHUNKS OF TEXT!");
  CHECK(res.header("transfer-encoding") == "");
  CHECK(res.header("content-length") == "19");
  g.gw->stop();
}

TEST_CASE("response body: longer answers pass through unchanged, announced or chunked") {
  std::string big(5000, 'x');
  RawOrigin by_length([&](const std::string&, bool*) { return ok_response(big); });
  RawOrigin by_chunks([&](const std::string&, bool*) { return chunked(big); });
  for (RawOrigin* origin : {&by_length, &by_chunks}) {
    auto shout = std::make_shared<Shout>(100, false);
    auto g = start(origin->address(), shout);
    SocketClient c(g.address);
    c.send(get_request("/"));
    auto res = c.read_response();
    CHECK(res.status == 200);
    CHECK(res.body == big);
    CHECK(shout->overflows == 1);
    g.gw->stop();
  }
}

TEST_CASE("response body: a phase may refuse an answer that outgrew the limit, before any of it went out") {
  std::string big(5000, 'x');
  RawOrigin by_length([&](const std::string&, bool*) { return ok_response(big); });
  RawOrigin by_chunks([&](const std::string&, bool*) { return chunked(big); });
  for (RawOrigin* origin : {&by_length, &by_chunks}) {
    auto shout = std::make_shared<Shout>(100, true);
    auto g = start(origin->address(), shout);
    SocketClient c(g.address);
    c.send(get_request("/"));
    auto res = c.read_response();
    CHECK(res.status == 502);
    CHECK(res.body.find("body_too_large") != std::string::npos);
    // Framed by the error body's own length (not the origin's), so the
    // connection stays usable for the next request.
    CHECK(res.header("content-length") == std::to_string(res.body.size()));
    c.send(get_request("/"));
    CHECK(c.read_response().status == 502);
    g.gw->stop();
  }
}

TEST_CASE("response body: an origin that dies mid-body gives a 502, never half an answer") {
  RawOrigin broken([](const std::string&, bool* close_after) {
    *close_after = true;
    return std::string("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part");
  });
  auto shout = std::make_shared<Shout>(1024, false);
  auto g = start(broken.address(), shout);
  SocketClient c(g.address);
  c.send(get_request("/"));
  auto res = c.read_response();
  CHECK(res.status == 502);
  CHECK(res.body.find("ONLY PART") == std::string::npos);
  g.gw->stop();
}
