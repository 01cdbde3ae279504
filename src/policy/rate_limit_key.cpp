#include "policy/rate_limit_key.hpp"

#include <cstring>

namespace apigw::policy {

RateLimitKey::RateLimitKey(std::vector<RateLimitKeyPart> parts, std::vector<RateLimitKeyFunction> functions)
    : parts_(std::move(parts)), functions_(std::move(functions)) {
  if (parts_.empty()) parts_.push_back({});
  if (parts_.size() > kMaxParts) parts_.resize(kMaxParts);  // the config allows no more
  functions_.resize(parts_.size());
}

std::string_view RateLimitKey::part(size_t i, Exchange& ex) const noexcept {
  using Kind = RateLimitKeyPart::Kind;
  switch (parts_[i].kind) {
    case Kind::kIp: return ex.request().client_ip;
    case Kind::kRoute: return ex.route().name;
    case Kind::kConsumer: return ex.consumer();
    case Kind::kHeader: return ex.request().headers.get(parts_[i].name);
    case Kind::kHost:
      // A host function that throws gives no key, never an escaped exception.
      try {
        return functions_[i] ? functions_[i](ex) : std::string_view();
      } catch (...) {
        return {};
      }
  }
  return {};
}

std::optional<std::string_view> RateLimitKey::of(Exchange& ex) const noexcept {
  if (parts_.size() == 1) {
    std::string_view v = part(0, ex);
    if (v.empty()) return std::nullopt;
    return v;
  }
  // Parts joined by '\n', which no header value, address or name holds.
  std::string_view values[kMaxParts];
  size_t total = parts_.size() - 1;
  for (size_t i = 0; i < parts_.size(); ++i) {
    values[i] = part(i, ex);
    if (values[i].empty()) return std::nullopt;
    total += values[i].size();
  }
  char* out;
  try {
    out = static_cast<char*>(ex.arena().allocate(total, 1));
  } catch (...) {
    return std::nullopt;  // arena cap reached: treated as a request without a key
  }
  char* p = out;
  for (size_t i = 0; i < parts_.size(); ++i) {
    if (i) *p++ = '\n';
    std::memcpy(p, values[i].data(), values[i].size());
    p += values[i].size();
  }
  return std::string_view(out, total);
}

}  // namespace apigw::policy
