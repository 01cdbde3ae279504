// The bucket key of a request for rate_limit: one part (ip, route, consumer,
// header:NAME, host:NAME) or several joined, without a heap allocation.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "apigw/exchange.hpp"
#include "apigw/gateway.hpp"
#include "policy/builtin.hpp"

namespace apigw::policy {

class RateLimitKey {
 public:
  static constexpr size_t kMaxParts = 8;

  // `functions` has one entry per part: the host function of a kHost part.
  RateLimitKey(std::vector<RateLimitKeyPart> parts, std::vector<RateLimitKeyFunction> functions);

  // The key, or nullopt when a part has no value in this request. Views
  // point into the request or the exchange's arena.
  std::optional<std::string_view> of(Exchange& ex) const noexcept;

 private:
  std::string_view part(size_t i, Exchange& ex) const noexcept;

  std::vector<RateLimitKeyPart> parts_;
  std::vector<RateLimitKeyFunction> functions_;
};

}  // namespace apigw::policy
