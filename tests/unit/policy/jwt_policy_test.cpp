// The jwt policy through the in-memory client, on a manual clock: claims
// checks, the identity it sets (consumer, tags, scopes for acl), where the
// token comes from, the answers and challenges of every refusal.
#ifdef APIGW_WITH_TLS
#include <doctest/doctest.h>

#include <string>

#include "apigw/clock.hpp"
#include "apigw/testing.hpp"
#include "policy/builtin.hpp"
#include "unit/policy/jwt_test_support.hpp"

namespace {

namespace jwt = apigw::policy::jwt;
using apigw::test::make_token;

constexpr int64_t kNow = 1'700'000'000;  // the manual clock's start, in seconds

apigw::policy::JwtOptions options() {
  apigw::policy::JwtOptions o;
  o.keys.push_back(jwt::Key::hmac("k1", apigw::test::kSecret, jwt::alg_bit(jwt::Alg::kHS256)).value());
  o.leeway_ms = 30000;
  o.issuers = {"https://id.example"};
  o.audiences = {"api", "other"};
  o.consumer_claim = "sub";
  o.consumers = {{"alice", {"gold"}, {}}, {"bob", {}, {}}};
  return o;
}

struct Setup {
  apigw::testing::Client client;
  std::shared_ptr<apigw::ManualClock> clock;
};

Setup setup(apigw::policy::JwtOptions o, std::vector<apigw::PolicyPtr> after = {}) {
  auto clock = std::make_shared<apigw::ManualClock>(kNow * 1'000'000'000);
  apigw::GatewayBuilder b;
  b.clock(clock);
  b.listener({"t", "127.0.0.1:0"});
  b.policy("auth", apigw::policy::make_jwt(std::move(o)));
  apigw::policy::HeadersOptions h;
  h.response.set = {{"x-consumer", "{consumer}"}};
  b.policy("show", apigw::policy::make_headers(h));
  apigw::RouteOptions r;
  r.name = "r";
  r.match.path = "/u";
  r.policies = {"show", "auth"};
  for (size_t i = 0; i < after.size(); ++i) {
    b.policy("after" + std::to_string(i), after[i]);
    r.policies.push_back("after" + std::to_string(i));
  }
  r.handler = "echo";
  b.route(r);
  return {apigw::testing::Client::create(b).value(), clock};
}

std::string claims(std::string extra = "") {
  return R"({"sub":"alice","iss":"https://id.example","aud":"api","exp":)" + std::to_string(kNow + 60) +
         R"(,"scope":"read write")" + extra + "}";
}

std::string token(std::string claims_json = claims(), std::string header = R"({"alg":"HS256","kid":"k1"})") {
  return make_token(header, claims_json);
}

apigw::testing::ClientResponse call(Setup& s, const std::string& t) {
  return s.client.get("/u", {{"authorization", "Bearer " + t}});
}

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("jwt: a valid token names its consumer and is forwarded") {
  auto s = setup(options());
  auto ok = call(s, token());
  CHECK(ok.status == 200);
  CHECK(ok.header("x-consumer") == "alice");
  CHECK(ok.header("www-authenticate").empty());
  CHECK(s.client.get("/u", {{"authorization", "bearer   " + token() + " "}}).status == 200);
}

TEST_CASE("jwt: no token is a 401 with a challenge without an error code") {
  auto s = setup(options());
  for (const char* auth : {"", "Basic YTpi", "Bearer", "Bearer "}) {
    CAPTURE(auth);
    auto r = *auth ? s.client.get("/u", {{"authorization", auth}}) : s.client.get("/u");
    CHECK(r.status == 401);
    CHECK(r.header("www-authenticate") == "Bearer realm=\"apigw\"");
    CHECK(has(r.body, "\"code\":\"unauthorized\""));
    CHECK(r.header("x-consumer").empty());
  }
}

TEST_CASE("jwt: exp, nbf and iat are checked with the leeway") {
  auto s = setup(options());
  auto at = [&](std::string extra) { return call(s, token(claims(extra))).status; };
  auto exp_claims = [&](int64_t exp) {
    return R"({"sub":"alice","iss":"https://id.example","aud":"api","exp":)" + std::to_string(exp) + "}";
  };
  CHECK(call(s, token(exp_claims(kNow - 29))).status == 200);  // within the 30 s leeway
  auto expired = call(s, token(exp_claims(kNow - 31)));
  CHECK(expired.status == 401);
  CHECK(has(expired.header("www-authenticate"), "error=\"invalid_token\", error_description=\"the token has expired\""));
  CHECK(at(",\"nbf\":" + std::to_string(kNow + 29)) == 200);
  CHECK(at(",\"nbf\":" + std::to_string(kNow + 31)) == 401);
  CHECK(at(",\"iat\":" + std::to_string(kNow + 31)) == 401);
  CHECK(at(",\"iat\":" + std::to_string(kNow - 3600)) == 200);
  CHECK(at(",\"nbf\":\"soon\"") == 401);
  CHECK(call(s, token(R"({"sub":"alice","iss":"https://id.example","aud":"api"})")).status == 401);  // no exp
  s.clock->advance_ms(91000);  // past exp + leeway
  CHECK(call(s, token()).status == 401);
}

TEST_CASE("jwt: a token without exp passes when require_exp is off") {
  auto o = options();
  o.require_exp = false;
  auto s = setup(o);
  CHECK(call(s, token(R"({"sub":"alice","iss":"https://id.example","aud":"api"})")).status == 200);
}

TEST_CASE("jwt: issuer and audience must be among the accepted ones") {
  auto s = setup(options());
  auto with = [&](std::string iss, std::string aud) {
    return call(s, token(R"({"sub":"alice","exp":)" + std::to_string(kNow + 60) + iss + aud + "}")).status;
  };
  CHECK(with(R"(,"iss":"https://id.example")", R"(,"aud":["x","other"])") == 200);
  CHECK(with(R"(,"iss":"https://evil.example")", R"(,"aud":"api")") == 401);
  CHECK(with("", R"(,"aud":"api")") == 401);
  CHECK(with(R"(,"iss":["https://id.example"])", R"(,"aud":"api")") == 401);
  CHECK(with(R"(,"iss":"https://id.example")", R"(,"aud":"apix")") == 401);
  CHECK(with(R"(,"iss":"https://id.example")", R"(,"aud":["x"])") == 401);
  CHECK(with(R"(,"iss":"https://id.example")", "") == 401);
}

TEST_CASE("jwt: missing required scopes are a 403 insufficient_scope") {
  auto o = options();
  o.required_scopes = {"read", "admin"};
  auto s = setup(o);
  auto r = call(s, token());
  CHECK(r.status == 403);
  CHECK(has(r.body, "\"code\":\"insufficient_scope\""));
  CHECK(r.header("www-authenticate") ==
        "Bearer realm=\"apigw\", error=\"insufficient_scope\", error_description=\"the token lacks a required "
        "scope\", scope=\"read admin\"");
  CHECK(call(s, token(claims().replace(claims().find("read write"), 10, "admin read"))).status == 200);
  CHECK(call(s, token(R"({"sub":"alice","iss":"https://id.example","aud":"api","exp":)" + std::to_string(kNow + 60) +
                      R"(,"scp":["read","admin"]})")).status == 200);
}

TEST_CASE("jwt: the token's scopes and consumer are what acl checks") {
  apigw::policy::AclOptions acl;
  acl.allow.scopes = {"write"};
  acl.deny.tags = {"banned"};
  auto o = options();
  o.consumers = {{"alice", {"gold"}, {}}, {"bob", {"banned"}, {}}};
  auto s = setup(o, {apigw::policy::make_acl(acl)});
  CHECK(call(s, token()).status == 200);
  CHECK(call(s, token(claims().replace(claims().find("read write"), 10, "read"))).status == 403);
  CHECK(call(s, token(claims().replace(claims().find("alice"), 5, "bob"))).status == 403);
}

TEST_CASE("jwt: a consumer_claim naming no consumer is a 401") {
  auto s = setup(options());
  CHECK(call(s, token(claims().replace(claims().find("alice"), 5, "mallory"))).status == 401);
  CHECK(call(s, token(R"({"iss":"https://id.example","aud":"api","exp":)" + std::to_string(kNow + 60) + "}")).status ==
        401);
}

TEST_CASE("jwt: keys are chosen by kid, or without kid by alg") {
  auto o = options();
  o.keys.push_back(jwt::Key::hmac("k2", std::string(32, 'z'), jwt::alg_bit(jwt::Alg::kHS256)).value());
  auto s = setup(o);
  CHECK(call(s, token(claims(), R"({"alg":"HS256"})")).status == 200);  // no kid: tried against both
  auto unknown = call(s, token(claims(), R"({"alg":"HS256","kid":"k9"})"));
  CHECK(unknown.status == 401);
  CHECK(has(unknown.header("www-authenticate"), "the token key id is unknown"));
  auto wrong = call(s, token(claims(), R"({"alg":"HS256","kid":"k2"})"));  // signed with k1's secret
  CHECK(wrong.status == 401);
  CHECK(has(wrong.header("www-authenticate"), "the token signature does not verify"));
  CHECK(call(s, token(claims(), R"({"alg":"HS384","kid":"k1"})")).status == 401);  // k1 is pinned to HS256
  CHECK(call(s, token(claims(), R"({"alg":"none","kid":"k1"})")).status == 401);
  std::string unsigned_token = apigw::test::b64url(R"({"alg":"none"})") + "." + apigw::test::b64url(claims()) + ".";
  CHECK(call(s, unsigned_token).status == 401);
  CHECK(call(s, std::string(9000, 'a')).status == 401);
}

TEST_CASE("jwt: the token may come from a header, a query parameter or a cookie") {
  using From = apigw::policy::JwtOptions::From;
  const std::string t = token();
  {
    auto o = options();
    o.from = From::kHeader;
    o.from_name = "x-token";
    auto s = setup(o);
    CHECK(s.client.get("/u", {{"x-token", t}}).status == 200);
    CHECK(s.client.get("/u", {{"authorization", "Bearer " + t}}).status == 401);
  }
  {
    auto o = options();
    o.from = From::kQuery;
    o.from_name = "access_token";
    auto s = setup(o);
    CHECK(s.client.get("/u?x=1&access_token=" + t).status == 200);
    CHECK(s.client.get("/u?xaccess_token=" + t).status == 401);
  }
  {
    auto o = options();
    o.from = From::kCookie;
    o.from_name = "session";
    auto s = setup(o);
    CHECK(s.client.get("/u", {{"cookie", "a=b; session=" + t + "; c=d"}}).status == 200);
    CHECK(s.client.get("/u", {{"cookie", "a=b"}}).status == 401);
  }
}
#endif  // APIGW_WITH_TLS
