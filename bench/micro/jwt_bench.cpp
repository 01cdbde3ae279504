// Cost of JWT checks, in ns: a signature verify per algorithm (parsing
// included), and the whole jwt policy (on_request + on_response) on an
// exchange minus the same loop without it. Tokens and keys are the
// known-answer vectors of tests/fixtures/jwt. The fastest of several
// interleaved rounds counts, to keep noise from other processes out.
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"
#include "policy/hmac_prefix.hpp"
#include "policy/jwks.hpp"
#include "policy/jwt_token.hpp"

namespace ap = apigw::policy;
namespace jwt = apigw::policy::jwt;

namespace {

constexpr int kRounds = 5;

class BenchExchange final : public apigw::Exchange {
 public:
  BenchExchange() : Exchange(1 << 20) {}
};

struct Vector {
  std::string alg, token, jwks;
};

std::vector<Vector> load_vectors() {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(std::string(APIGW_SOURCE_DIR) + "/tests/fixtures/jwt/vectors.json");
  std::vector<Vector> out;
  for (simdjson::dom::object v : doc["vectors"].get_array())
    out.push_back({std::string(v["alg"].get_string().value()), std::string(v["token"].get_string().value()),
                   "{\"keys\":[" + simdjson::minify(v["jwk"]) + "]}"});
  return out;
}

template <class F>
double best_ns(int ops, F&& f) {
  double best = 1e18;
  for (int round = 0; round < kRounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < ops; ++i) f();
    best = std::min(best, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / ops);
  }
  return best;
}

double exchange_ns(const apigw::PolicyPtr& policy, const std::string& token, int ops) {
  const std::string auth = "Bearer " + token;
  return best_ns(ops, [&] {
    BenchExchange ex;
    apigw::Request& r = ex.request();
    r.method = "GET";
    r.target = r.path = "/u/1";
    r.headers.add_view("host", "api.example.com");
    r.headers.add_view("authorization", auth);
    if (policy && (policy->on_request(ex) != apigw::Decision::kContinue || ex.consumer() != "alice")) std::abort();
    if (policy) policy->on_response(ex);
  });
}

}  // namespace

// `jwt_bench HS256` runs only that algorithm's rows (for a profiler).
int main(int argc, char** argv) {
  const std::string only = argc > 1 ? argv[1] : "";
  auto vectors = load_vectors();
  auto parser = std::make_unique<simdjson::dom::parser>();
  auto buffer = std::make_unique<jwt::TokenBuffer>();
  for (const Vector& v : vectors) {
    if (!only.empty() && v.alg != only) continue;
    auto key = jwt::parse_jwks(v.jwks, 0x1ff, nullptr).value()->keys.at(0);
    const int ops = v.alg[0] == 'H' ? 200000 : 5000;
    double ns = best_ns(ops, [&] {
      jwt::Token t;
      if (jwt::parse_token(v.token, *buffer, *parser, &t) != jwt::TokenError::kNone ||
          !key->verify(t.alg, t.signing_input, t.signature))
        std::abort();
    });
    std::printf("parse + verify %s: %.0f ns/op (%d ops)\n", v.alg.c_str(), ns, ops);
  }

  // The HS256 MAC alone: mbedTLS's one-call HMAC (a context set up and both
  // padded key blocks hashed per call) against the key's precomputed prefix.
  if (only.empty() || only == "HS256") {
    const Vector& v = *std::find_if(vectors.begin(), vectors.end(), [](const Vector& x) { return x.alg == "HS256"; });
    jwt::Token t;
    if (jwt::parse_token(v.token, *buffer, *parser, &t) != jwt::TokenError::kNone) std::abort();
    const std::string input(t.signing_input);
    simdjson::dom::parser jwks_parser;
    const std::string secret = *jwt::base64url_decode(
        jwks_parser.parse(simdjson::padded_string(v.jwks))["keys"].at(0)["k"].get_string().value());
    auto prefix = jwt::HmacPrefix::make(MBEDTLS_MD_SHA256, secret);
    unsigned char mac[64];
    const auto* md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    auto u = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); };
    const double one_call = best_ns(200000, [&] {
      if (mbedtls_md_hmac(md, u(secret), secret.size(), u(input), input.size(), mac) != 0) std::abort();
    });
    const double prefixed = best_ns(200000, [&] {
      if (!prefix->mac(input, mac)) std::abort();
    });
    std::printf("HMAC-SHA256 of %zu bytes: mbedtls_md_hmac %.0f ns/op, HmacPrefix %.0f ns/op\n", input.size(),
                one_call, prefixed);
  }

  // RS256 from two threads: one shared key (mbedTLS, built with
  // MBEDTLS_THREADING_C, locks the RSA context for each public operation) or
  // a copy each. Wall time per verify, over both threads.
  if (only.empty() || only == "RS256-threads") {
    const Vector& v = *std::find_if(vectors.begin(), vectors.end(), [](const Vector& x) { return x.alg == "RS256"; });
    auto load = [&] { return jwt::parse_jwks(v.jwks, 0x1ff, nullptr).value()->keys.at(0); };
    const jwt::KeyPtr shared = load();
    const jwt::KeyPtr own[2] = {load(), load()};
    constexpr int kOps = 2000;
    auto two_threads = [&](bool copies) {
      auto work = [&](int t) {
        jwt::TokenBuffer* b = new jwt::TokenBuffer;
        simdjson::dom::parser p;
        const jwt::Key& key = copies ? *own[t] : *shared;
        for (int i = 0; i < kOps; ++i) {
          jwt::Token tok;
          if (jwt::parse_token(v.token, *b, p, &tok) != jwt::TokenError::kNone ||
              !key.verify(tok.alg, tok.signing_input, tok.signature))
            std::abort();
        }
        delete b;
      };
      double best = 1e18;
      for (int round = 0; round < 3; ++round) {
        auto start = std::chrono::steady_clock::now();
        std::thread other(work, 1);
        work(0);
        other.join();
        best = std::min(best, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
                                  (2 * kOps));
      }
      return best;
    };
    const double one = two_threads(false);
    const double each = two_threads(true);
    std::printf("RS256 verify from 2 threads: one shared key %.0f ns/op, a key each %.0f ns/op\n", one, each);
  }

  const double base = exchange_ns(nullptr, "", 200000);
  for (const char* alg : {"HS256", "RS256"}) {
    if (!only.empty() && only != alg) continue;
    const Vector& v = *std::find_if(vectors.begin(), vectors.end(), [&](const Vector& x) { return x.alg == alg; });
    ap::JwtOptions o;
    o.keys = jwt::parse_jwks(v.jwks, 0x1ff, nullptr).value()->keys;
    o.issuers = {"https://id.example"};
    o.audiences = {"api"};
    o.required_scopes = {"read"};
    o.consumer_claim = "sub";
    for (int i = 0; i < 1000; ++i) o.consumers.push_back({"c" + std::to_string(i), {}, {}});
    o.consumers.push_back({"alice", {"gold"}, {}});
    const int ops = alg[0] == 'H' ? 200000 : 5000;
    const double ns = exchange_ns(ap::make_jwt(o), v.token, ops) - base;
    std::printf("jwt policy %s (iss, aud, scope, consumer of 1001): %.0f ns/op (%d ops)\n", alg, ns, ops);
  }
  std::printf("exchange alone: %.0f ns/op\n", base);
  return 0;
}
