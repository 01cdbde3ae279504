// request_id, headers and rate_limit (local) through the in-memory client.
#include <doctest/doctest.h>

#include "apigw/testing.hpp"
#include "policy/builtin.hpp"
#include "policy/gcra.hpp"

namespace {

apigw::testing::Client client_with(apigw::PolicyPtr policy, std::shared_ptr<apigw::ManualClock> clock = nullptr) {
  apigw::GatewayBuilder b;
  b.listener({"t", "127.0.0.1:0"});
  if (clock) b.clock(clock);
  b.policy("p", std::move(policy));
  apigw::RouteOptions r;
  r.name = "r";
  r.match.path = "/u/{id}";
  r.policies = {"p"};
  r.handler = "echo";
  b.route(r);
  return apigw::testing::Client::create(b).value();
}

}  // namespace

TEST_CASE("request_id: generates an id when the client sends none") {
  auto c = client_with(apigw::policy::make_request_id({}));
  auto res = c.get("/u/1");
  std::string id = res.header("x-request-id");
  CHECK(id.size() == 32);
  CHECK(res.body.find(id) != std::string::npos);  // forwarded on the request too
  CHECK(c.get("/u/1").header("x-request-id") != id);
}

TEST_CASE("request_id: keeps a well-formed incoming id, replaces a malformed one") {
  auto c = client_with(apigw::policy::make_request_id({}));
  CHECK(c.get("/u/1", {{"x-request-id", "abc-1"}}).header("x-request-id") == "abc-1");
  CHECK(c.get("/u/1", {{"x-request-id", "bad id<>"}}).header("x-request-id").size() == 32);
  apigw::policy::RequestIdOptions distrust;
  distrust.trust_incoming = false;
  auto d = client_with(apigw::policy::make_request_id(distrust));
  CHECK(d.get("/u/1", {{"x-request-id", "abc-1"}}).header("x-request-id") != "abc-1");
}

TEST_CASE("headers: set, add, remove and rename on request and response, with placeholders") {
  apigw::policy::HeadersOptions o;
  o.request.set = {{"x-user", "user-{id}"}};
  o.request.remove = {"cookie"};
  o.request.rename = {{"x-old", "x-new"}};
  o.response.add = {{"x-gateway", "apigw"}};
  o.response.set = {{"content-type", "application/vnd.test+json"}};
  auto c = client_with(apigw::policy::make_headers(o));
  auto res = c.get("/u/7", {{"cookie", "secret"}, {"x-old", "v"}});
  CHECK(res.body.find("[\"x-user\",\"user-7\"]") != std::string::npos);
  CHECK(res.body.find("cookie") == std::string::npos);
  CHECK(res.body.find("[\"x-new\",\"v\"]") != std::string::npos);
  CHECK(res.header("x-gateway") == "apigw");
  CHECK(res.header("content-type") == "application/vnd.test+json");
}

TEST_CASE("rate_limit: gcra arithmetic — capacity, refill and retry-after") {
  apigw::policy::GcraParams p{200'000'000, 5};  // 5 per second
  int64_t tat = 0, now = 1'000'000'000;
  int allowed = 0;
  for (int i = 0; i < 10; ++i) {
    auto d = apigw::policy::gcra_decide(p, tat, now);
    if (d.allowed) {
      ++allowed;
      tat = d.new_tat;
      CHECK(d.remaining == 4 - i);
    } else {
      CHECK(d.retry_after_ns == 200'000'000);
    }
  }
  CHECK(allowed == 5);
  CHECK(apigw::policy::gcra_decide(p, tat, now + 199'000'000).allowed == false);
  CHECK(apigw::policy::gcra_decide(p, tat, now + 200'000'000).allowed == true);
}

TEST_CASE("rate_limit: ten quick requests against limit 5 pass exactly five and time refills") {
  auto clock = std::make_shared<apigw::ManualClock>();
  apigw::policy::RateLimitOptions o;
  o.name = "five";
  o.limit = 5;
  o.window_ms = 1000;
  auto c = client_with(apigw::policy::make_rate_limit(o), clock);
  int ok = 0, limited = 0;
  for (int i = 0; i < 10; ++i) {
    auto res = c.get("/u/1");
    if (res.status == 200) ++ok;
    if (res.status == 429) {
      ++limited;
      CHECK(res.header("retry-after") == "1");
      CHECK(res.header("ratelimit-remaining") == "0");
      CHECK(res.body.find("\"code\":\"rate_limited\"") != std::string::npos);
    }
  }
  CHECK(ok == 5);
  CHECK(limited == 5);
  clock->advance_ms(200);
  auto res = c.get("/u/1");
  CHECK(res.status == 200);
  CHECK(res.header("ratelimit-limit") == "5");
  CHECK(res.header("ratelimit-policy") == "5;w=1");
  CHECK(c.get("/u/1").status == 429);
}

TEST_CASE("rate_limit: ietf headers and per-header keys") {
  auto clock = std::make_shared<apigw::ManualClock>();
  apigw::policy::RateLimitOptions o;
  o.name = "per-user";
  o.limit = 1;
  o.window_ms = 60000;
  o.key = {{apigw::policy::RateLimitKeyPart::Kind::kHeader, "x-user"}};
  o.headers = apigw::policy::RateLimitOptions::HeadersMode::kIetf;
  auto c = client_with(apigw::policy::make_rate_limit(o), clock);
  auto first = c.get("/u/1", {{"x-user", "a"}});
  CHECK(first.status == 200);
  CHECK(first.header("ratelimit") == "\"per-user\";r=0;t=60");
  CHECK(first.header("ratelimit-policy") == "\"per-user\";q=1;w=60");
  CHECK(c.get("/u/1", {{"x-user", "a"}}).status == 429);
  CHECK(c.get("/u/1", {{"x-user", "b"}}).status == 200);
}

TEST_CASE("headers: {consumer} and {request_id} take the values earlier policies set, on both sides") {
  apigw::policy::ApiKeyOptions key;
  key.consumers = {{"acme", {}, {"k-1"}}};
  apigw::policy::HeadersOptions h;
  h.request.add = {{"x-who", "{consumer}/{request_id}/{id}/{nope}"}};
  h.response.set = {{"x-who", "{consumer}"}};
  h.response.rename = {{"x-request-id", "x-trace"}};
  apigw::GatewayBuilder b;
  b.listener({"t", "127.0.0.1:0"});
  b.policy("rid", apigw::policy::make_request_id({}));
  b.policy("key", apigw::policy::make_api_key(key));
  b.policy("h", apigw::policy::make_headers(h));
  apigw::RouteOptions r;
  r.name = "r";
  r.match.path = "/u/{id}";
  r.policies = {"rid", "key", "h"};
  r.handler = "echo";
  b.route(r);
  auto c = apigw::testing::Client::create(b).value();
  auto res = c.get("/u/9", {{"x-api-key", "k-1"}, {"x-request-id", "req-1"}});
  CHECK(res.status == 200);
  CHECK(res.body.find("[\"x-who\",\"acme/req-1/9/{nope}\"]") != std::string::npos);
  CHECK(res.header("x-who") == "acme");
  // Response phases run in reverse: headers renames before request_id echoes the id.
  CHECK(res.header("x-trace") == "");
  CHECK(res.header("x-request-id") == "req-1");
}
