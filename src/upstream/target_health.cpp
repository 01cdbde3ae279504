#include "upstream/target_health.hpp"

#include <algorithm>
#include <cassert>

namespace apigw::upstream {

void UpstreamHealth::adopt(size_t i, const UpstreamHealth& from, size_t j) noexcept {
  if (i >= size_ || j >= from.size_) return;
  const Target& src = from.targets_[j];
  Target& dst = targets_[i];
  dst.failures.store(src.failures.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst.eject_streak.store(src.eject_streak.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst.ejected_until.store(src.ejected_until.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst.ejections.store(src.ejections.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst.probe.store(src.probe.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr int64_t kNsPerMs = 1'000'000;
}  // namespace

UpstreamHealth::UpstreamHealth(size_t targets, const CircuitBreakerOptions& breaker,
                               std::optional<HealthCheckOptions> active)
    : size_(targets), targets_(std::make_unique<Target[]>(targets)) {
  configure(breaker, std::move(active));
}

void UpstreamHealth::configure(const CircuitBreakerOptions& breaker,
                               std::optional<HealthCheckOptions> active) {
  consecutive_failures_.store(breaker.consecutive_failures, kRelaxed);
  eject_ms_.store(breaker.eject_ms, kRelaxed);
  max_ejected_percent_.store(std::min<uint32_t>(breaker.max_ejected_percent, 100), kRelaxed);
  if (active) {
    // A threshold of 0 would flip on no evidence at all; treat it as 1.
    healthy_threshold_.store(std::max<uint32_t>(active->healthy_threshold, 1), kRelaxed);
    unhealthy_threshold_.store(std::max<uint32_t>(active->unhealthy_threshold, 1), kRelaxed);
    active_.store(true, kRelaxed);
  } else {
    active_.store(false, kRelaxed);
    for (size_t i = 0; i < size_; ++i) targets_[i].probe.store(0, kRelaxed);
  }
}

bool UpstreamHealth::healthy(size_t i) const noexcept {
  assert(i < size_);
  // Checking active_ too covers a probe that lands just after checks were
  // turned off.
  return !active_.load(kRelaxed) || (targets_[i].probe.load(kRelaxed) & kUnhealthyBit) == 0;
}

bool UpstreamHealth::ejected(size_t i, int64_t now_ns) const noexcept {
  assert(i < size_);
  return targets_[i].ejected_until.load(kRelaxed) > now_ns;
}

int64_t UpstreamHealth::ejected_until_ns(size_t i) const noexcept {
  assert(i < size_);
  return targets_[i].ejected_until.load(kRelaxed);
}

uint64_t UpstreamHealth::ejections(size_t i) const noexcept {
  assert(i < size_);
  return targets_[i].ejections.load(kRelaxed);
}

bool UpstreamHealth::available(size_t i, int64_t now_ns) const noexcept {
  return !ejected(i, now_ns) && healthy(i);
}

size_t UpstreamHealth::fill_eligible(uint8_t* eligible, int64_t now_ns) const noexcept {
  size_t n = 0;
  for (size_t i = 0; i < size_; ++i) {
    eligible[i] = available(i, now_ns) ? 1 : 0;
    n += eligible[i];
  }
  return n;
}

bool UpstreamHealth::record_success(size_t i) noexcept {
  assert(i < size_);
  Target& t = targets_[i];
  // Load before writing: most successes change nothing, and a plain load
  // keeps the target's cache line shared between workers.
  bool changed = false;
  if (t.failures.load(kRelaxed) != 0) changed |= t.failures.exchange(0, kRelaxed) != 0;
  if (t.eject_streak.load(kRelaxed) != 0) changed |= t.eject_streak.exchange(0, kRelaxed) != 0;
  return changed;
}

bool UpstreamHealth::record_failure(size_t i, int64_t now_ns) noexcept {
  assert(i < size_);
  const uint64_t failures = targets_[i].failures.fetch_add(1, kRelaxed) + 1;
  const uint32_t threshold = consecutive_failures_.load(kRelaxed);
  if (threshold == 0 || eject_ms_.load(kRelaxed) == 0 || failures < threshold) return false;
  // Already out: a try that started before the ejection has failed late.
  if (ejected(i, now_ns)) return false;
  return try_eject(i, now_ns);
}

size_t UpstreamHealth::max_ejected() const noexcept {
  const uint32_t percent = max_ejected_percent_.load(kRelaxed);
  const size_t by_percent = size_ * percent / 100;
  if (by_percent == 0 && percent > 0 && size_ >= 2) return 1;
  return by_percent;
}

size_t UpstreamHealth::ejected_count(int64_t now_ns) const noexcept {
  size_t n = 0;
  for (size_t i = 0; i < size_; ++i) n += ejected(i, now_ns) ? 1 : 0;
  return n;
}

bool UpstreamHealth::try_eject(size_t i, int64_t now_ns) noexcept {
  // Another thread is ejecting right now: skip instead of waiting. Our streak
  // stays at or above the threshold, so the next failure tries again.
  if (eject_guard_.exchange(true, std::memory_order_acquire)) return false;
  bool done = false;
  Target& t = targets_[i];
  if (!ejected(i, now_ns) && ejected_count(now_ns) < max_ejected()) {
    const uint32_t k = t.eject_streak.fetch_add(1, kRelaxed);
    const int64_t ms = int64_t{eject_ms_.load(kRelaxed)} << std::min(k, kMaxEjectShift);
    t.ejected_until.store(now_ns + ms * kNsPerMs, kRelaxed);
    t.ejections.fetch_add(1, kRelaxed);
    done = true;
  }
  eject_guard_.store(false, std::memory_order_release);
  return done;
}

UpstreamHealth::Transition UpstreamHealth::record_probe(size_t i, bool passed) noexcept {
  assert(i < size_);
  if (!active_.load(kRelaxed)) return Transition::kUnchanged;
  std::atomic<uint32_t>& probe = targets_[i].probe;
  uint32_t old = probe.load(kRelaxed);
  for (;;) {
    const bool unhealthy = (old & kUnhealthyBit) != 0;
    const uint32_t streak = old & ~kUnhealthyBit;
    uint32_t next;
    Transition result = Transition::kUnchanged;
    if (passed != unhealthy) {
      // Agrees with the current state (a pass while healthy, a failure while
      // unhealthy): the opposing streak is broken.
      next = old & kUnhealthyBit;
    } else {
      const uint32_t threshold =
          unhealthy ? healthy_threshold_.load(kRelaxed) : unhealthy_threshold_.load(kRelaxed);
      if (streak + 1 >= threshold) {
        next = unhealthy ? 0 : kUnhealthyBit;
        result = unhealthy ? Transition::kBecameHealthy : Transition::kBecameUnhealthy;
      } else {
        next = old + 1;
      }
    }
    if (next == old || probe.compare_exchange_weak(old, next, kRelaxed)) return result;
  }
}

}  // namespace apigw::upstream
