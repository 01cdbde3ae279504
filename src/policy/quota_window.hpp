// The calendar window a quota counts in: a UTC day or a UTC month.
#pragma once

#include <cstdint>
#include <string>

namespace apigw::policy {

enum class QuotaPeriod : uint8_t { kDay, kMonth };

struct QuotaWindow {
  int64_t start_s;  // Unix seconds, inclusive
  int64_t end_s;    // Unix seconds, exclusive
  std::string id;   // "d2026-11-30" or "m2026-11": part of the counter's key
};

QuotaWindow quota_window(QuotaPeriod period, int64_t wall_ns);

}  // namespace apigw::policy
