#include "upstream/retry_budget.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace apigw::upstream {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// Decrements without wrapping: an unmatched release must not turn the
// counter into 2^64 (which would make the budget unlimited).
void saturating_decrement(std::atomic<uint64_t>& counter) noexcept {
  uint64_t v = counter.load(kRelaxed);
  while (v != 0 && !counter.compare_exchange_weak(v, v - 1, kRelaxed)) {
  }
}

}  // namespace

RetryBudget::RetryBudget(uint32_t budget_percent, uint32_t min_concurrent)
    : percent_(budget_percent), min_concurrent_(min_concurrent) {}

void RetryBudget::set_percent(uint32_t budget_percent) noexcept {
  percent_.store(budget_percent, kRelaxed);
}

void RetryBudget::request_started() noexcept { requests_.fetch_add(1, kRelaxed); }
void RetryBudget::request_finished() noexcept { saturating_decrement(requests_); }
void RetryBudget::release_retry() noexcept { saturating_decrement(retries_); }

bool RetryBudget::try_acquire_retry() noexcept {
  const uint64_t allowed = std::max<uint64_t>(
      requests_.load(kRelaxed) * percent_.load(kRelaxed) / 100, min_concurrent_);
  uint64_t v = retries_.load(kRelaxed);
  // CAS, not fetch_add + undo: racing retries must not overshoot the budget.
  while (v < allowed) {
    if (retries_.compare_exchange_weak(v, v + 1, kRelaxed)) return true;
  }
  return false;
}

uint32_t backoff_ms(uint32_t base_ms, uint32_t retry, double random01) noexcept {
  const uint64_t base = base_ms;
  // 2^4 already exceeds the 10x cap; clamping the shift avoids overflow.
  const uint32_t shift = std::min<uint32_t>(retry == 0 ? 0 : retry - 1, 4);
  const uint64_t cap = std::min<uint64_t>(
      std::min(base << shift, base * 10), std::numeric_limits<uint32_t>::max());
  // !(x >= 0) also catches NaN.
  if (!(random01 >= 0.0)) random01 = 0.0;
  if (random01 >= 1.0) random01 = std::nextafter(1.0, 0.0);
  // floor(r * (cap + 1)) is uniform over the integers 0..cap.
  const auto delay = static_cast<uint64_t>(random01 * static_cast<double>(cap + 1));
  return static_cast<uint32_t>(std::min(delay, cap));
}

std::optional<uint32_t> parse_retry_after_ms(std::string_view value, uint32_t max_ms) noexcept {
  const auto is_ows = [](char c) { return c == ' ' || c == '\t'; };
  while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  uint64_t ms = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    // Keep reading digits (so "12x" stays invalid) but stop growing past the
    // cap: no overflow on "99999999999999999999999".
    if (ms <= max_ms) ms = ms * 10 + static_cast<uint64_t>((c - '0') * 1000);
  }
  return static_cast<uint32_t>(std::min<uint64_t>(ms, max_ms));
}

Result<RetryOn> RetryOn::parse(const std::vector<std::string>& on) {
  RetryOn out;
  for (const std::string& word : on) {
    if (word == "connect_failure") {
      out.connect_failure = true;
      continue;
    }
    if (word == "reset") {
      out.reset = true;
      continue;
    }
    const bool digits = word.size() == 3 && std::all_of(word.begin(), word.end(), [](char c) {
                          return c >= '0' && c <= '9';
                        });
    const int code = digits ? std::stoi(word) : 0;
    if (code < 400 || code > 599) {
      return Status(Code::kInvalidArgument,
                    "retries.on: unknown condition \"" + word +
                        "\" (expected connect_failure, reset or a status code 400-599)");
    }
    out.statuses.push_back(static_cast<uint16_t>(code));
  }
  std::sort(out.statuses.begin(), out.statuses.end());
  out.statuses.erase(std::unique(out.statuses.begin(), out.statuses.end()), out.statuses.end());
  return out;
}

bool RetryOn::status(int code) const noexcept {
  return std::binary_search(statuses.begin(), statuses.end(), code);
}

bool is_idempotent(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE" || method == "TRACE";
}

}  // namespace apigw::upstream
