// GCRA (generic cell rate algorithm) arithmetic, separate from any store.
//
// A bucket of `capacity` requests refilled at one per `interval_ns`: each
// allowed request pushes the theoretical arrival time (TAT) one interval on;
// a request is allowed while TAT - now stays within capacity intervals.
#pragma once

#include <cstdint>

namespace apigw::policy {

struct GcraParams {
  int64_t interval_ns;  // window / limit
  int64_t capacity;     // limit + burst
};

struct GcraDecision {
  bool allowed;
  int64_t new_tat;         // store this when allowed
  int64_t remaining;       // requests left right now
  int64_t retry_after_ns;  // when denied: until one more is allowed
  int64_t reset_ns;        // until the bucket is full again
};

inline GcraDecision gcra_decide(const GcraParams& p, int64_t tat, int64_t now) {
  int64_t base = tat > now ? tat : now;
  int64_t new_tat = base + p.interval_ns;
  int64_t horizon = p.capacity * p.interval_ns;
  GcraDecision d{};
  if (new_tat - now <= horizon) {
    d.allowed = true;
    d.new_tat = new_tat;
    d.remaining = (horizon - (new_tat - now)) / p.interval_ns;
    d.reset_ns = new_tat - now;
  } else {
    d.allowed = false;
    d.new_tat = tat;
    d.remaining = 0;
    d.retry_after_ns = new_tat - now - horizon;
    d.reset_ns = base - now;
  }
  return d;
}

}  // namespace apigw::policy
