#include "policy/quota_window.hpp"

#include <chrono>
#include <cstdio>

namespace apigw::policy {

QuotaWindow quota_window(QuotaPeriod period, int64_t wall_ns) {
  using namespace std::chrono;
  const sys_seconds now{seconds{wall_ns >= 0 ? wall_ns / 1'000'000'000 : (wall_ns + 1) / 1'000'000'000 - 1}};
  const sys_days today = floor<days>(now);
  const year_month_day ymd{today};
  sys_days start = today, end = today + days{1};
  if (period == QuotaPeriod::kMonth) {
    const year_month first = ymd.year() / ymd.month();
    start = sys_days{first / 1};
    end = sys_days{(first + months{1}) / 1};
  }
  char id[32];
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month()), d = static_cast<unsigned>(ymd.day());
  if (period == QuotaPeriod::kDay) std::snprintf(id, sizeof id, "d%04d-%02u-%02u", y, m, d);
  else std::snprintf(id, sizeof id, "m%04d-%02u", y, m);
  return {duration_cast<seconds>(start.time_since_epoch()).count(),
          duration_cast<seconds>(end.time_since_epoch()).count(), id};
}

}  // namespace apigw::policy
