// jwt: verifies a bearer JWT and turns its claims into the request's identity.
//
// Order of checks: the token's shape and header (jwt_token), then its
// signature against the keys whose kid matches (or, without kid, the first
// few that take its alg), then the claims. Failures answer 401 (403 for
// missing scopes) with an RFC 6750 challenge and are counted by reason.
#ifdef APIGW_WITH_TLS
#include <algorithm>
#include <array>
#include <map>

#include "apigw/clock.hpp"
#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"
#include "policy/jwks_fetcher.hpp"
#include "policy/jwt_token.hpp"
#include "policy/policy_state.hpp"

namespace apigw::policy {
namespace {

using jwt::TokenError;

enum class Failure : uint8_t {
  kMissing, kTooLarge, kMalformed, kAlgorithm, kUnknownKey, kSignature, kExpired, kNotYetValid,
  kIssuedInFuture, kIssuer, kAudience, kScope, kConsumer, kCount
};
constexpr std::array<std::string_view, size_t(Failure::kCount)> kReasons = {
    "missing", "too_large", "malformed", "algorithm", "unknown_key", "signature", "expired", "not_yet_valid",
    "issued_in_future", "issuer", "audience", "insufficient_scope", "unknown_consumer"};
// Also the error_description of the challenge: no quotes or backslashes.
constexpr std::array<std::string_view, size_t(Failure::kCount)> kMessages = {
    "no bearer token in the request", "the token is too large", "the token is malformed",
    "the token algorithm or header is not accepted", "the token key id is unknown",
    "the token signature does not verify", "the token has expired", "the token is not valid yet",
    "the token was issued in the future", "the token issuer is not accepted",
    "the token audience is not accepted", "the token lacks a required scope",
    "the token names an unknown consumer"};

Failure failure_of(TokenError e) noexcept {
  switch (e) {
    case TokenError::kTooLarge: return Failure::kTooLarge;
    case TokenError::kAlgorithm:
    case TokenError::kEmbeddedKey:
    case TokenError::kCritical: return Failure::kAlgorithm;
    default: return Failure::kMalformed;
  }
}

// A token without kid is tried against at most this many keys taking its alg.
constexpr int kMaxKeysWithoutKid = 4;
constexpr size_t kMaxScopes = 64;

// Per worker thread: decoding room and a JSON parser with warm buffers.
struct Scratch {
  jwt::TokenBuffer buffer;
  simdjson::dom::parser parser;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// The outcome that on_response turns into WWW-Authenticate.
struct Outcome {
  const std::string* challenge = nullptr;
  bool waited_for_keys = false;  // an unknown kid waits for one JWKS fetch, never two
};

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

// `name=value` in a query string or a Cookie header (separated by `sep`).
std::string_view find_pair(std::string_view list, std::string_view name, char sep) noexcept {
  while (!list.empty()) {
    size_t end = list.find(sep);
    std::string_view pair = trim(list.substr(0, end));
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=')
      return pair.substr(name.size() + 1);
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  return {};
}

bool contains(const std::vector<std::string>& list, std::string_view s) noexcept {
  return std::find(list.begin(), list.end(), s) != list.end();
}

class Jwt final : public Policy, public StatefulPolicy {
 public:
  Jwt(JwtOptions o, std::shared_ptr<AuthFailureState> failures, std::shared_ptr<jwt::JwksFetcher> fetcher,
      std::shared_ptr<const Clock> clock)
      : o_(std::move(o)), failures_(std::move(failures)), fetcher_(std::move(fetcher)), clock_(std::move(clock)) {
    tag_views_.resize(o_.consumers.size());
    for (size_t i = 0; i < o_.consumers.size(); ++i) {
      consumer_index_.emplace(o_.consumers[i].id, i);
      for (const auto& t : o_.consumers[i].tags) tag_views_[i].push_back(t);
    }
    std::string scopes;
    for (const auto& s : o_.required_scopes) scopes += (scopes.empty() ? "" : " ") + s;
    for (size_t f = 0; f < kReasons.size(); ++f) {
      std::string& c = challenges_[f];
      c = "Bearer realm=\"apigw\"";
      if (Failure(f) == Failure::kMissing) continue;  // RFC 6750 3.1: no error code without credentials
      c += Failure(f) == Failure::kScope ? ", error=\"insufficient_scope\"" : ", error=\"invalid_token\"";
      c += ", error_description=\"" + std::string(kMessages[f]) + "\"";
      if (Failure(f) == Failure::kScope) c += ", scope=\"" + scopes + "\"";
    }
  }
  Jwt(const Jwt&) = delete;  // tag_views_ and consumer_index_ point into o_
  Jwt& operator=(const Jwt&) = delete;

  std::string_view type() const noexcept override { return "jwt"; }

  Result<PolicyPtr> bind(BindContext& ctx, const std::string& name) const override {
    std::shared_ptr<jwt::JwksFetcher> fetcher;
    if (!o_.jwks_url.empty()) {
      auto url = net::parse_http_url(o_.jwks_url, "jwks_url");
      if (!url) return std::move(url).take_status().with_context("policy \"" + name + "\"");
      // Same URL and algorithms: the running fetcher and its keys carry on.
      fetcher = ctx.states.jwks_fetcher(name, o_.jwks_url + " " + std::to_string(o_.algorithms), [&] {
        return std::make_shared<jwt::JwksFetcher>(jwt::JwksFetchOptions{
            std::move(url.value()), o_.jwks_refresh_ms, o_.jwks_min_refresh_ms, o_.jwks_timeout_ms, o_.algorithms});
      });
      fetcher->set_timing(o_.jwks_refresh_ms, o_.jwks_min_refresh_ms, o_.jwks_timeout_ms);
    }
    return PolicyPtr(std::make_shared<Jwt>(o_, ctx.states.auth_failures(name, kReasons), std::move(fetcher),
                                           ctx.clock));
  }

  Decision on_request(Exchange& ex) const noexcept override {
    std::string_view text = token_text(ex.request());
    if (text.empty()) return refuse(ex, Failure::kMissing);
    Scratch& s = scratch();
    jwt::Token token;
    if (TokenError e = jwt::parse_token(text, s.buffer, s.parser, &token); e != TokenError::kNone)
      return refuse(ex, failure_of(e));
    if (Failure f = verify(token); f != Failure::kCount) {
      if (f == Failure::kUnknownKey && wait_for_keys(ex)) return Decision::kPause;
      return refuse(ex, f);
    }
    simdjson::dom::object claims;
    if (jwt::parse_claims(token, s.parser, &claims) != TokenError::kNone) return refuse(ex, Failure::kMalformed);
    if (Failure f = check_claims(claims); f != Failure::kCount) return refuse(ex, f);
    return take_identity(ex, claims);
  }

  Decision on_response(Exchange& ex) const noexcept override {
    if (const std::string* c = ex.ctx<Outcome>().challenge) ex.response().headers.set_view("www-authenticate", *c);
    return Decision::kContinue;
  }

 private:
  std::string_view token_text(const Request& r) const noexcept {
    switch (o_.from) {
      case JwtOptions::From::kBearer: {
        std::string_view v = trim(r.headers.get("authorization"));
        if (v.size() < 7 || !iequals(v.substr(0, 6), "bearer") || v[6] != ' ') return {};
        return trim(v.substr(7));
      }
      case JwtOptions::From::kHeader: return trim(r.headers.get(o_.from_name));
      case JwtOptions::From::kQuery: return find_pair(r.query, o_.from_name, '&');
      case JwtOptions::From::kCookie: return find_pair(r.headers.get("cookie"), o_.from_name, ';');
    }
    return {};
  }

  // Failure::kCount when the signature verifies.
  Failure verify(const jwt::Token& t) const noexcept {
    jwt::KeySetPtr remote = fetcher_ ? fetcher_->keys() : nullptr;
    bool kid_known = false;
    bool alg_known = false;
    int tried = 0;
    auto attempt = [&](const jwt::KeyPtr& key) {
      if (t.has_kid) {
        if (key->kid() != t.kid) return false;
        kid_known = true;
      } else if (!key->allows(t.alg) || ++tried > kMaxKeysWithoutKid) {
        return false;
      }
      alg_known = alg_known || key->allows(t.alg);
      return key->verify(t.alg, t.signing_input, t.signature);
    };
    for (const auto& key : o_.keys)
      if (attempt(key)) return Failure::kCount;
    if (remote)
      for (const auto& key : remote->keys)
        if (attempt(key)) return Failure::kCount;
    if (t.has_kid && !kid_known) return Failure::kUnknownKey;
    return alg_known ? Failure::kSignature : Failure::kAlgorithm;
  }

  // An unknown kid may be a key rotated in at the identity provider: the
  // request waits for one JWKS fetch (started now unless one runs, or the
  // last began less than jwks_min_refresh_ms ago), then runs this phase
  // again. True when it waits.
  bool wait_for_keys(Exchange& ex) const noexcept {
    if (!fetcher_) return false;
    try {
      Outcome& out = ex.ctx<Outcome>();
      if (out.waited_for_keys) return false;
      out.waited_for_keys = true;
      return fetcher_->wait_for_keys([&ex] { return ex.pause(); });
    } catch (...) {
      return false;  // no room to remember the wait: refused at once
    }
  }

  // Failure::kCount when every configured check passes.
  Failure check_claims(simdjson::dom::object claims) const noexcept {
    const double now_ms = static_cast<double>(clock_->wall_ns() / 1'000'000);
    const double leeway = static_cast<double>(o_.leeway_ms);
    auto seconds = [&](const char* name, double* out) {  // absent: 0; present but not a number: -1
      auto v = claims[name];
      if (v.error() != simdjson::SUCCESS) return 0;
      return v.get_double().get(*out) == simdjson::SUCCESS ? 1 : -1;
    };
    double exp = 0, nbf = 0, iat = 0;
    int has_exp = seconds("exp", &exp), has_nbf = seconds("nbf", &nbf), has_iat = seconds("iat", &iat);
    if (has_exp < 0 || has_nbf < 0 || has_iat < 0) return Failure::kMalformed;
    if (has_exp == 0 && o_.require_exp) return Failure::kExpired;
    if (has_exp && now_ms > exp * 1000 + leeway) return Failure::kExpired;
    if (has_nbf && now_ms + leeway < nbf * 1000) return Failure::kNotYetValid;
    if (has_iat && now_ms + leeway < iat * 1000) return Failure::kIssuedInFuture;
    if (!o_.issuers.empty()) {
      std::string_view iss;
      if (claims["iss"].get(iss) != simdjson::SUCCESS || !contains(o_.issuers, iss)) return Failure::kIssuer;
    }
    if (!o_.audiences.empty() && !audience_matches(claims)) return Failure::kAudience;
    return Failure::kCount;
  }

  bool audience_matches(simdjson::dom::object claims) const noexcept {
    auto aud = claims["aud"];
    std::string_view one;
    if (aud.get(one) == simdjson::SUCCESS) return contains(o_.audiences, one);
    simdjson::dom::array list;
    if (aud.get(list) != simdjson::SUCCESS) return false;
    for (auto item : list)
      if (item.get(one) == simdjson::SUCCESS && contains(o_.audiences, one)) return true;
    return false;
  }

  Decision take_identity(Exchange& ex, simdjson::dom::object claims) const noexcept {
    // The scopes outlive the parser's buffers: copied into the arena.
    std::string_view* scopes = nullptr;
    size_t n = 0;
    try {
      scopes = static_cast<std::string_view*>(ex.arena().allocate(kMaxScopes * sizeof(std::string_view),
                                                                  alignof(std::string_view)));
      auto add = [&](std::string_view s) {
        if (!s.empty() && n < kMaxScopes) scopes[n++] = ex.arena().dup(s);
      };
      std::string_view text;
      simdjson::dom::array list;
      if (claims["scope"].get(text) == simdjson::SUCCESS) {
        while (!text.empty()) {
          size_t sp = text.find(' ');
          add(text.substr(0, sp));
          text = sp == std::string_view::npos ? std::string_view() : text.substr(sp + 1);
        }
      } else if (claims["scp"].get(list) == simdjson::SUCCESS) {
        for (auto item : list)
          if (item.get(text) == simdjson::SUCCESS) add(text);
      }
    } catch (...) {
      return ex.fail(Status::http(503, "overloaded", "the request's memory is exhausted"));
    }
    for (const auto& need : o_.required_scopes)
      if (std::find(scopes, scopes + n, std::string_view(need)) == scopes + n) return refuse(ex, Failure::kScope);
    if (!o_.consumer_claim.empty()) {
      std::string_view id;
      auto it = claims[o_.consumer_claim].get(id) == simdjson::SUCCESS ? consumer_index_.find(id)
                                                                       : consumer_index_.end();
      if (it == consumer_index_.end()) return refuse(ex, Failure::kConsumer);
      ex.set_consumer(o_.consumers[it->second].id);
      ex.set_consumer_tags(tag_views_[it->second]);
    }
    ex.set_scopes({scopes, n});
    return Decision::kContinue;
  }

  Decision refuse(Exchange& ex, Failure f) const noexcept {
    const size_t i = static_cast<size_t>(f);
    if (failures_) failures_->add(i);
    try {
      ex.ctx<Outcome>().challenge = &challenges_[i];
    } catch (...) {
      // no room for the challenge: the status and body still say it
    }
    if (f == Failure::kScope)
      return ex.fail(Status::http(403, "insufficient_scope", std::string(kMessages[i])));
    return ex.fail(Status::http(401, "unauthorized", std::string(kMessages[i])));
  }

  JwtOptions o_;
  std::shared_ptr<AuthFailureState> failures_;   // null until bound
  std::shared_ptr<jwt::JwksFetcher> fetcher_;    // null without jwks_url, or until bound
  std::shared_ptr<const Clock> clock_;
  std::map<std::string_view, size_t, std::less<>> consumer_index_;
  std::vector<std::vector<std::string_view>> tag_views_;
  std::array<std::string, kReasons.size()> challenges_;
};

}  // namespace

PolicyPtr make_jwt(JwtOptions options) {
  return std::make_shared<Jwt>(std::move(options), nullptr, nullptr, SystemClock::instance());
}

}  // namespace apigw::policy
#endif  // APIGW_WITH_TLS
