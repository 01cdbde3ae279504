// rate_limit: the key table's bounds, combined keys, missing keys, host keys.
#include <doctest/doctest.h>

#include "apigw/testing.hpp"
#include "policy/builtin.hpp"
#include "policy/key_table.hpp"

namespace {

using apigw::policy::RateLimitKeyPart;
using apigw::policy::RateLimitOptions;
using Kind = RateLimitKeyPart::Kind;

apigw::testing::Client client_with(RateLimitOptions o, std::shared_ptr<apigw::ManualClock> clock,
                                   apigw::GatewayBuilder b = {}) {
  b.listener({"t", "127.0.0.1:0"});
  b.clock(clock);
  b.policy("p", apigw::policy::make_rate_limit(std::move(o)));
  for (const char* name : {"a", "b"}) {
    apigw::RouteOptions r;
    r.name = name;
    r.match.path = std::string("/") + name;
    r.policies = {"p"};
    r.handler = "echo";
    b.route(r);
  }
  return apigw::testing::Client::create(b).value();
}

// A decision that stores `tat`, and the TAT a key has now (added when new).
auto store_tat(int64_t tat) {
  return [tat](int64_t) -> std::optional<int64_t> { return tat; };
}
int64_t tat_of(apigw::policy::KeyTable& t, std::string_view key, int64_t now) {
  int64_t seen = -1;
  t.update(key, now, [&](int64_t tat) -> std::optional<int64_t> {
    seen = tat;
    return std::nullopt;
  });
  return seen;
}

RateLimitOptions one_per_minute() {
  RateLimitOptions o;
  o.limit = 1;
  o.window_ms = 60000;
  return o;
}

}  // namespace

TEST_CASE("rate_limit: the key table tracks at most max_keys and new keys beyond share one overflow bucket") {
  apigw::policy::KeyTable t(4);
  const int64_t now = 1000;
  for (int i = 0; i < 4; ++i) CHECK(t.update("k" + std::to_string(i), now, store_tat(now + 500)));  // active until now + 500
  CHECK(t.size() == 4);
  CHECK_FALSE(t.update("k4", now, store_tat(now + 700)));  // not tracked: the overflow bucket
  CHECK_FALSE(t.update("k5", now, store_tat(now + 900)));
  CHECK(tat_of(t, "k6", now) == now + 900);                 // one bucket for every untracked key
  CHECK(tat_of(t, "k0", now) == now + 500);                 // known keys keep their own
  // Once the keys are idle (bucket full again, plus a grace) their slots are reclaimed.
  const int64_t later = now + 500 + apigw::policy::KeyTable::kIdleGraceNs;
  CHECK(t.update("k4", later, store_tat(later + 1)));
  CHECK(t.size() <= 4);
}

TEST_CASE("rate_limit: idle keys are reclaimed a few at a time and the table stays bounded under churn") {
  apigw::policy::KeyTable t(100);
  const int64_t tick = apigw::policy::KeyTable::kIdleGraceNs / 10;
  for (int64_t i = 0; i < 100000; ++i) {
    CHECK(t.update("key-" + std::to_string(i), i * tick, store_tat(i * tick + 1)));  // idle right after
    REQUIRE(t.size() <= 100);
  }
}

TEST_CASE("rate_limit: a combined key gives one bucket per header and route pair") {
  auto clock = std::make_shared<apigw::ManualClock>();
  RateLimitOptions o = one_per_minute();
  o.key = {{Kind::kHeader, "x-user"}, {Kind::kRoute, ""}};
  auto c = client_with(o, clock);
  CHECK(c.get("/a", {{"x-user", "u1"}}).status == 200);
  CHECK(c.get("/a", {{"x-user", "u1"}}).status == 429);
  CHECK(c.get("/b", {{"x-user", "u1"}}).status == 200);
  CHECK(c.get("/a", {{"x-user", "u2"}}).status == 200);
}

TEST_CASE("rate_limit: requests without a key share one bucket by default or get 400 with missing_key deny") {
  auto clock = std::make_shared<apigw::ManualClock>();
  RateLimitOptions o = one_per_minute();
  o.key = {{Kind::kHeader, "x-user"}};
  auto shared = client_with(o, clock);
  CHECK(shared.get("/a").status == 200);
  CHECK(shared.get("/b").status == 429);  // the same keyless bucket
  CHECK(shared.get("/a", {{"x-user", "u1"}}).status == 200);

  o.missing_key = RateLimitOptions::MissingKey::kDeny;
  auto deny = client_with(o, clock);
  auto res = deny.get("/a");
  CHECK(res.status == 400);
  CHECK(res.body.find("\"code\":\"rate_limit_key_missing\"") != std::string::npos);
  CHECK(deny.get("/a", {{"x-user", "u1"}}).status == 200);
}

TEST_CASE("rate_limit: a host-registered key function gives the key and an unknown one is refused at build") {
  auto clock = std::make_shared<apigw::ManualClock>();
  RateLimitOptions o = one_per_minute();
  o.key = {{Kind::kHost, "tenant"}};
  apigw::GatewayBuilder b;
  b.rate_limit_key("tenant", [](apigw::Exchange& ex) {
    std::string_view host = ex.request().headers.get("x-tenant-host");
    return host.substr(0, host.find('.'));  // "acme.example" -> "acme"
  });
  auto c = client_with(o, clock, std::move(b));
  CHECK(c.get("/a", {{"x-tenant-host", "acme.one"}}).status == 200);
  CHECK(c.get("/a", {{"x-tenant-host", "acme.two"}}).status == 429);
  CHECK(c.get("/a", {{"x-tenant-host", "other.one"}}).status == 200);

  apigw::GatewayBuilder bad;
  bad.listener({"t", "127.0.0.1:0"});
  bad.policy("p", apigw::policy::make_rate_limit(o));
  apigw::RouteOptions r;
  r.name = "a";
  r.match.path = "/a";
  r.policies = {"p"};
  r.handler = "echo";
  bad.route(r);
  auto refused = apigw::testing::Client::create(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.status().message().find("no rate-limit key function \"tenant\"") != std::string::npos);
}

TEST_CASE("rate_limit: headers none still sends Retry-After on 429 and no RateLimit fields") {
  auto clock = std::make_shared<apigw::ManualClock>();
  RateLimitOptions o = one_per_minute();
  o.headers = RateLimitOptions::HeadersMode::kNone;
  auto c = client_with(o, clock);
  auto ok = c.get("/a");
  CHECK(ok.header("ratelimit-limit").empty());
  auto limited = c.get("/a");
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after") == "60");
  CHECK(limited.header("ratelimit-policy").empty());
}
