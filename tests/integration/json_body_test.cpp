// json_body through a real gateway and a real origin: answers by length and
// chunked, request bodies as the origin receives them, overflow passed or
// refused, bodies it cannot read passed on and counted.
#include <doctest/doctest.h>

#include <cstdio>

#include "admin/admin.hpp"
#include "apigw/gateway.hpp"
#include "policy/builtin.hpp"
#include "raw_origin.hpp"
#include "socket_client.hpp"

using apigw::test::RawOrigin;
using apigw::test::SocketClient;
using apigw::test::get_request;
using apigw::test::ok_response;

namespace {

using apigw::policy::JsonBodyOptions;
using apigw::policy::JsonBodySkip;

apigw::policy::JsonPointer pointer(std::string_view text) {
  apigw::policy::JsonPointer p;
  REQUIRE(apigw::policy::parse_json_pointer(text, &p).empty());
  return p;
}

JsonBodyOptions redacting(size_t max_body_bytes = 1 << 20,
                          JsonBodyOptions::OnOverflow on_overflow = JsonBodyOptions::OnOverflow::kPass) {
  JsonBodyOptions o;
  o.response.mask = {pointer("/items/*/card")};
  o.response.remove = {pointer("/internal")};
  o.request.mask = {pointer("/password")};
  o.max_body_bytes = max_body_bytes;
  o.on_overflow = on_overflow;
  return o;
}

struct Gateway {
  std::unique_ptr<apigw::Gateway> gw;
  std::string address;

  uint64_t skipped(JsonBodySkip reason) const {
    for (const auto& j : apigw::gateway_stats(*gw).json_body_skips)
      if (j.policy == "redact") return j.by_reason[static_cast<size_t>(reason)];
    return 0;
  }
};

Gateway start(const std::string& origin, JsonBodyOptions options) {
  apigw::UpstreamOptions u;
  u.name = "origin";
  u.targets.push_back({origin, 1});
  apigw::RouteOptions r = apigw::test::catch_all("origin");
  r.policies = {"redact"};
  apigw::GatewayBuilder b;
  b.listener({"l", "127.0.0.1:0"}).upstream(u).policy("redact", apigw::policy::make_json_body(std::move(options))).route(r);
  auto gw = b.build();
  REQUIRE_MESSAGE(gw, gw.status().to_string());
  REQUIRE(gw.value()->start());
  std::string addr = gw.value()->bound_addresses()[0];
  return {std::move(gw.value()), addr};
}

std::string json_answer(std::string_view body, std::string_view extra = "") {
  return ok_response(body, "content-type: application/json\r\n" + std::string(extra));
}

// The body in two chunks, split inside a string.
std::string chunked_json(const std::string& body) {
  std::string out = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
  size_t half = body.size() / 2;
  for (std::string part : {body.substr(0, half), body.substr(half)}) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    out += size + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

const std::string kOrder = R"({"id": 7, "items": [{"card": "4111 1111 1111 1111", "sku": "a"}, {"sku": "b"}],
  "internal": {"cost": 1.10}, "total": 12.50})";
const std::string kRedacted = R"({"id": 7, "items": [{"card": "***", "sku": "a"}, {"sku": "b"}],
  "total": 12.50})";

}  // namespace

TEST_CASE("json_body: a proxied answer by length is masked and trimmed, with its new length and no ETag") {
  RawOrigin origin([](const std::string&, bool*) { return json_answer(kOrder, "etag: \"o1\"\r\nx-origin: 1\r\n"); });
  auto g = start(origin.address(), redacting());
  SocketClient c(g.address);
  c.send(get_request("/orders/7"));
  auto res = c.read_response();
  CHECK(res.status == 200);
  CHECK(res.body == kRedacted);
  CHECK(res.header("content-length") == std::to_string(kRedacted.size()));
  CHECK(res.header("etag") == "");
  CHECK(res.header("x-origin") == "1");
  g.gw->stop();
}

TEST_CASE("json_body: a chunked answer is gathered, redacted and sent by length") {
  RawOrigin origin([](const std::string&, bool*) { return chunked_json(kOrder); });
  auto g = start(origin.address(), redacting());
  SocketClient c(g.address);
  c.send(get_request("/orders/7"));
  auto res = c.read_response();
  CHECK(res.status == 200);
  CHECK(res.body == kRedacted);
  CHECK(res.header("transfer-encoding") == "");
  CHECK(res.header("content-length") == std::to_string(kRedacted.size()));
  // The connection serves the next request too.
  c.send(get_request("/orders/7"));
  CHECK(c.read_response().body == kRedacted);
  g.gw->stop();
}

TEST_CASE("json_body: the origin receives the rewritten request body with its new length") {
  RawOrigin origin([](const std::string&, bool*) { return json_answer("{}"); });
  auto g = start(origin.address(), redacting());
  SocketClient c(g.address);
  const std::string body = R"({"user": "ada", "password": "hunter2"})";
  c.send("POST /login HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body);
  CHECK(c.read_response().status == 200);
  CHECK(origin.last_body() == R"({"user": "ada", "password": "***"})");
  CHECK(origin.last_head().find("content-length: 34\r\n") != std::string::npos);
  g.gw->stop();
}

TEST_CASE("json_body: answers over max_body_bytes stream on unchanged and are counted") {
  RawOrigin by_length([](const std::string&, bool*) { return json_answer(kOrder); });
  RawOrigin by_chunks([](const std::string&, bool*) { return chunked_json(kOrder); });
  for (RawOrigin* origin : {&by_length, &by_chunks}) {
    auto g = start(origin->address(), redacting(64));
    SocketClient c(g.address);
    c.send(get_request("/orders/7"));
    auto res = c.read_response();
    CHECK(res.status == 200);
    CHECK(res.body == kOrder);
    CHECK(g.skipped(JsonBodySkip::kOverflow) == 1);
    g.gw->stop();
  }
}

TEST_CASE("json_body: with on_overflow reject, a long answer is a 502 and a long request a 413") {
  RawOrigin origin([](const std::string&, bool*) { return chunked_json(kOrder); });
  auto g = start(origin.address(), redacting(64, JsonBodyOptions::OnOverflow::kReject));
  SocketClient c(g.address);
  c.send(get_request("/orders/7"));
  auto res = c.read_response();
  CHECK(res.status == 502);
  CHECK(res.body.find("upstream_body_too_large") != std::string::npos);
  CHECK(res.body.find("4111") == std::string::npos);
  const int before = origin.requests();
  SocketClient post(g.address);
  const std::string body = R"({"password": ")" + std::string(100, 'x') + R"("})";
  post.send("POST /login HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body);
  CHECK(post.read_response().status == 413);
  CHECK(origin.requests() == before);  // refused before the origin saw it
  CHECK(g.skipped(JsonBodySkip::kOverflow) == 0);
  g.gw->stop();
}

TEST_CASE("json_body: non-JSON answers pass untouched, compressed and malformed ones are counted") {
  std::string answer;
  RawOrigin origin([&](const std::string&, bool*) { return answer; });
  auto g = start(origin.address(), redacting());
  SocketClient c(g.address);
  answer = ok_response(kOrder, "content-type: text/plain\r\netag: \"t\"\r\n");
  c.send(get_request("/text"));
  auto text = c.read_response();
  CHECK(text.body == kOrder);
  CHECK(text.header("etag") == "\"t\"");
  answer = json_answer(kOrder, "content-encoding: gzip\r\n");  // not really gzip: never read
  c.send(get_request("/gz"));
  CHECK(c.read_response().body == kOrder);
  answer = json_answer(R"({"internal": 1,,})");
  c.send(get_request("/bad"));
  auto bad = c.read_response();
  CHECK(bad.status == 200);
  CHECK(bad.body == R"({"internal": 1,,})");
  CHECK(g.skipped(JsonBodySkip::kEncoded) == 1);
  CHECK(g.skipped(JsonBodySkip::kUnparsable) == 1);
  CHECK(g.skipped(JsonBodySkip::kOverflow) == 0);
  g.gw->stop();
}
