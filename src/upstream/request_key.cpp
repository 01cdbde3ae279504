#include "upstream/request_key.hpp"

#include "upstream/balancer.hpp"

namespace apigw::upstream {
namespace {

// The Cookie header's value for `name`, or "".
std::string_view cookie_value(std::string_view cookies, std::string_view name) {
  while (!cookies.empty()) {
    size_t semi = cookies.find(';');
    std::string_view pair = cookies.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    if (semi == std::string_view::npos) break;
    cookies.remove_prefix(semi + 1);
  }
  return {};
}

}  // namespace

uint64_t request_key_hash(const Request& r, const HashOn& on) {
  switch (on.kind) {
    case HashOn::Kind::kIp: return hash_key(r.client_ip);
    case HashOn::Kind::kPath: return hash_key(r.path);
    case HashOn::Kind::kHeader: return hash_key(r.headers.get(on.name));
    case HashOn::Kind::kCookie: return hash_key(cookie_value(r.headers.get("cookie"), on.name));
  }
  return 0;
}

}  // namespace apigw::upstream
