// Clock: where the gateway reads time. Injectable so that hosts and tests can
// drive time-based behaviour (limits, caches, timestamps) without sleeping.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace apigw {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds; only differences matter.
  virtual int64_t monotonic_ns() const noexcept = 0;
  // Nanoseconds since the Unix epoch.
  virtual int64_t wall_ns() const noexcept = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t monotonic_ns() const noexcept override;
  int64_t wall_ns() const noexcept override;
  static std::shared_ptr<const Clock> instance();
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t wall_ns = 1'700'000'000'000'000'000) : wall_(wall_ns) {}
  int64_t monotonic_ns() const noexcept override { return mono_.load(std::memory_order_acquire); }
  int64_t wall_ns() const noexcept override { return wall_.load(std::memory_order_acquire); }
  void advance_ms(int64_t ms) noexcept {
    mono_.fetch_add(ms * 1'000'000, std::memory_order_acq_rel);
    wall_.fetch_add(ms * 1'000'000, std::memory_order_acq_rel);
  }

 private:
  std::atomic<int64_t> mono_{0};
  std::atomic<int64_t> wall_;
};

}  // namespace apigw
