// JSON -> options of the access policies: api_key, acl, ip_filter, size_limit.
#include "config/did_you_mean.hpp"
#include "config/policy_options.hpp"
#include "config/syntax.hpp"

namespace apigw::config {

namespace {

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// A list of CIDR blocks; each bad one reported at its index.
std::vector<policy::Cidr> read_cidrs(ObjectReader& o, std::string_view key) {
  std::vector<policy::Cidr> out;
  auto value = o.get(key);
  if (!value) return out;
  auto items = as_array(o.errors(), *value, o.child(key));
  if (!items) return out;
  size_t i = 0;
  for (Element item : *items) {
    const std::string at = child_pointer(o.child(key), i++);
    auto text = as_string(o.errors(), item, at);
    if (!text) continue;
    policy::Cidr c;
    if (std::string why = policy::parse_cidr(*text, &c); !why.empty()) o.errors().add(at, quote(*text) + ": " + why);
    else out.push_back(c);
  }
  return out;
}

// Names an acl list gives: each must be known when the consumers section
// declares any (a jwt consumer_claim may name consumers not listed there).
void check_known(ObjectReader& o, std::string_view key, const std::vector<std::string>& names,
                 const std::set<std::string>& known, std::string_view what) {
  if (known.empty()) return;
  for (size_t i = 0; i < names.size(); ++i)
    if (!known.count(names[i]))
      o.errors().add(child_pointer(o.child(key), i),
                     "unknown " + std::string(what) + " " + quote(names[i]) + did_you_mean(names[i], known));
}

void read_acl_rules(ObjectReader& parent, std::string_view key, const LoadContext& ctx, policy::AclRules* rules) {
  auto value = parent.get(key);
  if (!value) return;
  ObjectReader o(parent.errors(), *value, parent.child(key));
  if (auto v = o.strings("consumers")) {
    check_known(o, "consumers", *v, ctx.consumer_ids, "consumer");
    rules->consumers = std::move(*v);
  }
  if (auto v = o.strings("tags")) {
    check_known(o, "tags", *v, ctx.consumer_tags, "tag");
    rules->tags = std::move(*v);
  }
  if (auto v = o.strings("scopes")) rules->scopes = std::move(*v);
  if (auto v = o.strings("client_subjects")) rules->client_subjects = std::move(*v);
  o.finish();
}

}  // namespace

std::optional<policy::ApiKeyOptions> read_api_key_options(ObjectReader& o, const LoadContext& ctx) {
  const size_t before = o.errors().count();
  policy::ApiKeyOptions opts;
  auto header = o.string("header");
  auto query = o.string("query");
  if (header) {
    if (is_token(*header)) opts.header = lower(*header);
    else o.errors().add(o.child("header"), quote(*header) + " is not a valid header name");
  } else if (query) {
    opts.header.clear();  // only the query was asked for
  }
  if (query) {
    if (query->empty() || query->find_first_of("&=#% ") != std::string::npos)
      o.errors().add(o.child("query"), "expected a query parameter name (no '&', '=', '#', '%' or spaces)");
    opts.query = *query;
  }
  if (auto b = o.boolean("hide_credentials")) opts.hide_credentials = *b;
  bool any_key = false;
  for (const auto& c : ctx.consumers) any_key = any_key || !c.api_keys.empty();
  if (!any_key) o.errors().add(o.pointer(), "no consumer has api_keys: add them in \"consumers\"");
  opts.consumers = ctx.consumers;
  if (o.errors().count() != before) return std::nullopt;
  return opts;
}

std::optional<policy::AclOptions> read_acl_options(ObjectReader& o, const LoadContext& ctx) {
  const size_t before = o.errors().count();
  policy::AclOptions opts;
  read_acl_rules(o, "allow", ctx, &opts.allow);
  read_acl_rules(o, "deny", ctx, &opts.deny);
  if (opts.allow.empty() && opts.deny.empty() && o.errors().count() == before)
    o.errors().add(o.pointer(), "needs \"allow\" or \"deny\" with consumers, tags, scopes or client_subjects");
  if (o.errors().count() != before) return std::nullopt;
  return opts;
}

std::optional<policy::IpFilterOptions> read_ip_filter_options(ObjectReader& o) {
  const size_t before = o.errors().count();
  policy::IpFilterOptions opts;
  opts.allow = read_cidrs(o, "allow");
  opts.deny = read_cidrs(o, "deny");
  opts.trusted_proxies = read_cidrs(o, "trusted_proxies");
  if (!o.has("allow") && !o.has("deny")) o.errors().add(o.pointer(), "needs \"allow\" or \"deny\"");
  if (o.errors().count() != before) return std::nullopt;
  return opts;
}

std::optional<policy::SizeLimitOptions> read_size_limit_options(ObjectReader& o) {
  policy::SizeLimitOptions opts;
  auto max = o.uint("max_body_bytes", 0, uint64_t{1} << 50);
  if (!max) {
    if (!o.has("max_body_bytes")) o.missing("max_body_bytes");
    return std::nullopt;
  }
  opts.max_body_bytes = *max;
  return opts;
}

}  // namespace apigw::config
