// quota: UTC day and month windows, and their rollover.
#include <doctest/doctest.h>

#include "policy/quota_window.hpp"

using apigw::policy::QuotaPeriod;
using apigw::policy::quota_window;

namespace {
constexpr int64_t kNs = 1'000'000'000;
constexpr int64_t k2026_11_30 = 1795996800;  // 2026-11-30T00:00:00Z
}  // namespace

TEST_CASE("quota: a UTC day runs from midnight to midnight and the last second belongs to it") {
  auto w = quota_window(QuotaPeriod::kDay, (k2026_11_30 + 3600) * kNs);
  CHECK(w.start_s == k2026_11_30);
  CHECK(w.end_s == k2026_11_30 + 86400);
  CHECK(w.id == "d2026-11-30");
  CHECK(quota_window(QuotaPeriod::kDay, (k2026_11_30 + 86399) * kNs + kNs - 1).id == "d2026-11-30");
  auto next = quota_window(QuotaPeriod::kDay, (k2026_11_30 + 86400) * kNs);
  CHECK(next.id == "d2026-12-01");
  CHECK(next.start_s == w.end_s);
}

TEST_CASE("quota: UTC months of 30 31 28 and 29 days and the turn of the year") {
  auto nov = quota_window(QuotaPeriod::kMonth, (k2026_11_30 + 100) * kNs);
  CHECK(nov.id == "m2026-11");
  CHECK(nov.end_s - nov.start_s == 30 * 86400);
  CHECK(nov.end_s == k2026_11_30 + 86400);
  auto dec = quota_window(QuotaPeriod::kMonth, nov.end_s * kNs);
  CHECK(dec.id == "m2026-12");
  CHECK(dec.end_s - dec.start_s == 31 * 86400);
  auto jan = quota_window(QuotaPeriod::kMonth, dec.end_s * kNs);
  CHECK(jan.id == "m2027-01");
  auto feb = quota_window(QuotaPeriod::kMonth, (jan.end_s + 10) * kNs);
  CHECK(feb.end_s - feb.start_s == 28 * 86400);
  auto leap = quota_window(QuotaPeriod::kMonth, int64_t{1709251199} * kNs);  // 2024-02-29T23:59:59Z
  CHECK(leap.id == "m2024-02");
  CHECK(leap.end_s - leap.start_s == 29 * 86400);
}
