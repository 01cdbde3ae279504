// JSON -> options of the cors policy.
#include "config/policy_options.hpp"
#include "config/syntax.hpp"

namespace apigw::config {

namespace {

// "*", "scheme://host[:port]" or "scheme://*.domain[:port]"; "" when fine.
std::string check_origin(const std::string& origin) {
  if (origin == "*") return "";
  size_t sep = origin.find("://");
  if (sep == std::string::npos || sep == 0) return "expected \"*\" or SCHEME://HOST[:PORT]";
  for (size_t i = 0; i < sep; ++i) {
    char c = origin[i];
    bool ok = (c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok) return "the scheme must be lower case letters (e.g. https)";
  }
  std::string rest = origin.substr(sep + 3);
  if (rest.find('/') != std::string::npos) return "an origin has no path (not even a trailing '/')";
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']') == std::string::npos) {
    std::string port = rest.substr(colon + 1);
    bool digits = !port.empty() && port.size() <= 5 && port.front() != '0';
    for (char c : port) digits = digits && c >= '0' && c <= '9';
    if (!digits || std::stoul(port) > 65535) return "invalid port";
    rest.resize(colon);
  }
  for (char c : rest)
    if (c >= 'A' && c <= 'Z') return "write the host in lower case, as browsers send it";
  if (std::string why = check_host(rest); !why.empty()) return "host " + why;
  return "";
}

std::vector<std::string> read_tokens(ObjectReader& o, std::string_view key, bool upper) {
  auto list = o.strings(key);
  if (!list) return {};
  for (size_t i = 0; i < list->size(); ++i) {
    std::string& s = (*list)[i];
    if (!is_token(s)) o.errors().add(child_pointer(o.child(key), i), quote(s) + " is not a valid name");
    if (upper)
      for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return std::move(*list);
}

}  // namespace

std::optional<policy::CorsOptions> read_cors_options(ObjectReader& o) {
  const size_t before = o.errors().count();
  policy::CorsOptions opts;
  if (auto origins = o.strings("origins")) {
    if (origins->empty()) o.errors().add(o.child("origins"), "must not be empty");
    for (size_t i = 0; i < origins->size(); ++i)
      if (std::string why = check_origin((*origins)[i]); !why.empty())
        o.errors().add(child_pointer(o.child("origins"), i), quote((*origins)[i]) + ": " + why);
    opts.origins = std::move(*origins);
  } else if (!o.has("origins")) {
    o.missing("origins");
  }
  if (o.has("methods")) opts.methods = read_tokens(o, "methods", true);
  opts.headers = read_tokens(o, "headers", false);
  opts.expose_headers = read_tokens(o, "expose_headers", false);
  if (auto b = o.boolean("credentials")) opts.credentials = *b;
  if (auto v = o.uint("max_age_s", 0, 86400 * 7)) opts.max_age_s = static_cast<int64_t>(*v);
  if (o.errors().count() != before) return std::nullopt;
  return opts;
}

}  // namespace apigw::config
