// JSON -> options of the jwt policy. Keys are loaded here, once: secrets from
// the environment or files, PEM files, the jwks_file. Only jwks_url is left
// to the running policy.
#include "config/did_you_mean.hpp"
#include "config/policy_options.hpp"
#include "config/secrets.hpp"
#include "config/syntax.hpp"

#ifdef APIGW_WITH_TLS
#include "net/http_fetch.hpp"
#include "policy/jwks.hpp"
#endif

namespace apigw::config {

#ifdef APIGW_WITH_TLS
namespace {

namespace jwt = policy::jwt;
constexpr size_t kMaxKeyFile = 1 << 20;

const std::vector<std::string>& alg_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (size_t i = 0; i < jwt::kAlgCount; ++i) n.emplace_back(jwt::alg_name(jwt::Alg(i)));
    return n;
  }();
  return names;
}

std::optional<jwt::Alg> read_alg(Errors& errors, const std::string& name, const std::string& at) {
  if (auto alg = jwt::alg_from_name(name)) return alg;
  errors.add(at, "unknown algorithm " + quote(name) + " (expected one of HS256, HS384, HS512, RS256, RS384, RS512, "
                 "PS256, ES256, ES384)" + did_you_mean(name, alg_names()));
  return std::nullopt;
}

// A string or a list of strings; nullopt when absent or wrong.
std::optional<std::vector<std::string>> read_one_or_many(ObjectReader& o, std::string_view key) {
  auto value = o.get(key);
  if (!value) return std::nullopt;
  if (value->is_string()) {
    auto one = o.string(key);
    if (one && one->empty()) o.errors().add(o.child(key), "must not be empty");
    return one && !one->empty() ? std::optional(std::vector<std::string>{*one}) : std::nullopt;
  }
  auto many = o.strings(key);
  if (many && many->empty()) o.errors().add(o.child(key), "expected a string or a non-empty list of strings");
  return many && !many->empty() ? many : std::nullopt;
}

// {"kid", "alg", "secret" | "secret_env" | "secret_file" | "public_key_pem" | "public_key_file"}
std::optional<jwt::KeyPtr> read_key(LoadContext& ctx, Element item, const std::string& at) {
  ObjectReader o(ctx.errors, item, at);
  if (!o.ok()) return std::nullopt;
  const size_t before = ctx.errors.count();
  std::string kid = o.string("kid").value_or("");
  auto alg_name = o.required_string("alg");
  auto alg = alg_name ? read_alg(ctx.errors, *alg_name, o.child("alg")) : std::nullopt;
  bool secret_given = false;
  auto secret = read_secret(o, "secret", ctx.base_dir, &secret_given);
  auto pem = o.string("public_key_pem");
  auto pem_file = o.string("public_key_file");
  const int sources = secret_given + pem.has_value() + pem_file.has_value();
  if (sources != 1)
    ctx.errors.add(at, "give exactly one of \"secret\", \"secret_env\", \"secret_file\", \"public_key_pem\", "
                       "\"public_key_file\"");
  std::string key_text;
  if (pem_file) {
    std::string path = resolve_path(ctx.base_dir, *pem_file);
    if (std::string why = read_file_to_string(path, &key_text, kMaxKeyFile); !why.empty())
      ctx.errors.add(o.child("public_key_file"), "cannot read " + quote(path) + ": " + why);
  } else if (pem) {
    key_text = *pem;
  }
  o.finish();
  if (ctx.errors.count() != before || !alg) return std::nullopt;
  const jwt::Alg a = alg.value_or(jwt::Alg::kHS256);  // a plain value: GCC 12 misjudges the optional as unset
  const bool hmac = jwt::key_type_of(a) == jwt::KeyType::kOct;
  if (hmac != secret_given) {
    ctx.errors.add(o.child("alg"), *alg_name + (hmac ? " needs a \"secret\" (or secret_env, secret_file)"
                                                     : " needs a public key (public_key_pem or public_key_file)"));
    return std::nullopt;
  }
  auto key = hmac ? jwt::Key::hmac(kid, secret.value_or(""), jwt::alg_bit(a))
                  : jwt::Key::public_key(kid, key_text, jwt::alg_bit(a));
  if (!key) {
    ctx.errors.add(at, std::string(key.status().message()));
    return std::nullopt;
  }
  return key.value();
}

void read_from(ObjectReader& parent, policy::JwtOptions* opts) {
  auto value = parent.get("from");
  if (!value) return;
  ObjectReader o(parent.errors(), *value, parent.child("from"));
  if (!o.ok()) return;
  using From = policy::JwtOptions::From;
  auto header = o.string("header");
  auto query = o.string("query");
  auto cookie = o.string("cookie");
  o.finish();
  if (header.has_value() + query.has_value() + cookie.has_value() != 1) {
    o.errors().add(o.pointer(), "expected exactly one of \"header\", \"query\", \"cookie\"");
    return;
  }
  if (header) {
    if (!is_token(*header)) o.errors().add(o.child("header"), quote(*header) + " is not a valid header name");
    std::string lower = *header;
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    // "Authorization" would be read whole, "Bearer " included: that is the default's job.
    opts->from = lower == "authorization" ? From::kBearer : From::kHeader;
    opts->from_name = lower;
    return;
  }
  const std::string& name = query ? *query : *cookie;
  if (name.empty() || name.find_first_of("&=;#% ") != std::string::npos)
    o.errors().add(o.child(query ? "query" : "cookie"), "expected a name (no '&', '=', ';', '#', '%' or spaces)");
  opts->from = query ? From::kQuery : From::kCookie;
  opts->from_name = name;
}

void read_jwks_file(LoadContext& ctx, ObjectReader& o, policy::JwtOptions* opts) {
  auto file = o.string("jwks_file");
  if (!file) return;
  const std::string at = o.child("jwks_file");
  std::string path = resolve_path(ctx.base_dir, *file);
  std::string text;
  if (std::string why = read_file_to_string(path, &text, kMaxKeyFile); !why.empty()) {
    ctx.errors.add(at, "cannot read " + quote(path) + ": " + why);
    return;
  }
  std::vector<std::string> skipped;
  auto set = jwt::parse_jwks(text, opts->algorithms, &skipped);
  if (!set) {
    ctx.errors.add(at, quote(path) + ": " + std::string(set.status().message()));
    return;
  }
  if (set.value()->keys.empty()) {
    ctx.errors.add(at, quote(path) + " has no usable key" + (skipped.empty() ? "" : " (" + skipped.front() + ")"));
    return;
  }
  opts->keys.insert(opts->keys.end(), set.value()->keys.begin(), set.value()->keys.end());
}

}  // namespace

std::optional<policy::JwtOptions> read_jwt_options(ObjectReader& o, LoadContext& ctx) {
  const size_t before = o.errors().count();
  policy::JwtOptions opts;
  read_from(o, &opts);
  if (auto names = o.strings("algorithms")) {
    opts.algorithms = 0;
    for (size_t i = 0; i < names->size(); ++i)
      if (auto alg = read_alg(o.errors(), (*names)[i], child_pointer(o.child("algorithms"), i)))
        opts.algorithms |= jwt::alg_bit(*alg);
    if (names->empty()) o.errors().add(o.child("algorithms"), "expected at least one algorithm");
  }
  if (auto keys = o.get("keys")) {
    if (auto items = as_array(o.errors(), *keys, o.child("keys"))) {
      size_t i = 0;
      for (Element item : *items)
        if (auto key = read_key(ctx, item, child_pointer(o.child("keys"), i++))) opts.keys.push_back(std::move(*key));
    }
  }
  read_jwks_file(ctx, o, &opts);
  if (auto url = o.string("jwks_url")) {
    if (auto parsed = net::parse_http_url(*url, "jwks_url"); !parsed)
      o.errors().add(o.child("jwks_url"), std::string(parsed.status().message()));
    opts.jwks_url = *url;
  }
  constexpr uint64_t kDay = 86400000;
  if (auto v = o.uint("jwks_refresh_ms", 1000, kDay)) opts.jwks_refresh_ms = static_cast<int64_t>(*v);
  if (auto v = o.uint("jwks_min_refresh_ms", 0, kDay)) opts.jwks_min_refresh_ms = static_cast<int64_t>(*v);
  if (auto v = o.uint("jwks_timeout_ms", 1, 60000)) opts.jwks_timeout_ms = static_cast<int64_t>(*v);
  if (auto v = o.uint("leeway_ms", 0, kDay)) opts.leeway_ms = static_cast<int64_t>(*v);
  if (auto b = o.boolean("require_exp")) opts.require_exp = *b;
  if (auto v = read_one_or_many(o, "issuer")) opts.issuers = std::move(*v);
  if (auto v = read_one_or_many(o, "audience")) opts.audiences = std::move(*v);
  if (auto v = o.strings("required_scopes")) {
    for (size_t i = 0; i < v->size(); ++i)
      if ((*v)[i].empty() || (*v)[i].find_first_of(" \"\\") != std::string::npos)
        o.errors().add(child_pointer(o.child("required_scopes"), i), "a scope holds no spaces, quotes or backslashes");
    opts.required_scopes = std::move(*v);
  }
  if (auto claim = o.string("consumer_claim")) {
    if (claim->empty()) o.errors().add(o.child("consumer_claim"), "must not be empty");
    else if (ctx.consumers.empty())
      o.errors().add(o.child("consumer_claim"), "maps tokens to consumers, but \"consumers\" declares none");
    opts.consumer_claim = *claim;
    opts.consumers = ctx.consumers;
  }
  if (o.errors().count() == before && opts.keys.empty() && opts.jwks_url.empty())
    o.errors().add(o.pointer(), "needs keys: \"keys\", \"jwks_file\" or \"jwks_url\"");
  if (o.errors().count() != before) return std::nullopt;
  return opts;
}

#else

std::optional<policy::JwtOptions> read_jwt_options(ObjectReader& o, LoadContext&) {
  o.errors().add(o.child("type"), "jwt needs mbedTLS, which is not in this build (APIGW_WITH_TLS=OFF)");
  return std::nullopt;
}

#endif  // APIGW_WITH_TLS

}  // namespace apigw::config
