#include "config/policy_options.hpp"

#include "config/did_you_mean.hpp"
#include "config/syntax.hpp"

namespace apigw::config {

namespace {

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// A header name; reports at `pointer`.
bool check_header_name(Errors& errors, const std::string& name, const std::string& pointer) {
  if (is_token(name)) return true;
  errors.add(pointer, quote(name) + " is not a valid header name");
  return false;
}

// The gateway frames messages itself: a policy that wrote these would make
// a message whose length two parties read differently (request smuggling).
bool check_not_framing(Errors& errors, const std::string& name, const std::string& pointer) {
  std::string n = lower(name);
  if (n != "content-length" && n != "transfer-encoding") return true;
  errors.add(pointer, quote(name) + " is set by the gateway; a policy may not write it");
  return false;
}

// An object of header name -> value (set, add) or name -> new name (rename).
StringPairs read_header_pairs(ObjectReader& o, std::string_view key, bool values_are_names) {
  auto pairs = o.string_map(key);
  if (!pairs) return {};
  const std::string at = o.child(key);
  for (const auto& [name, value] : *pairs) {
    const std::string entry = child_pointer(at, name);
    if (check_header_name(o.errors(), name, entry)) check_not_framing(o.errors(), name, entry);
    if (values_are_names) {
      if (check_header_name(o.errors(), value, entry)) check_not_framing(o.errors(), value, entry);
    } else if (!is_field_value(value)) {
      o.errors().add(entry, "value holds control characters");
    }
  }
  return *pairs;
}

void read_header_ops(ObjectReader& parent, std::string_view key, policy::HeaderOps* ops) {
  auto value = parent.get(key);
  if (!value) return;
  ObjectReader o(parent.errors(), *value, parent.child(key));
  ops->set = read_header_pairs(o, "set", false);
  ops->add = read_header_pairs(o, "add", false);
  ops->rename = read_header_pairs(o, "rename", true);
  if (auto remove = o.strings("remove")) {
    for (size_t i = 0; i < remove->size(); ++i)
      check_header_name(o.errors(), (*remove)[i], child_pointer(o.child("remove"), i));
    ops->remove = std::move(*remove);
  }
  o.finish();
}

// "ip", "route", "consumer", "header:NAME" or "host:NAME"; reports at `pointer`.
std::optional<policy::RateLimitKeyPart> read_key_part(Errors& errors, const std::string& text,
                                                      const std::string& pointer) {
  using Kind = policy::RateLimitKeyPart::Kind;
  if (text == "ip") return policy::RateLimitKeyPart{Kind::kIp, ""};
  if (text == "route") return policy::RateLimitKeyPart{Kind::kRoute, ""};
  if (text == "consumer") return policy::RateLimitKeyPart{Kind::kConsumer, ""};
  if (text.rfind("header:", 0) == 0 && is_token(text.substr(7)))
    return policy::RateLimitKeyPart{Kind::kHeader, lower(text.substr(7))};
  if (text.rfind("host:", 0) == 0 && text.size() > 5) return policy::RateLimitKeyPart{Kind::kHost, text.substr(5)};
  errors.add(pointer, "expected \"ip\", \"route\", \"consumer\", \"header:NAME\" or \"host:NAME\", got " +
                          quote(text) + did_you_mean(text, {"ip", "route", "consumer"}));
  return std::nullopt;
}

// "key": one part, or an array of 1..8 parts (one bucket per combination).
void read_rate_limit_key(ObjectReader& o, std::vector<policy::RateLimitKeyPart>* key) {
  auto value = o.get("key");
  if (!value) return;
  const std::string at = o.child("key");
  if (value->is_string()) {
    if (auto text = o.string("key"))
      if (auto part = read_key_part(o.errors(), *text, at)) *key = {*part};
    return;
  }
  auto texts = o.strings("key");
  if (!texts) return;
  if (texts->empty() || texts->size() > 8) {
    o.errors().add(at, "expected 1..8 key parts");
    return;
  }
  key->clear();
  for (size_t i = 0; i < texts->size(); ++i)
    if (auto part = read_key_part(o.errors(), (*texts)[i], child_pointer(at, i))) key->push_back(*part);
}

}  // namespace

std::optional<policy::RequestIdOptions> read_request_id_options(ObjectReader& o) {
  const size_t before = o.errors().count();
  policy::RequestIdOptions opts;
  if (auto header = o.string("header"))
    if (check_header_name(o.errors(), *header, o.child("header"))) opts.header = lower(*header);
  if (auto b = o.boolean("trust_incoming")) opts.trust_incoming = *b;
  if (auto b = o.boolean("echo_in_response")) opts.echo_in_response = *b;
  if (o.errors().count() != before) return std::nullopt;
  return opts;
}

std::optional<policy::HeadersOptions> read_headers_options(ObjectReader& o) {
  const size_t before = o.errors().count();
  policy::HeadersOptions opts;
  read_header_ops(o, "request", &opts.request);
  read_header_ops(o, "response", &opts.response);
  if (o.errors().count() != before) return std::nullopt;
  return opts;
}

std::optional<policy::RateLimitOptions> read_rate_limit_options(ObjectReader& o, const std::string& name) {
  using Opts = policy::RateLimitOptions;
  constexpr uint64_t kMaxCount = 1000000000;           // requests per window
  constexpr uint64_t kMaxWindowMs = 366ULL * 86400000;  // a year
  const size_t before = o.errors().count();
  Opts opts;
  opts.name = name;

  read_rate_limit_key(o, &opts.key);
  if (auto missing = o.choice("missing_key", {"shared", "deny"}))
    opts.missing_key = *missing == 0 ? Opts::MissingKey::kShared : Opts::MissingKey::kDeny;
  if (auto v = o.uint("max_keys", 1, 100000000)) opts.max_keys = *v;
  if (auto v = o.uint("limit", 1, kMaxCount)) opts.limit = *v;
  else if (!o.has("limit")) o.missing("limit");
  if (auto v = o.uint("window_ms", 1, kMaxWindowMs)) opts.window_ms = *v;
  else if (!o.has("window_ms")) o.missing("window_ms");
  if (auto v = o.uint("burst", 0, kMaxCount)) opts.burst = *v;
  if (auto store = o.choice("store", {"local", "redis"}); store == 1u) {
#ifdef APIGW_WITH_REDIS
    opts.store = Opts::Store::kRedis;
#else
    o.errors().add(o.child("store"), "the redis store is not in this build (APIGW_WITH_REDIS=OFF)");
#endif
  }
  if (auto on_error = o.choice("on_store_error", {"allow", "deny"})) opts.fail_open = *on_error == 0;
  if (auto mode = o.choice("headers", {"legacy", "ietf", "none"})) {
    const Opts::HeadersMode modes[] = {Opts::HeadersMode::kLegacy, Opts::HeadersMode::kIetf,
                                       Opts::HeadersMode::kNone};
    opts.headers = modes[*mode];
  }
  if (o.errors().count() != before) return std::nullopt;
  return opts;
}

}  // namespace apigw::config

namespace apigw::config {

std::optional<policy::QuotaOptions> read_quota_options(ObjectReader& o, const std::string& name) {
  using Opts = policy::QuotaOptions;
  const size_t before = o.errors().count();
  Opts opts;
  opts.name = name;
#ifndef APIGW_WITH_REDIS
  o.errors().add(o.child("type"), "quota needs Redis, which is not in this build (APIGW_WITH_REDIS=OFF)");
#endif
  if (auto period = o.choice("period", {"day", "month"})) opts.period = *period == 0 ? Opts::Period::kDay : Opts::Period::kMonth;
  else if (!o.has("period")) o.missing("period");
  if (auto v = o.uint("limit", 1, 1000000000000ULL)) opts.limit = *v;
  else if (!o.has("limit")) o.missing("limit");
  read_rate_limit_key(o, &opts.key);
  if (auto missing = o.choice("missing_key", {"shared", "deny"}))
    opts.missing_key = *missing == 0 ? policy::RateLimitOptions::MissingKey::kShared
                                     : policy::RateLimitOptions::MissingKey::kDeny;
  if (auto on_error = o.choice("on_store_error", {"allow", "deny"})) opts.fail_open = *on_error == 0;
  if (o.errors().count() != before) return std::nullopt;
  return opts;
}

}  // namespace apigw::config
