// HealthChecker: active HTTP health checks, on one worker's loop.
//
// Every upstream with a `health_check` has each target probed every
// interval_ms: a fresh connection, `GET path`, and a 2xx or 3xx answer within
// timeout_ms passes. Results go to the upstream's shared UpstreamHealth, whose
// thresholds flip targets; every worker reads it. One worker runs the checks,
// so a fleet of N workers does not probe N times.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "upstream/compiled_upstream.hpp"

namespace apigw::upstream {

class HealthChecker {
 public:
  // `current` returns the upstreams of the running snapshot (read on every tick).
  // The running upstreams, as a view of the current snapshot's list: a tick
  // copies nothing (the worker's steady state allocates nothing). The function
  // must return a reference to a list that outlives the call, not a copy.
  using UpstreamList = std::function<const std::vector<std::shared_ptr<const CompiledUpstream>>&()>;

  HealthChecker(uv_loop_t* loop, UpstreamList current);
  ~HealthChecker();  // closes the timer; probes in flight finish on their own timers
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Probes started so far (for tests).
  uint64_t probes_started() const noexcept { return probes_; }

 private:
  static void on_tick(uv_timer_t* t);
  void tick();

  uv_loop_t* loop_;
  UpstreamList current_;
  uv_timer_t* timer_;
  std::map<std::string, uint64_t> next_due_ms_;  // by upstream name
  uint64_t probes_ = 0;
};

}  // namespace apigw::upstream
