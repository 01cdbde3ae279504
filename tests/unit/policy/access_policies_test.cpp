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

std::vector<apigw::policy::Consumer> consumers() {
  return {{"acme", {"gold"}, {"k-acme-1", "k-acme-2"}}, {"bob", {"silver", "beta"}, {"k-bob"}}};
}

apigw::PolicyPtr api_key(std::string header = "x-api-key", std::string query = "", bool hide = false) {
  apigw::policy::ApiKeyOptions o;
  o.header = std::move(header);
  o.query = std::move(query);
  o.hide_credentials = hide;
  o.consumers = consumers();
  return apigw::policy::make_api_key(o);
}

// Echoes the consumer the policies established, for the checks below.
apigw::PolicyPtr consumer_header() {
  apigw::policy::HeadersOptions o;
  o.response.set = {{"x-consumer", "{consumer}"}};
  return apigw::policy::make_headers(o);
}

bool has(const std::string& body, const std::string& part) { return body.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("api_key: a known key names its consumer and missing or unknown keys get 401") {
  auto c = client_with({api_key(), consumer_header()});
  auto ok = c.get("/u/1", {{"x-api-key", "k-acme-2"}});
  CHECK(ok.status == 200);
  CHECK(ok.header("x-consumer") == "acme");
  CHECK(has(ok.body, "k-acme-2"));  // kept upstream unless hide_credentials
  CHECK(c.get("/u/1", {{"X-Api-Key", "k-bob"}}).header("x-consumer") == "bob");

  auto missing = c.get("/u/1");
  CHECK(missing.status == 401);
  CHECK(missing.header("content-type") == "application/json");
  CHECK(has(missing.body, "\"code\":\"unauthorized\""));
  CHECK(has(missing.body, "no API key"));
  CHECK(c.get("/u/1", {{"x-api-key", ""}}).status == 401);
  auto wrong = c.get("/u/1", {{"x-api-key", "k-acme-3"}});
  CHECK(wrong.status == 401);
  CHECK(has(wrong.body, "invalid API key"));
  CHECK(c.get("/u/1", {{"x-api-key", "k-acme-1x"}}).status == 401);
  CHECK(c.get("/u/1", {{"x-api-key", "k-acme-"}}).status == 401);
  CHECK(c.get("/u/1?x-api-key=k-bob").status == 401);  // the query is not read unless configured
}

TEST_CASE("api_key: from the query, percent-decoded, and hidden from the upstream when asked") {
  auto c = client_with({api_key("", "apikey", true), consumer_header()});
  auto res = c.get("/u/1?a=1&apikey=k%2Dbob&b=2");
  CHECK(res.status == 200);
  CHECK(res.header("x-consumer") == "bob");
  CHECK(has(res.body, "\"query\":\"a=1&b=2\""));
  CHECK(c.get("/u/1?apikey=k-acme-1").header("x-consumer") == "acme");
  CHECK(c.get("/u/1?apikey=").status == 401);
  CHECK(c.get("/u/1?apikey=%zz").status == 401);
  CHECK(c.get("/u/1", {{"x-api-key", "k-bob"}}).status == 401);  // header not read: only query asked for

  auto both = client_with({api_key("x-key", "apikey", true), consumer_header()});
  auto h = both.get("/u/1", {{"x-key", "k-bob"}});
  CHECK(h.header("x-consumer") == "bob");
  CHECK_FALSE(has(h.body, "k-bob"));
  CHECK(both.get("/u/1?apikey=k-bob").status == 200);
}

TEST_CASE("api_key: the consumer feeds rate_limit key consumer") {
  apigw::policy::RateLimitOptions rl;
  rl.name = "per-consumer";
  rl.key = {{apigw::policy::RateLimitKeyPart::Kind::kConsumer, ""}};
  rl.limit = 1;
  rl.window_ms = 60000;
  auto c = client_with({api_key(), apigw::policy::make_rate_limit(rl)});
  CHECK(c.get("/u/1", {{"x-api-key", "k-acme-1"}}).status == 200);
  CHECK(c.get("/u/1", {{"x-api-key", "k-acme-2"}}).status == 429);  // same consumer, other key
  CHECK(c.get("/u/1", {{"x-api-key", "k-bob"}}).status == 200);
}

TEST_CASE("acl: allow and deny by consumer id and tag, deny wins, 403") {
  apigw::policy::AclOptions by_tag;
  by_tag.allow.tags = {"gold", "beta"};
  by_tag.deny.consumers = {"bob"};
  auto c = client_with({api_key(), apigw::policy::make_acl(by_tag)});
  CHECK(c.get("/u/1", {{"x-api-key", "k-acme-1"}}).status == 200);
  auto denied = c.get("/u/1", {{"x-api-key", "k-bob"}});
  CHECK(denied.status == 403);
  CHECK(has(denied.body, "\"code\":\"forbidden\""));

  apigw::policy::AclOptions by_id;
  by_id.allow.consumers = {"bob"};
  auto d = client_with({api_key(), apigw::policy::make_acl(by_id)});
  CHECK(d.get("/u/1", {{"x-api-key", "k-bob"}}).status == 200);
  CHECK(d.get("/u/1", {{"x-api-key", "k-acme-1"}}).status == 403);

  apigw::policy::AclOptions deny_tag;
  deny_tag.deny.tags = {"silver"};
  auto e = client_with({api_key(), apigw::policy::make_acl(deny_tag)});
  CHECK(e.get("/u/1", {{"x-api-key", "k-acme-1"}}).status == 200);
  CHECK(e.get("/u/1", {{"x-api-key", "k-bob"}}).status == 403);
}

TEST_CASE("acl: without an authenticated consumer the answer is 403") {
  apigw::policy::AclOptions o;
  o.deny.consumers = {"bob"};
  auto c = client_with({apigw::policy::make_acl(o)});
  auto res = c.get("/u/1");
  CHECK(res.status == 403);
  CHECK(has(res.body, "no authenticated consumer"));
}

TEST_CASE("acl: scopes set on the exchange are checked (for jwt)") {
  class GrantScopes final : public apigw::PassThroughPolicy {
   public:
    apigw::Decision on_request(apigw::Exchange& ex) const noexcept override {
      ex.set_scopes(scopes_);
      return apigw::Decision::kContinue;
    }
    std::string_view scopes_[2] = {"users:read", "users:write"};
  };
  apigw::policy::AclOptions read;
  read.allow.scopes = {"users:read"};
  CHECK(client_with({std::make_shared<GrantScopes>(), apigw::policy::make_acl(read)}).get("/u/1").status == 200);
  apigw::policy::AclOptions admin;
  admin.allow.scopes = {"admin"};
  CHECK(client_with({std::make_shared<GrantScopes>(), apigw::policy::make_acl(admin)}).get("/u/1").status == 403);
}

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

TEST_CASE("size_limit: Content-Length beyond the route's limit is 413 before the body is read") {
  auto c = client_with({apigw::policy::make_size_limit({10})});
  CHECK(c.request("POST", "/u/1", {}, "0123456789").status == 200);
  auto big = c.request("POST", "/u/1", {}, "0123456789A");
  CHECK(big.status == 413);
  CHECK(has(big.body, "\"code\":\"payload_too_large\""));
  // Only the head arrives: the answer does not wait for the declared body.
  std::string out = c.raw("POST /u/1 HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n");
  CHECK(apigw::testing::Client::parse(out).status == 413);
  CHECK(c.closed());
}

TEST_CASE("size_limit: a chunked body is cut off with 413 once it passes the limit") {
  auto c = client_with({apigw::policy::make_size_limit({10})});
  std::string ok = c.raw("POST /u/1 HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
                         "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n");
  CHECK(apigw::testing::Client::parse(ok).status == 200);
  std::string big = c.raw("POST /u/1 HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
                          "5\r\n01234\r\n6\r\n56789A\r\n0\r\n\r\n");
  auto res = apigw::testing::Client::parse(big);
  CHECK(res.status == 413);
  CHECK(has(res.body, "payload_too_large"));
  CHECK(c.closed());
}

TEST_CASE("acl: a verified client certificate subject is an identity") {
  // Stands in for a TLS listener with client_auth, which fills the subject.
  struct Certified final : apigw::PassThroughPolicy {
    std::string subject;
    explicit Certified(std::string s) : subject(std::move(s)) {}
    apigw::Decision on_request(apigw::Exchange& ex) const noexcept override {
      ex.request().client_cert_subject = ex.arena().dup(subject);
      return apigw::Decision::kContinue;
    }
  };
  apigw::policy::AclOptions only_alice;
  only_alice.allow.client_subjects = {"CN=alice, O=Acme"};
  auto acl = apigw::policy::make_acl(only_alice);
  CHECK(client_with({std::make_shared<Certified>("CN=alice, O=Acme"), acl}).get("/u/1").status == 200);
  CHECK(client_with({std::make_shared<Certified>("CN=bob, O=Acme"), acl}).get("/u/1").status == 403);
  CHECK(client_with({acl}).get("/u/1").status == 403);  // no certificate, no consumer
}
