// Known-answer vectors for every algorithm, made by Python's cryptography
// (tests/fixtures/jwt/make_vectors.py): each verifies from its PEM key and
// from its JWK, and fails after any bit flip, under another key, and under
// any other algorithm.
#ifdef APIGW_WITH_TLS
#include <doctest/doctest.h>
#include <simdjson.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "policy/jwks.hpp"
#include "policy/jwt_token.hpp"
#include "unit/policy/jwt_test_support.hpp"

namespace {

namespace jwt = apigw::policy::jwt;

struct Vector {
  std::string alg, kid, pem, secret, jwk, token, token_by_other_key;
};

std::vector<Vector> load_vectors() {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(apigw::test::fixture_path("vectors.json"));
  std::vector<Vector> out;
  for (simdjson::dom::object v : doc["vectors"].get_array()) {
    Vector x;
    x.alg = std::string(v["alg"].get_string().value());
    x.kid = std::string(v["kid"].get_string().value());
    if (auto pem = v["public_key_pem"]; pem.error() == simdjson::SUCCESS) x.pem = std::string(pem.get_string().value());
    if (auto s = v["secret_b64url"]; s.error() == simdjson::SUCCESS)
      x.secret = *jwt::base64url_decode(s.get_string().value());
    x.jwk = "{\"keys\": [" + simdjson::minify(v["jwk"]) + "]}";
    x.token = std::string(v["token"].get_string().value());
    x.token_by_other_key = std::string(v["token_by_other_key"].get_string().value());
    out.push_back(std::move(x));
  }
  return out;
}

jwt::KeyPtr key_from_config(const Vector& v, jwt::AlgMask algs) {
  auto k = v.secret.empty() ? jwt::Key::public_key(v.kid, v.pem, algs) : jwt::Key::hmac(v.kid, v.secret, algs);
  REQUIRE_MESSAGE(k, k.status().to_string());
  return k.value();
}

jwt::KeyPtr key_from_jwk(const Vector& v) {
  std::vector<std::string> skipped;
  auto set = jwt::parse_jwks(v.jwk, 0x1ff, &skipped);
  REQUIRE(set);
  REQUIRE_MESSAGE(set.value()->keys.size() == 1, (skipped.empty() ? "" : skipped.front()));
  return set.value()->keys.front();
}

struct Parsed {
  jwt::TokenBuffer buffer;
  jwt::Token token;
  jwt::TokenError error;
};

bool verifies(const jwt::Key& key, std::string_view text) {
  static simdjson::dom::parser parser;
  auto p = std::make_unique<Parsed>();
  p->error = jwt::parse_token(text, p->buffer, parser, &p->token);
  return p->error == jwt::TokenError::kNone && key.verify(p->token.alg, p->token.signing_input, p->token.signature);
}

// The token with its alg header replaced (re-encoded, same claims and signature).
std::string with_alg(const std::string& token, std::string_view alg, std::string_view kid) {
  std::string header = "{\"alg\":\"" + std::string(alg) + "\",\"typ\":\"JWT\",\"kid\":\"" + std::string(kid) + "\"}";
  return apigw::test::b64url(header) + token.substr(token.find('.'));
}

}  // namespace

TEST_CASE("jwt: every algorithm verifies its known-answer token from a PEM key or secret and from a JWK") {
  auto vectors = load_vectors();
  REQUIRE(vectors.size() == jwt::kAlgCount);
  for (const Vector& v : vectors) {
    CAPTURE(v.alg);
    auto alg = jwt::alg_from_name(v.alg);
    REQUIRE(alg);
    CHECK(verifies(*key_from_config(v, jwt::alg_bit(*alg)), v.token));
    CHECK(verifies(*key_from_jwk(v), v.token));
  }
}

TEST_CASE("jwt: a known-answer token fails after any one bit flip of its signed part or signature") {
  for (const Vector& v : load_vectors()) {
    CAPTURE(v.alg);
    auto key = key_from_jwk(v);
    // Flip a bit in the decoded bytes and re-encode: every flip stays valid base64url.
    const size_t dot2 = v.token.rfind('.');
    auto sig = *jwt::base64url_decode(std::string_view(v.token).substr(dot2 + 1));
    for (size_t i = 0; i < sig.size(); ++i) {
      std::string flipped = sig;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << (i % 8)));
      CHECK_FALSE(verifies(*key, v.token.substr(0, dot2 + 1) + apigw::test::b64url(flipped)));
    }
    const size_t dot1 = v.token.find('.');
    auto claims = *jwt::base64url_decode(std::string_view(v.token).substr(dot1 + 1, dot2 - dot1 - 1));
    for (size_t i = 0; i < claims.size(); ++i) {
      std::string flipped = claims;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << (i % 8)));
      CHECK_FALSE(verifies(*key, v.token.substr(0, dot1 + 1) + apigw::test::b64url(flipped) + v.token.substr(dot2)));
    }
  }
}

TEST_CASE("jwt: a known-answer token verifies under no other key and no other algorithm") {
  auto vectors = load_vectors();
  for (const Vector& v : vectors) {
    CAPTURE(v.alg);
    CHECK_FALSE(verifies(*key_from_jwk(v), v.token_by_other_key));
    for (const Vector& other : vectors) {
      if (other.alg == v.alg) continue;
      CAPTURE(other.alg);
      // Another vector's key (of whatever type), pinned to its own algorithm.
      CHECK_FALSE(verifies(*key_from_jwk(other), v.token));
      // This vector's key asked for another algorithm, under the same kid.
      CHECK_FALSE(verifies(*key_from_jwk(v), with_alg(v.token, other.alg, v.kid)));
    }
  }
}

TEST_CASE("jwt: the RS to HS confusion is refused (an RSA public key used as the HMAC secret)") {
  for (const Vector& v : load_vectors()) {
    if (v.pem.empty()) continue;
    CAPTURE(v.alg);
    auto key = key_from_config(v, jwt::alg_bit(*jwt::alg_from_name(v.alg)));
    for (const std::string& secret : {v.pem, v.pem.substr(0, v.pem.size() - 1)}) {
      std::string forged = apigw::test::make_token("{\"alg\":\"HS256\",\"kid\":\"" + v.kid + "\"}",
                                                   R"({"sub":"mallory"})", secret);
      CHECK_FALSE(verifies(*key, forged));
    }
    // And the key cannot even be configured for HS256.
    CHECK_FALSE(jwt::Key::public_key(v.kid, v.pem, jwt::alg_bit(jwt::Alg::kHS256)));
  }
}

TEST_CASE("jwt: ECDSA signatures with r or s zero or not below the curve order are refused") {
  for (const Vector& v : load_vectors()) {
    if (v.alg[0] != 'E') continue;
    CAPTURE(v.alg);
    auto key = key_from_jwk(v);
    const size_t n = v.alg == "ES256" ? 32 : 48;
    const size_t dot2 = v.token.rfind('.');
    auto sig = *jwt::base64url_decode(std::string_view(v.token).substr(dot2 + 1));
    REQUIRE(sig.size() == 2 * n);
    const std::string order = n == 32 ? *jwt::base64url_decode("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE")
                                      : *jwt::base64url_decode(
                                            "________________________________x2NNgfQ3Ld9YGg2ySLCneuzsGWrMxSlz");
    REQUIRE(order.size() == n);
    const std::string zero(n, '\0');
    const std::string r = sig.substr(0, n), s = sig.substr(n);
    for (const std::string& bad : {zero + s, r + zero, zero + zero, order + s, r + order, std::string(2 * n, '\xff')})
      CHECK_FALSE(verifies(*key, v.token.substr(0, dot2 + 1) + apigw::test::b64url(bad)));
    CHECK(verifies(*key, v.token));
  }
}

TEST_CASE("jwt: keys are refused when too weak or of the wrong kind") {
  using jwt::Alg;
  CHECK_FALSE(jwt::Key::hmac("k", std::string(31, 'x'), jwt::alg_bit(Alg::kHS256)));  // shorter than the hash
  CHECK_FALSE(jwt::Key::hmac("k", std::string(48, 'x'), jwt::alg_bit(Alg::kHS512)));
  CHECK(jwt::Key::hmac("k", std::string(64, 'x'), jwt::alg_bit(Alg::kHS512)));
  CHECK_FALSE(jwt::Key::hmac("k", std::string(64, 'x'), jwt::alg_bit(Alg::kRS256)));
  CHECK_FALSE(jwt::Key::public_key("k", "not a key", jwt::alg_bit(Alg::kRS256)));
  for (const Vector& v : load_vectors()) {
    if (v.alg == "ES256") CHECK_FALSE(jwt::Key::public_key("k", v.pem, jwt::alg_bit(Alg::kES384)));  // wrong curve
    if (v.alg == "RS256") CHECK_FALSE(jwt::Key::public_key("k", v.pem, jwt::alg_bit(Alg::kES256)));
  }
}

TEST_CASE("jwt: JWKS keys are pinned to their alg or to the accepted algorithms of their type") {
  auto vectors = load_vectors();
  const Vector* rs = nullptr;
  for (const Vector& v : vectors)
    if (v.alg == "RS256") rs = &v;
  REQUIRE(rs);
  simdjson::dom::parser parser;
  simdjson::dom::object jwk = parser.parse(rs->jwk).get_object()["keys"].at(0).get_object();
  auto without = [&](std::initializer_list<std::string_view> drop, std::string extra) {
    std::string out = "{";
    for (auto [k, val] : jwk) {
      if (std::find(drop.begin(), drop.end(), k) != drop.end()) continue;
      out += "\"" + std::string(k) + "\":" + simdjson::minify(val) + ",";
    }
    return "{\"keys\":[" + out + extra + "}]}";
  };
  std::vector<std::string> skipped;
  // No alg: every RSA algorithm the policy accepts.
  auto set = jwt::parse_jwks(without({"alg"}, "\"x\":1"), jwt::alg_bit(jwt::Alg::kRS256) | jwt::alg_bit(jwt::Alg::kPS256), &skipped);
  REQUIRE(set);
  REQUIRE(set.value()->keys.size() == 1);
  CHECK(set.value()->keys[0]->allows(jwt::Alg::kPS256));
  CHECK_FALSE(set.value()->keys[0]->allows(jwt::Alg::kRS384));
  CHECK(verifies(*set.value()->keys[0], rs->token));
  // use "enc", key_ops without verify, an alg the policy does not accept: left out, said why.
  for (const std::string& doc : {without({"use"}, "\"use\":\"enc\""), without({}, "\"key_ops\":[\"encrypt\"]"),
                                 without({"alg"}, "\"alg\":\"HS256\"")}) {
    skipped.clear();
    auto s = jwt::parse_jwks(doc, 0x1ff, &skipped);
    REQUIRE(s);
    CHECK(s.value()->keys.empty());
    CHECK(skipped.size() == 1);
  }
  // oct keys must name their alg.
  skipped.clear();
  auto oct = jwt::parse_jwks(R"({"keys":[{"kty":"oct","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}]})", 0x1ff, &skipped);
  REQUIRE(oct);
  CHECK(oct.value()->keys.empty());
  CHECK_FALSE(jwt::parse_jwks("[]", 0x1ff, nullptr));
  CHECK_FALSE(jwt::parse_jwks("{\"keys\": 1}", 0x1ff, nullptr));
}
TEST_CASE("jwt: RSA keys verify from several threads at once and past the per-thread copy bound") {
  auto vectors = load_vectors();
  std::vector<const Vector*> rsa;
  for (const Vector& v : vectors)
    if (v.alg[0] == 'R' || v.alg[0] == 'P') rsa.push_back(&v);
  REQUIRE(rsa.size() == 4);
  // More keys than a thread keeps copies of (8): each is copied again when it comes back.
  std::vector<std::pair<jwt::KeyPtr, const Vector*>> keys;
  for (int round = 0; round < 3; ++round)
    for (const Vector* v : rsa) keys.emplace_back(key_from_jwk(*v), v);
  std::vector<int> wrong(3, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < wrong.size(); ++t)
    threads.emplace_back([&, t] {
      simdjson::dom::parser parser;
      auto buffer = std::make_unique<jwt::TokenBuffer>();
      for (int pass = 0; pass < 2; ++pass)
        for (const auto& [key, v] : keys) {
          jwt::Token good, bad;
          const bool ok = jwt::parse_token(v->token, *buffer, parser, &good) == jwt::TokenError::kNone &&
                          key->verify(good.alg, good.signing_input, good.signature);
          const bool refused = jwt::parse_token(v->token_by_other_key, *buffer, parser, &bad) == jwt::TokenError::kNone &&
                               !key->verify(bad.alg, bad.signing_input, bad.signature);
          wrong[t] += !ok + !refused;
        }
    });
  for (auto& t : threads) t.join();
  CHECK(wrong == std::vector<int>(wrong.size(), 0));
}
#endif  // APIGW_WITH_TLS
