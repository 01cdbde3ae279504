// Retry rules of one upstream (SPEC.md section 2, `retries`): the budget that
// keeps retries from multiplying an outage, the backoff between tries,
// Retry-After, which outcomes are retried, and which methods may be.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apigw/status.hpp"

namespace apigw::upstream {

// Retries in flight may be at most budget_percent of the requests in flight,
// but `min_concurrent` retries are always allowed (like Envoy's retry budget)
// so that a quiet upstream can still retry. One per upstream; thread-safe
// (atomics only).
class RetryBudget {
 public:
  explicit RetryBudget(uint32_t budget_percent, uint32_t min_concurrent = 3);

  void set_percent(uint32_t budget_percent) noexcept;

  // Once per downstream request sent to this upstream (retries included in
  // the same request: a retry is not a new request).
  void request_started() noexcept;
  void request_finished() noexcept;

  // Claims a retry slot if the budget allows; release it when that try ends.
  bool try_acquire_retry() noexcept;
  void release_retry() noexcept;

  uint64_t active_requests() const noexcept { return requests_.load(std::memory_order_relaxed); }
  uint64_t active_retries() const noexcept { return retries_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint32_t> percent_;
  const uint32_t min_concurrent_;
};

// Delay before retry number `retry` (1 for the first retry): "full jitter",
// uniform in [0, cap] with cap = min(base * 2^(retry-1), 10 * base).
// Full jitter spreads retries of many clients best (what matters when an
// upstream is struggling); a retry usually goes to another target anyway, so
// a zero delay is acceptable. `random01` in [0, 1).
uint32_t backoff_ms(uint32_t base_ms, uint32_t retry, double random01) noexcept;

// Retry-After in delta-seconds ("120"), surrounding spaces allowed, capped at
// max_ms. An HTTP-date or anything else that is not 1*DIGIT -> nullopt.
std::optional<uint32_t> parse_retry_after_ms(std::string_view value, uint32_t max_ms) noexcept;

// Which outcomes are retried: parsed once from UpstreamRetries::on.
struct RetryOn {
  bool connect_failure = false;  // the TCP connect failed or timed out
  bool reset = false;            // the connection broke before a response head
  std::vector<uint16_t> statuses;  // sorted, unique; each 400..599

  // Words: "connect_failure", "reset" or a status code 400..599. Anything
  // else -> kInvalidArgument naming it.
  static Result<RetryOn> parse(const std::vector<std::string>& on);
  bool status(int code) const noexcept;
};

// GET HEAD OPTIONS PUT DELETE TRACE (RFC 9110 9.2.2; case-sensitive). Only
// these may be retried on any condition; others only on connect failure
// (the upstream never saw the request).
bool is_idempotent(std::string_view method) noexcept;

}  // namespace apigw::upstream
