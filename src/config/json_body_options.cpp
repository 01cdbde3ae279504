// JSON -> options of the json_body policy.
#include "config/policy_options.hpp"
#include "config/syntax.hpp"

namespace apigw::config {

namespace {

constexpr uint64_t kMaxBodyBytesCap = uint64_t{1} << 30;

// A list of JSON pointers; each error names the entry at fault.
std::vector<policy::JsonPointer> read_pointers(ObjectReader& o, std::string_view key) {
  auto texts = o.strings(key);
  if (!texts) return {};
  std::vector<policy::JsonPointer> out;
  for (size_t i = 0; i < texts->size(); ++i) {
    policy::JsonPointer p;
    if (std::string why = policy::parse_json_pointer((*texts)[i], &p); !why.empty())
      o.errors().add(child_pointer(o.child(key), i), quote((*texts)[i]) + ": " + why);
    else
      out.push_back(std::move(p));
  }
  return out;
}

void read_rules(ObjectReader& parent, std::string_view key, policy::JsonRedactRules* rules) {
  auto value = parent.get(key);
  if (!value) return;
  ObjectReader o(parent.errors(), *value, parent.child(key));
  rules->remove = read_pointers(o, "remove");
  rules->mask = read_pointers(o, "mask");
  o.finish();
}

// "type/subtype" as tokens, stored lower case; reports at `pointer`.
bool read_media_type(Errors& errors, std::string& type, const std::string& pointer) {
  const size_t slash = type.find('/');
  if (slash == std::string::npos || !is_token(type.substr(0, slash)) || !is_token(type.substr(slash + 1))) {
    errors.add(pointer, quote(type) + " is not a media type (TYPE/SUBTYPE, e.g. \"application/json\", no parameters)");
    return false;
  }
  for (char& c : type)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return true;
}

}  // namespace

std::optional<policy::JsonBodyOptions> read_json_body_options(ObjectReader& o) {
  using Opts = policy::JsonBodyOptions;
  const size_t before = o.errors().count();
  Opts opts;
  read_rules(o, "request", &opts.request);
  read_rules(o, "response", &opts.response);
  if (o.errors().count() == before && opts.request.empty() && opts.response.empty())
    o.errors().add(o.pointer(), "json_body needs pointers to remove or mask in \"request\" or \"response\"");
  if (auto v = o.uint("max_body_bytes", 1, kMaxBodyBytesCap)) opts.max_body_bytes = *v;
  if (auto on = o.choice("on_overflow", {"pass", "reject"}))
    opts.on_overflow = *on == 0 ? Opts::OnOverflow::kPass : Opts::OnOverflow::kReject;
  if (auto types = o.strings("content_types")) {
    if (types->empty()) o.errors().add(o.child("content_types"), "must not be empty (leave it out for JSON types)");
    for (size_t i = 0; i < types->size(); ++i)
      read_media_type(o.errors(), (*types)[i], child_pointer(o.child("content_types"), i));
    opts.content_types = std::move(*types);
  }
  if (o.errors().count() != before) return std::nullopt;
  return opts;
}

}  // namespace apigw::config
