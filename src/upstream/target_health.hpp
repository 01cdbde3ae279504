// UpstreamHealth: whether each target of one upstream may take requests now.
//
// Two independent signals (SPEC.md section 2, `health_check` and
// `circuit_breaker`):
//  - passive outlier detection from proxied tries: `consecutive_failures`
//    failures in a row eject a target for eject_ms * 2^k, where k counts the
//    ejections since its last success (multiplier capped at 2^6);
//  - active checks: a target is marked unhealthy after `unhealthy_threshold`
//    failed probes in a row and healthy again after `healthy_threshold` passes.
// A target is available when it is neither ejected nor unhealthy.
//
// Shared by all worker threads and read on every request, so the state is
// atomics only: no mutex, no thread ever waits. The object outlives config
// reloads (its owner keys it by upstream name and target address);
// configure() swaps the options and keeps the state.
//
// Ejection rules, in detail:
//  - An ejection ends by itself when now passes ejected_until_ns (no timer).
//  - The failure streak is not reset by an ejection: after the target
//    returns, its next failure re-ejects it (half-open), for twice as long.
//  - A success resets the failure streak and the multiplier. Successes of
//    tries that started before the ejection count too: they are evidence
//    that the target serves (record_success has no clock to tell them apart).
//  - At most max(floor(n * max_ejected_percent / 100), 1) targets are ejected
//    at once, the "at least one" only when n >= 2 and the percent is > 0
//    (like Envoy: a bad target among a few is ejected even at a low percent).
//    A lone target is ejected only at 100%: ejection shifts load to siblings,
//    with none it would only turn errors into 503s. Targets marked unhealthy
//    by active checks do not count toward the limit. A failure that would
//    exceed the limit does not eject; the streak stays above the threshold,
//    so a later failure ejects once another ejection has ended.
//  - consecutive_failures == 0 or eject_ms == 0 disables ejection.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "apigw/upstream.hpp"

namespace apigw::upstream {

class UpstreamHealth {
 public:
  enum class Transition : uint8_t { kUnchanged, kBecameHealthy, kBecameUnhealthy };

  // The multiplier of eject_ms is at most 2^kMaxEjectShift.
  static constexpr uint32_t kMaxEjectShift = 6;

  UpstreamHealth(size_t targets, const CircuitBreakerOptions& breaker,
                 std::optional<HealthCheckOptions> active);

  // Options may change on reload; state is kept. Disabling active checks
  // marks every target healthy again (re-enabling starts from healthy).
  void configure(const CircuitBreakerOptions& breaker, std::optional<HealthCheckOptions> active);

  size_t size() const noexcept { return size_; }

  // Takes over target j's state of `from` as target i's: a reload that
  // changes the target list keeps what it knew of the targets it keeps.
  // Called before this object is shared with requests.
  void adopt(size_t i, const UpstreamHealth& from, size_t j) noexcept;

  // May a request go to target i now? (not ejected, and not marked unhealthy)
  bool available(size_t i, int64_t now_ns) const noexcept;
  // eligible[i] = available(i, now) for every i; returns how many are.
  size_t fill_eligible(uint8_t* eligible, int64_t now_ns) const noexcept;

  // Passive: the outcome of one proxied try. record_success returns true when
  // it cleared a failure streak or an ejection multiplier; record_failure
  // returns true when this call ejected the target.
  bool record_success(size_t i) noexcept;
  bool record_failure(size_t i, int64_t now_ns) noexcept;

  // Active: the result of one probe. Ignored while active checks are off.
  Transition record_probe(size_t i, bool passed) noexcept;

  bool healthy(size_t i) const noexcept;  // active-check view; true when checks are off
  bool ejected(size_t i, int64_t now_ns) const noexcept;
  int64_t ejected_until_ns(size_t i) const noexcept;  // 0 when never ejected
  uint64_t ejections(size_t i) const noexcept;        // total so far (a metric)

 private:
  // One cache line per target: tries on different targets do not contend.
  struct alignas(64) Target {
    std::atomic<uint64_t> failures{0};        // consecutive failed tries
    std::atomic<uint32_t> eject_streak{0};    // ejections since the last success
    std::atomic<int64_t> ejected_until{0};    // monotonic ns; written under eject_guard_
    std::atomic<uint64_t> ejections{0};
    // Active-check state: kUnhealthyBit plus the number of consecutive probe
    // results that disagree with the current state.
    std::atomic<uint32_t> probe{0};
  };
  static constexpr uint32_t kUnhealthyBit = 1u << 31;

  bool try_eject(size_t i, int64_t now_ns) noexcept;
  size_t ejected_count(int64_t now_ns) const noexcept;
  size_t max_ejected() const noexcept;

  size_t size_;
  std::unique_ptr<Target[]> targets_;

  // Options, as atomics so that configure() may race with the request path.
  std::atomic<uint32_t> consecutive_failures_{0};
  std::atomic<uint32_t> eject_ms_{0};
  std::atomic<uint32_t> max_ejected_percent_{0};
  std::atomic<bool> active_{false};
  std::atomic<uint32_t> healthy_threshold_{1};
  std::atomic<uint32_t> unhealthy_threshold_{1};

  // Serializes "count the ejected targets, then eject one" so that racing
  // failures cannot exceed max_ejected_percent. Only tried, never waited on.
  std::atomic<bool> eject_guard_{false};
};

}  // namespace apigw::upstream
