// quota through a real gateway and a real redis-server, with a manual clock
// that crosses midnight UTC.
#include <doctest/doctest.h>

#include <fcntl.h>

#include "apigw/gateway.hpp"
#include "policy/builtin.hpp"
#include "redis_process.hpp"
#include "socket_client.hpp"

#ifdef APIGW_WITH_REDIS
TEST_CASE("quota: spent at 23:59:59 UTC and fresh again at midnight") {
  apigw::test::RedisProcess redis;
  if (!redis.available()) {
    MESSAGE("redis-server is not installed: skipped");
    return;
  }
  // 2026-11-30T23:59:59Z on the wall clock.
  auto clock = std::make_shared<apigw::ManualClock>(int64_t{1795996800 + 86399} * 1'000'000'000);
  apigw::GatewayBuilder b;
  b.workers(2).listener({"public", "127.0.0.1:0"}).clock(clock).redis({redis.address(), "", 2000, 1});
  apigw::policy::QuotaOptions q;
  q.limit = 2;
  q.key = {{apigw::policy::RateLimitKeyPart::Kind::kHeader, "x-consumer"}};
  q.fail_open = false;
  b.policy("daily", apigw::policy::make_quota(q));
  apigw::RouteOptions r;
  r.name = "q";
  r.match.path = "/q";
  r.policies = {"daily"};
  r.respond = apigw::StaticResponse{200, {}, "ok"};
  b.route(r);
  auto gw = b.build();
  REQUIRE(gw);
  REQUIRE(gw.value()->start());
  apigw::test::SocketClient client(gw.value()->bound_addresses()[0]);
  auto get = [&] {
    client.send(apigw::test::get_request("/q", "x-consumer: c1\r\n"));
    return client.read_response();
  };
  auto first = get();
  CHECK(first.status == 200);
  CHECK(first.header("x-quota-remaining") == "1");
  CHECK(get().status == 200);
  auto spent = get();
  CHECK(spent.status == 429);
  CHECK(spent.header("x-quota-remaining") == "0");
  clock->advance_ms(1000);  // midnight: a new day, a new counter
  auto next = get();
  CHECK(next.status == 200);
  CHECK(next.header("x-quota-remaining") == "1");
  gw.value()->stop();
}
#endif
