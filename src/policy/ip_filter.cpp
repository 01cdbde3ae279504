// ip_filter: allow/deny lists of CIDR blocks; 403 otherwise.
//
// Behind trusted proxies the client is found as nginx's real_ip_recursive
// does: X-Forwarded-For is walked from the right, skipping trusted hops; the
// first untrusted address is the client. An entry that is not an address
// ends the walk at the last trusted hop. Request::client_ip is left as the
// socket peer (the upstream's X-Forwarded-For appends it).
#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"

namespace apigw::policy {
namespace {

bool in_any(const std::vector<Cidr>& list, const IpAddress& ip) noexcept {
  for (const Cidr& c : list)
    if (c.contains(ip)) return true;
  return false;
}

class IpFilter final : public Policy {
 public:
  explicit IpFilter(IpFilterOptions o) : o_(std::move(o)) {}
  std::string_view type() const noexcept override { return "ip_filter"; }

  Decision on_request(Exchange& ex) const noexcept override {
    IpAddress client;
    // An address the socket layer could not name cannot be judged: fail closed.
    if (!parse_ip(ex.request().client_ip, &client)) return forbid(ex);
    if (in_any(o_.trusted_proxies, client)) client = forwarded_client(ex.request().headers, client);
    if (in_any(o_.deny, client) || (!o_.allow.empty() && !in_any(o_.allow, client))) return forbid(ex);
    return Decision::kContinue;
  }

 private:
  static Decision forbid(Exchange& ex) {
    return ex.fail(Status::http(403, "forbidden", "the client address may not use this route"));
  }

  // Every X-Forwarded-For field, last field first, each from its right end.
  IpAddress forwarded_client(const HeaderMap& headers, IpAddress hop) const noexcept {
    for (auto it = headers.end(); it != headers.begin();) {
      --it;
      if (!iequals(it->name, "x-forwarded-for")) continue;
      std::string_view list = it->value;
      while (!list.empty()) {
        size_t comma = list.rfind(',');
        std::string_view entry = comma == std::string_view::npos ? list : list.substr(comma + 1);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
        IpAddress ip;
        if (!parse_ip(entry, &ip)) return hop;
        if (!in_any(o_.trusted_proxies, ip)) return ip;
        hop = ip;
      }
    }
    return hop;  // every hop trusted: the left-most one
  }

  IpFilterOptions o_;
};

}  // namespace

PolicyPtr make_ip_filter(IpFilterOptions options) { return std::make_shared<IpFilter>(std::move(options)); }

}  // namespace apigw::policy
