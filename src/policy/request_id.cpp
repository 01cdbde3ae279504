// request_id: every request gets an id, kept from a trusted client or made here.
#include <random>

#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"

namespace apigw::policy {
namespace {

bool well_formed(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
              c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// 128 random bits as 32 hex digits; one generator per thread, no locks.
void make_id(char out[32]) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char kHex[] = "0123456789abcdef";
  for (int half = 0; half < 2; ++half) {
    uint64_t v = rng();
    for (int i = 0; i < 16; ++i) out[half * 16 + i] = kHex[(v >> (i * 4)) & 15];
  }
}

class RequestId final : public Policy {
 public:
  explicit RequestId(RequestIdOptions o) : o_(std::move(o)) {}
  std::string_view type() const noexcept override { return "request_id"; }

  Decision on_request(Exchange& ex) const noexcept override {
    std::string_view incoming = ex.request().headers.get(o_.header);
    if (o_.trust_incoming && well_formed(incoming)) {
      ex.set_request_id(incoming);
    } else {
      char id[32];
      make_id(id);
      ex.set_request_id({id, sizeof id});
      ex.request().headers.set(o_.header, ex.request_id());
    }
    return Decision::kContinue;
  }

  Decision on_response(Exchange& ex) const noexcept override {
    if (o_.echo_in_response && !ex.request_id().empty()) ex.response().headers.set(o_.header, ex.request_id());
    return Decision::kContinue;
  }

 private:
  RequestIdOptions o_;
};

}  // namespace

PolicyPtr make_request_id(RequestIdOptions options) { return std::make_shared<RequestId>(std::move(options)); }

}  // namespace apigw::policy
