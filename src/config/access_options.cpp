// JSON -> options of the access policies: ip_filter.
#include "config/policy_options.hpp"

namespace apigw::config {

namespace {

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

}  // namespace

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

}  // namespace apigw::config
