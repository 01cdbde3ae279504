// Token parsing: strict base64url, three segments, the header's refusals
// (alg none, embedded keys, crit), duplicate members, the size cap.
#ifdef APIGW_WITH_TLS
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "policy/jwt_token.hpp"
#include "unit/policy/jwt_test_support.hpp"

namespace {

namespace jwt = apigw::policy::jwt;
using apigw::test::b64url;
using jwt::TokenError;

struct Parse {
  jwt::TokenBuffer buffer;
  jwt::Token token;
  simdjson::dom::parser parser;
};

TokenError parse(std::string_view text, jwt::Token* out = nullptr) {
  auto p = std::make_unique<Parse>();
  TokenError e = jwt::parse_token(text, p->buffer, p->parser, &p->token);
  if (e == TokenError::kNone) {
    simdjson::dom::object claims;
    e = jwt::parse_claims(p->token, p->parser, &claims);
  }
  if (out) *out = p->token;  // views into the buffer: only the scalar parts are used
  return e;
}

std::string token(std::string_view header, std::string_view claims = R"({"sub":"a"})") {
  return apigw::test::make_token(header, claims);
}

}  // namespace

TEST_CASE("jwt: base64url is strict (alphabet, no padding, canonical tail)") {
  CHECK(jwt::base64url_decode("") == std::string());
  CHECK(jwt::base64url_decode("YQ") == std::string("a"));
  CHECK(jwt::base64url_decode("YWI") == std::string("ab"));
  CHECK(jwt::base64url_decode("-_8") == std::string("\xfb\xff", 2));
  CHECK_FALSE(jwt::base64url_decode("YQ=="));  // padding
  CHECK_FALSE(jwt::base64url_decode("YR"));    // non-zero unused bits: a second spelling of "a"
  CHECK_FALSE(jwt::base64url_decode("Y"));     // impossible length
  CHECK_FALSE(jwt::base64url_decode("+/8"));   // the other alphabet
  CHECK_FALSE(jwt::base64url_decode("YW I"));
}

TEST_CASE("jwt: a token is three non-empty base64url segments") {
  jwt::Token t;
  const std::string good = token(R"({"alg":"HS256","kid":"k1"})");
  REQUIRE(parse(good, &t) == TokenError::kNone);
  CHECK(t.alg == jwt::Alg::kHS256);
  CHECK(t.has_kid);
  CHECK(t.signature.size() == 32);
  const size_t dot1 = good.find('.'), dot2 = good.rfind('.');
  CHECK(parse(good.substr(0, dot2)) == TokenError::kSegments);
  CHECK(parse(good + ".x") == TokenError::kSegments);
  CHECK(parse(good.substr(0, dot2 + 1)) == TokenError::kSegments);        // no signature
  CHECK(parse(good.substr(dot1)) == TokenError::kSegments);                // no header
  CHECK(parse("..") == TokenError::kSegments);
  CHECK(parse(good.substr(0, dot2) + ".a$b") == TokenError::kBase64);
  CHECK(parse(good.substr(0, dot2) + ".YR") == TokenError::kBase64);
  CHECK(parse(good + "=") == TokenError::kBase64);
  CHECK(parse(std::string(jwt::kMaxTokenBytes + 1, 'a')) == TokenError::kTooLarge);
}

TEST_CASE("jwt: the header must name a known alg and carry no embedded keys or crit") {
  CHECK(parse(token(R"({"alg":"none"})")) == TokenError::kAlgorithm);
  CHECK(parse(token(R"({"alg":"None"})")) == TokenError::kAlgorithm);
  CHECK(parse(token(R"({"alg":"hs256"})")) == TokenError::kAlgorithm);  // names are case-sensitive
  CHECK(parse(token(R"({"alg":"ES512"})")) == TokenError::kAlgorithm);
  CHECK(parse(token(R"({"typ":"JWT"})")) == TokenError::kHeader);
  CHECK(parse(token(R"({"alg":256})")) == TokenError::kHeader);
  CHECK(parse(token(R"(["alg","HS256"])")) == TokenError::kHeader);
  CHECK(parse(token(R"({"alg":"HS256")")) == TokenError::kHeader);
  CHECK(parse(token(R"({"alg":"HS256","kid":7})")) == TokenError::kHeader);
  CHECK(parse(token(R"({"alg":"HS256","kid":")" + std::string(300, 'k') + "\"}")) == TokenError::kHeader);
  CHECK(parse(token(R"({"alg":"HS256","jwk":{"kty":"oct","k":"AAAA"}})")) == TokenError::kEmbeddedKey);
  CHECK(parse(token(R"({"alg":"RS256","jku":"http://evil.example/jwks"})")) == TokenError::kEmbeddedKey);
  CHECK(parse(token(R"({"alg":"RS256","x5u":"http://evil.example/cert"})")) == TokenError::kEmbeddedKey);
  CHECK(parse(token(R"({"alg":"RS256","x5c":["MIIB"]})")) == TokenError::kEmbeddedKey);
  CHECK(parse(token(R"({"alg":"HS256","crit":["exp"],"exp":1})")) == TokenError::kCritical);
  CHECK(parse(token(R"({"alg":"HS256","b64":false,"crit":["b64"]})")) == TokenError::kCritical);
}

TEST_CASE("jwt: duplicate members and non-object claims are refused") {
  CHECK(parse(token(R"({"alg":"HS256","alg":"none"})")) == TokenError::kHeader);
  CHECK(parse(token(R"({"alg":"none","alg":"HS256"})")) == TokenError::kHeader);
  CHECK(parse(token(R"({"alg":"HS256"})", R"({"sub":"a","sub":"b"})")) == TokenError::kClaims);
  CHECK(parse(token(R"({"alg":"HS256"})", R"(["sub"])")) == TokenError::kClaims);
  CHECK(parse(token(R"({"alg":"HS256"})", R"({"sub":"a")")) == TokenError::kClaims);
  CHECK(parse(token(R"({"alg":"HS256"})", "{\"sub\":\"\xff\"}")) == TokenError::kClaims);  // not UTF-8
  CHECK(parse(token(R"({"alg":"HS256"})", R"({"sub":"a"} x)")) == TokenError::kClaims);
  std::string many = "{";
  for (int i = 0; i < 200; ++i) many += "\"c" + std::to_string(i) + "\":1,";
  many.back() = '}';
  CHECK(parse(token(R"({"alg":"HS256"})", many)) == TokenError::kClaims);
}
#endif  // APIGW_WITH_TLS
