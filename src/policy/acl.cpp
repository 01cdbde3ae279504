// acl: allow/deny by consumer id, consumer tag, scope or verified client
// certificate subject; 403 otherwise. Runs after whatever set the identity:
// an authentication policy (api_key, jwt) or the TLS listener (client_auth).
#include <algorithm>

#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"

namespace apigw::policy {
namespace {

bool contains(const std::vector<std::string>& list, std::string_view s) noexcept {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool any_in(const std::vector<std::string>& list, std::span<const std::string_view> values) noexcept {
  for (std::string_view v : values)
    if (contains(list, v)) return true;
  return false;
}

bool matches(const AclRules& rules, const Exchange& ex) noexcept {
  std::string_view subject = ex.request().client_cert_subject;
  return (!ex.consumer().empty() && contains(rules.consumers, ex.consumer())) ||
         any_in(rules.tags, ex.consumer_tags()) || any_in(rules.scopes, ex.scopes()) ||
         (!subject.empty() && contains(rules.client_subjects, subject));
}

class Acl final : public Policy {
 public:
  explicit Acl(AclOptions o) : o_(std::move(o)) {}
  std::string_view type() const noexcept override { return "acl"; }

  Decision on_request(Exchange& ex) const noexcept override {
    if (ex.consumer().empty() && ex.scopes().empty() && ex.request().client_cert_subject.empty())
      return ex.fail(Status::http(403, "forbidden", "no authenticated consumer"));
    if (matches(o_.deny, ex) || (!o_.allow.empty() && !matches(o_.allow, ex)))
      return ex.fail(Status::http(403, "forbidden", "the consumer may not use this route"));
    return Decision::kContinue;
  }

 private:
  AclOptions o_;
};

}  // namespace

PolicyPtr make_acl(AclOptions options) { return std::make_shared<Acl>(std::move(options)); }

}  // namespace apigw::policy
