// api_key, acl, ip_filter and size_limit through the in-memory client.
#include <doctest/doctest.h>

#include "apigw/testing.hpp"
#include "policy/builtin.hpp"

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

apigw::testing::Client client_with(std::vector<apigw::PolicyPtr> policies, std::vector<std::string> methods = {}) {
  apigw::GatewayBuilder b;
  b.listener({"t", "127.0.0.1:0"});
  apigw::RouteOptions r;
  r.name = "r";
  r.match.path = "/u/{id}";
  r.match.methods = std::move(methods);
  for (size_t i = 0; i < policies.size(); ++i) {
    std::string name = "p" + std::to_string(i);
    b.policy(name, std::move(policies[i]));
    r.policies.push_back(name);
  }
  r.handler = "echo";
  b.route(r);
  return apigw::testing::Client::create(b).value();
}

bool has(const std::string& body, const std::string& part) { return body.find(part) != std::string::npos; }

}  // namespace
namespace {
apigw::policy::Cidr cidr(std::string_view s) {
  apigw::policy::Cidr c;
  REQUIRE(apigw::policy::parse_cidr(s, &c) == "");
  return c;
}
}  // namespace

TEST_CASE("ip_filter: allow and deny lists against the socket peer (127.0.0.1 in memory)") {
  auto allow_only = [](std::vector<apigw::policy::Cidr> allow, std::vector<apigw::policy::Cidr> deny = {}) {
    apigw::policy::IpFilterOptions o;
    o.allow = std::move(allow);
    o.deny = std::move(deny);
    return client_with({apigw::policy::make_ip_filter(o)});
  };
  CHECK(allow_only({cidr("127.0.0.0/8")}).get("/u/1").status == 200);
  auto res = allow_only({cidr("10.0.0.0/8"), cidr("::1")}).get("/u/1");
  CHECK(res.status == 403);
  CHECK(has(res.body, "\"code\":\"forbidden\""));
  CHECK(allow_only({cidr("127.0.0.0/8")}, {cidr("127.0.0.1")}).get("/u/1").status == 403);  // deny wins
  CHECK(allow_only({}, {cidr("10.0.0.0/8")}).get("/u/1").status == 200);
  CHECK(allow_only({cidr("::ffff:127.0.0.0/104")}).get("/u/1").status == 200);  // mapped form matches too
}

TEST_CASE("ip_filter: X-Forwarded-For is believed only from trusted proxies, walked from the right") {
  apigw::policy::IpFilterOptions o;
  o.deny = {cidr("203.0.113.0/24")};
  o.trusted_proxies = {cidr("127.0.0.1"), cidr("10.0.0.0/8")};
  auto c = client_with({apigw::policy::make_ip_filter(o)});
  CHECK(c.get("/u/1", {{"x-forwarded-for", "203.0.113.7"}}).status == 403);
  // Trusted hops on the right are skipped; the first untrusted is the client.
  CHECK(c.get("/u/1", {{"x-forwarded-for", "203.0.113.7, 10.1.1.1"}}).status == 403);
  // A spoofed left-most entry does not help the client behind a trusted hop.
  CHECK(c.get("/u/1", {{"x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.1.1.1"}}).status == 403);
  CHECK(c.get("/u/1", {{"x-forwarded-for", "203.0.113.7, 198.51.100.1"}}).status == 200);
  // Several fields: the last field holds the nearest hops.
  CHECK(c.get("/u/1", {{"x-forwarded-for", "198.51.100.1"}, {"x-forwarded-for", "203.0.113.7"}}).status == 403);
  // Garbage ends the walk at the last trusted hop (here the peer itself).
  CHECK(c.get("/u/1", {{"x-forwarded-for", "203.0.113.7, not-an-ip"}}).status == 200);

  apigw::policy::IpFilterOptions untrusted = o;
  untrusted.trusted_proxies = {cidr("10.0.0.0/8")};  // the peer 127.0.0.1 is not trusted
  auto u = client_with({apigw::policy::make_ip_filter(untrusted)});
  CHECK(u.get("/u/1", {{"x-forwarded-for", "203.0.113.7"}}).status == 200);
}

