// The host's hooks into upstreams: its own selector, its own discovery.
#include <doctest/doctest.h>

#include <map>

#include "apigw/gateway.hpp"
#include "raw_origin.hpp"
#include "socket_client.hpp"

using apigw::test::RawOrigin;
using apigw::test::SocketClient;
using apigw::test::get_request;
using apigw::test::ok_response;

namespace {

// Routes by a header: "x-shard: N" goes to target N.
class ShardSelector final : public apigw::Selector {
 public:
  int pick(const apigw::Exchange& ex, const uint8_t* eligible, size_t targets) noexcept override {
    std::string_view shard = ex.request().headers.get("x-shard");
    size_t n = shard.empty() ? 0 : static_cast<size_t>(shard[0] - '0');
    if (n >= targets || !eligible[n]) return -1;
    ++picks;
    return static_cast<int>(n);
  }
  int picks = 0;
};

std::string get(SocketClient& c, const std::string& extra = "") {
  c.send(get_request("/", extra));
  auto r = c.read_response();
  return r.status == 200 ? r.body : std::to_string(r.status);
}

}  // namespace

TEST_CASE("host api: a selector written by the host picks the targets") {
  RawOrigin a([](const std::string&, bool*) { return ok_response("a"); });
  RawOrigin b([](const std::string&, bool*) { return ok_response("b"); });
  apigw::UpstreamOptions u;
  u.name = "shards";
  u.targets = {{a.address(), 1}, {b.address(), 1}};
  u.selector = [](const std::vector<apigw::UpstreamTarget>& targets) {
    CHECK(targets.size() == 2);
    return std::make_unique<ShardSelector>();
  };
  apigw::RouteOptions r = apigw::test::catch_all("shards");
  apigw::GatewayBuilder builder;
  builder.listener({"l", "127.0.0.1:0"}).upstream(u).route(r);
  auto gw = builder.build().value();
  REQUIRE(gw->start());
  SocketClient c(gw->bound_addresses()[0]);
  for (int i = 0; i < 3; ++i) {
    CHECK(get(c, "x-shard: 1\r\n") == "b");
    CHECK(get(c, "x-shard: 0\r\n") == "a");
  }
  CHECK(get(c, "x-shard: 7\r\n") == "503");  // the selector declined: no target
  gw->stop();
}

TEST_CASE("host api: discovery pushes a new target set, kept targets keep their connections") {
  RawOrigin a([](const std::string&, bool*) { return ok_response("a"); });
  RawOrigin b([](const std::string&, bool*) { return ok_response("b"); });
  apigw::UpstreamOptions u;
  u.name = "svc";
  u.targets = {{a.address(), 1}};
  apigw::RouteOptions r = apigw::test::catch_all("svc");
  apigw::GatewayBuilder builder;
  builder.listener({"l", "127.0.0.1:0"}).upstream(u).route(r);
  auto gw = builder.build().value();
  REQUIRE(gw->start());
  SocketClient c(gw->bound_addresses()[0]);
  CHECK(get(c) == "a");
  REQUIRE(gw->set_upstream_targets("svc", {{a.address(), 1}, {b.address(), 1}}));
  std::map<std::string, int> seen;
  for (int i = 0; i < 10; ++i) seen[get(c)]++;
  CHECK(seen["a"] == 5);
  CHECK(seen["b"] == 5);
  CHECK(a.connections() == 1);  // the warm connection to `a` survived the change
  REQUIRE(gw->set_upstream_targets("svc", {{b.address(), 1}}));
  for (int i = 0; i < 4; ++i) CHECK(get(c) == "b");
  CHECK_FALSE(gw->set_upstream_targets("nope", {}));
  gw->stop();
}
