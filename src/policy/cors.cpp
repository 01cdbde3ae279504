// cors: CORS headers for allowed origins, and preflights answered here.
//
// A preflight (OPTIONS with Origin and Access-Control-Request-Method) gets
// 204 from the gateway and never reaches the target; the router sends it to
// the route serving the method it asks about, so routes need not list
// OPTIONS (src/core/flow.cpp). Disallowed origins, methods or headers get a
// 204 without CORS headers: the browser then refuses the request. Every
// answer carries Vary: Origin, since it depends on the Origin header. CORS
// headers from the target are replaced (or removed): the policy decides.
#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"

namespace apigw::policy {
namespace {

bool is_preflight(const Request& r) noexcept {
  return r.method == "OPTIONS" && r.headers.has("origin") && r.headers.has("access-control-request-method");
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool starts_with_ci(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && iequals(s.substr(0, p.size()), p);
}
bool ends_with_ci(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && iequals(s.substr(s.size() - p.size()), p);
}

// One entry of `origins`, split once at construction.
struct OriginRule {
  bool any = false;
  std::string exact;   // "https://app.example.com"
  std::string scheme;  // wildcard: "https://"
  std::string suffix;  // wildcard: ".example.com" or ".example.com:8443"

  explicit OriginRule(const std::string& pattern) {
    size_t star = pattern.find("://*.");
    if (pattern == "*") any = true;
    else if (star == std::string::npos) exact = pattern;
    else {
      scheme = pattern.substr(0, star + 3);
      suffix = pattern.substr(star + 4);
    }
  }

  bool matches(std::string_view origin) const noexcept {
    if (any) return true;
    if (!exact.empty()) return iequals(origin, exact);
    if (!starts_with_ci(origin, scheme) || !ends_with_ci(origin, suffix)) return false;
    // The part the star stands for: one or more host labels.
    if (origin.size() <= scheme.size() + suffix.size()) return false;
    std::string_view sub = origin.substr(scheme.size(), origin.size() - scheme.size() - suffix.size());
    if (sub.front() == '.' || sub.back() == '.') return false;
    for (char c : sub) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
      if (!ok) return false;
    }
    return true;
  }
};

constexpr std::string_view kAnswerHeaders[] = {
    "access-control-allow-origin",  "access-control-allow-credentials", "access-control-expose-headers",
    "access-control-allow-methods", "access-control-allow-headers",     "access-control-max-age"};

class Cors final : public Policy {
 public:
  explicit Cors(CorsOptions o)
      : o_(std::move(o)),
        methods_(join(o_.methods)),
        headers_(join(o_.headers)),
        expose_(join(o_.expose_headers)),
        max_age_(o_.max_age_s >= 0 ? std::to_string(o_.max_age_s) : "") {
    for (const auto& origin : o_.origins) {
      rules_.emplace_back(origin);
      any_ = any_ || rules_.back().any;
    }
  }
  std::string_view type() const noexcept override { return "cors"; }

  Decision on_request(Exchange& ex) const noexcept override {
    const Request& r = ex.request();
    if (!is_preflight(r)) return Decision::kContinue;
    ex.respond(204, {}, {});
    HeaderMap& h = ex.response().headers;
    h.add_view("vary", "Origin");
    std::string_view origin = r.headers.get("origin");
    std::string_view asked_headers = r.headers.get("access-control-request-headers");
    if (!allowed(origin) || !method_allowed(r.headers.get("access-control-request-method")) ||
        !headers_allowed(asked_headers))
      return Decision::kRespond;
    add_origin(h, origin);
    h.add_view("access-control-allow-methods", methods_);
    if (!o_.headers.empty()) h.add_view("access-control-allow-headers", headers_);
    else if (!asked_headers.empty()) h.add_view("access-control-allow-headers", asked_headers);
    if (!max_age_.empty()) h.add_view("access-control-max-age", max_age_);
    return Decision::kRespond;
  }

  Decision on_response(Exchange& ex) const noexcept override {
    const Request& r = ex.request();
    if (is_preflight(r)) return Decision::kContinue;  // answered in on_request
    HeaderMap& h = ex.response().headers;
    // The gateway owns CORS on this route: an upstream's own headers must not
    // let through an origin the policy refuses.
    for (std::string_view name : kAnswerHeaders) h.remove(name);
    add_vary_origin(h);
    std::string_view origin = r.headers.get("origin");
    if (!r.headers.has("origin") || !allowed(origin)) return Decision::kContinue;
    add_origin(h, origin);
    if (!expose_.empty()) h.add_view("access-control-expose-headers", expose_);
    return Decision::kContinue;
  }

 private:
  bool allowed(std::string_view origin) const noexcept {
    for (const auto& rule : rules_)
      if (rule.matches(origin)) return true;
    return false;
  }

  bool method_allowed(std::string_view method) const noexcept {
    for (const auto& m : o_.methods)
      if (m == method) return true;
    return false;
  }

  // Each name of the comma list must be configured (any when none are).
  bool headers_allowed(std::string_view asked) const noexcept {
    if (o_.headers.empty()) return true;
    while (!asked.empty()) {
      size_t comma = asked.find(',');
      std::string_view name = trim(asked.substr(0, comma));
      bool found = name.empty();
      for (const auto& allowed : o_.headers) found = found || iequals(allowed, name);
      if (!found) return false;
      if (comma == std::string_view::npos) break;
      asked.remove_prefix(comma + 1);
    }
    return true;
  }

  // "*" only when any origin may read without credentials; otherwise the
  // origin itself (browsers refuse "*" with credentials).
  // The answer holds no CORS headers yet (removed, or a fresh 204), and every
  // value lives as long as the exchange (config or request header): no copies.
  void add_origin(HeaderMap& h, std::string_view origin) const {
    h.add_view("access-control-allow-origin", any_ && !o_.credentials ? std::string_view("*") : origin);
    if (o_.credentials) h.add_view("access-control-allow-credentials", "true");
  }

  static void add_vary_origin(HeaderMap& h) {
    for (const Header& f : h) {
      if (!iequals(f.name, "vary")) continue;
      std::string_view list = f.value;
      while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view item = trim(list.substr(0, comma));
        if (iequals(item, "origin") || item == "*") return;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
    h.add_view("vary", "Origin");
  }

  CorsOptions o_;
  std::string methods_, headers_, expose_, max_age_;
  std::vector<OriginRule> rules_;
  bool any_ = false;
};

}  // namespace

PolicyPtr make_cors(CorsOptions options) { return std::make_shared<Cors>(std::move(options)); }

}  // namespace apigw::policy
