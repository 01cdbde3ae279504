// headers: set/add/remove/rename on the request and the response.
#include "apigw/exchange.hpp"
#include "core/placeholders.hpp"
#include "policy/builtin.hpp"

namespace apigw::policy {
namespace {

// Values may use {param}, {consumer} and {request_id}; unknown names stay as written.
std::string_view expand(Exchange& ex, std::string_view tmpl) {
  if (tmpl.find('{') == std::string_view::npos) return tmpl;
  std::pmr::string out(&ex.arena());
  expand_placeholders(out, tmpl, ex, /*exchange_values=*/true);
  return ex.arena().dup(out);
}

void apply(Exchange& ex, HeaderMap& headers, const HeaderOps& ops) {
  for (const auto& name : ops.remove) headers.remove(name);
  for (const auto& [from, to] : ops.rename) headers.rename(from, to);
  for (const auto& [name, value] : ops.set) headers.set(name, expand(ex, value));
  for (const auto& [name, value] : ops.add) headers.add(name, expand(ex, value));
}

class Headers final : public Policy {
 public:
  explicit Headers(HeadersOptions o) : o_(std::move(o)) {}
  std::string_view type() const noexcept override { return "headers"; }

  Decision on_request(Exchange& ex) const noexcept override {
    apply(ex, ex.request().headers, o_.request);
    return Decision::kContinue;
  }
  Decision on_response(Exchange& ex) const noexcept override {
    apply(ex, ex.response().headers, o_.response);
    return Decision::kContinue;
  }

 private:
  HeadersOptions o_;
};

}  // namespace

PolicyPtr make_headers(HeadersOptions options) { return std::make_shared<Headers>(std::move(options)); }

}  // namespace apigw::policy
