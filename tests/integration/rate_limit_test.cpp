// rate_limit through real gateways: exact across workers with concurrent
// clients, state kept across reloads, emergency overrides, metrics.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "apigw/gateway.hpp"
#include "policy/builtin.hpp"
#include "socket_client.hpp"

using apigw::test::SocketClient;
using apigw::test::get_request;

namespace {

apigw::GatewayBuilder limited_gateway(uint64_t limit, uint64_t burst, std::shared_ptr<apigw::ManualClock> clock,
                                      uint32_t workers = 2) {
  apigw::GatewayBuilder b;
  b.workers(workers).listener({"public", "127.0.0.1:0"}).admin({"127.0.0.1:0", ""}).clock(clock);
  apigw::policy::RateLimitOptions o;
  o.limit = limit;
  o.burst = burst;
  o.window_ms = 60000;  // with a manual clock that never moves: no refill during the test
  o.key = {{apigw::policy::RateLimitKeyPart::Kind::kRoute, ""}};
  b.policy("per-route", apigw::policy::make_rate_limit(o));
  apigw::RouteOptions r;
  r.name = "hot";
  r.match.path = "/hot";
  r.policies = {"per-route"};
  r.respond = apigw::StaticResponse{200, {}, "ok"};
  b.route(r);
  return b;
}

// `clients` threads, each on its own connection, `each` requests; counts 200s.
int count_allowed(const std::string& address, int clients, int each) {
  std::atomic<int> allowed{0}, other{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&] {
      SocketClient client(address);
      for (int i = 0; i < each; ++i) {
        client.send(get_request("/hot"));
        int status = client.read_response().status;
        if (status == 200) allowed.fetch_add(1);
        else if (status != 429) other.fetch_add(1);
      }
    });
  for (auto& t : threads) t.join();
  CHECK(other.load() == 0);
  return allowed.load();
}

int status_of(const std::string& address, const std::string& path = "/hot") {
  SocketClient client(address);
  client.send(get_request(path));
  return client.read_response().status;
}

std::string metrics(const std::string& admin) {
  SocketClient client(admin);
  client.send(get_request("/metrics"));
  return client.read_response().body;
}

}  // namespace

TEST_CASE("rate_limit: ten concurrent requests against limit 5 burst 0 pass exactly five across 2 workers") {
  auto clock = std::make_shared<apigw::ManualClock>();
  auto gw = limited_gateway(5, 0, clock).build();
  REQUIRE(gw);
  REQUIRE(gw.value()->start());
  std::string address = gw.value()->bound_addresses()[0];
  CHECK(count_allowed(address, 10, 1) == 5);
  CHECK(metrics(gw.value()->bound_addresses()[1]).find(
            "apigw_ratelimit_decisions_total{policy=\"per-route\",decision=\"limited\"} 5") != std::string::npos);
  gw.value()->stop();
}

TEST_CASE("rate_limit: 8 clients hammering one key get exactly limit + burst through") {
  auto clock = std::make_shared<apigw::ManualClock>();
  auto gw = limited_gateway(150, 50, clock).build();
  REQUIRE(gw);
  REQUIRE(gw.value()->start());
  CHECK(count_allowed(gw.value()->bound_addresses()[0], 8, 60) == 200);
  std::string text = metrics(gw.value()->bound_addresses()[1]);
  CHECK(text.find("apigw_ratelimit_decisions_total{policy=\"per-route\",decision=\"allowed\"} 200") != std::string::npos);
  CHECK(text.find("apigw_ratelimit_decisions_total{policy=\"per-route\",decision=\"limited\"} 280") != std::string::npos);
  gw.value()->stop();
}

TEST_CASE("rate_limit: a reload keeps the state of a policy of the same name") {
  auto clock = std::make_shared<apigw::ManualClock>();
  auto gw = limited_gateway(3, 0, clock).build();
  REQUIRE(gw);
  REQUIRE(gw.value()->start());
  std::string address = gw.value()->bound_addresses()[0];
  CHECK(count_allowed(address, 1, 3) == 3);
  // A new builder, hence a new policy object: the bucket is the same one.
  REQUIRE(gw.value()->reload(limited_gateway(3, 0, clock)));
  CHECK(status_of(address) == 429);
  gw.value()->stop();
}

TEST_CASE("rate_limit: an emergency override reaches every worker and survives reloads until removed") {
  auto clock = std::make_shared<apigw::ManualClock>();
  auto gw = limited_gateway(2, 0, clock).build();
  REQUIRE(gw);
  REQUIRE(gw.value()->start());
  std::string address = gw.value()->bound_addresses()[0];
  CHECK(gw.value()->set_rate_limit_override("nope", 1, 0).code() == apigw::Code::kNotFound);
  CHECK(gw.value()->set_rate_limit_override("per-route", 0, 0).code() == apigw::Code::kInvalidArgument);
  REQUIRE(gw.value()->set_rate_limit_override("per-route", 6, 0));
  REQUIRE(gw.value()->reload(limited_gateway(2, 0, clock)));
  CHECK(count_allowed(address, 4, 3) == 6);
  {
    SocketClient client(address);
    client.send(get_request("/hot"));
    auto res = client.read_response();
    CHECK(res.status == 429);
    CHECK(res.header("ratelimit-limit") == "6");
    CHECK(res.header("ratelimit-policy") == "6;w=60");
  }
  REQUIRE(gw.value()->remove_rate_limit_override("per-route"));
  CHECK(gw.value()->remove_rate_limit_override("per-route").code() == apigw::Code::kNotFound);
  auto res = [&] {
    SocketClient client(address);
    client.send(get_request("/hot"));
    return client.read_response();
  }();
  CHECK(res.status == 429);
  CHECK(res.header("ratelimit-limit") == "2");
  gw.value()->stop();
}

TEST_CASE("rate_limit: with max_keys keys active new keys share the overflow bucket and are counted as such") {
  auto clock = std::make_shared<apigw::ManualClock>();
  apigw::GatewayBuilder b;
  b.workers(2).listener({"public", "127.0.0.1:0"}).admin({"127.0.0.1:0", ""}).clock(clock);
  apigw::policy::RateLimitOptions o;
  o.limit = 1;
  o.window_ms = 60000;
  o.max_keys = 2;
  o.key = {{apigw::policy::RateLimitKeyPart::Kind::kHeader, "x-user"}};
  b.policy("per-user", apigw::policy::make_rate_limit(o));
  apigw::RouteOptions r;
  r.name = "hot";
  r.match.path = "/hot";
  r.policies = {"per-user"};
  r.respond = apigw::StaticResponse{200, {}, "ok"};
  b.route(r);
  auto gw = b.build();
  REQUIRE(gw);
  REQUIRE(gw.value()->start());
  const std::string address = gw.value()->bound_addresses()[0];
  auto status_for = [&](const char* user) {
    SocketClient client(address);
    client.send(get_request("/hot", std::string("x-user: ") + user + "\r\n"));
    return client.read_response().status;
  };
  CHECK(status_for("u1") == 200);
  CHECK(status_for("u2") == 200);
  CHECK(status_for("u3") == 200);  // the table is full of active keys: the overflow bucket
  CHECK(status_for("u4") == 429);  // the same overflow bucket
  CHECK(status_for("u1") == 429);  // u1 keeps its own
  std::string text = metrics(gw.value()->bound_addresses()[1]);
  for (const char* line : {"decision=\"allowed\"} 2", "decision=\"limited\"} 1", "decision=\"overflow_allowed\"} 1",
                           "decision=\"overflow_limited\"} 1"})
    CHECK_MESSAGE(text.find(std::string("apigw_ratelimit_decisions_total{policy=\"per-user\",") + line) !=
                      std::string::npos,
                  line);
  gw.value()->stop();
}
