// What json_body let through unread, by policy and reason, for
// apigw_json_body_skipped_total{policy,reason}. Kept in the
// PolicyStateRegistry by policy name, so counts survive reloads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace apigw::policy {

enum class JsonBodySkip : uint8_t {
  kOverflow,    // longer than max_body_bytes, on_overflow "pass"
  kUnparsable,  // a JSON content type, but not JSON
  kEncoded,     // compressed (Content-Encoding): cannot be read
  kCount
};

inline std::string_view skip_reason_name(JsonBodySkip r) noexcept {
  switch (r) {
    case JsonBodySkip::kOverflow: return "overflow";
    case JsonBodySkip::kUnparsable: return "unparsable";
    case JsonBodySkip::kEncoded: return "encoded";
    case JsonBodySkip::kCount: break;
  }
  return "unknown";
}

class JsonBodyCounters {
 public:
  void add(JsonBodySkip r) noexcept { counts_[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed); }
  uint64_t get(JsonBodySkip r) const noexcept { return counts_[static_cast<size_t>(r)].load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<uint64_t>, static_cast<size_t>(JsonBodySkip::kCount)> counts_{};
};

}  // namespace apigw::policy
