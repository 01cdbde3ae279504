#include "admin/bearer_token.hpp"

#include "apigw/exchange.hpp"
#include "apigw/status.hpp"

namespace apigw::admin {

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

namespace {

class BearerToken final : public Policy {
 public:
  explicit BearerToken(std::string token) : expected_("Bearer " + std::move(token)) {}
  std::string_view type() const noexcept override { return "admin_token"; }

  Decision on_request(Exchange& ex) const noexcept override {
    if (constant_time_equal(ex.request().headers.get("authorization"), expected_)) return Decision::kContinue;
    return ex.fail(Status::http(401, "unauthorized", "the admin API needs Authorization: Bearer TOKEN"));
  }

  // The error answer is made after on_request: the challenge is added here.
  Decision on_response(Exchange& ex) const noexcept override {
    if (ex.failure().reason() == "unauthorized")
      ex.response().headers.set("www-authenticate", "Bearer realm=\"apigw-admin\"");
    return Decision::kContinue;
  }

 private:
  std::string expected_;
};

}  // namespace

PolicyPtr make_bearer_token(std::string token) { return std::make_shared<BearerToken>(std::move(token)); }

}  // namespace apigw::admin
