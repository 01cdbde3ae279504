// TargetResolver: re-resolves host-name targets in the background.
//
// Every kIntervalMs, each "hostname:PORT" target of the running snapshot is
// looked up with uv_getaddrinfo (libuv's thread pool, never blocking the
// loop); a successful answer replaces the address that new connections use.
// A failed lookup keeps the last good address. Runs on one worker.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

#include "upstream/compiled_upstream.hpp"

namespace apigw::upstream {

class TargetResolver {
 public:
  static constexpr uint64_t kIntervalMs = 30000;
  // The running upstreams, as a view of the current snapshot's list: a tick
  // copies nothing (the worker's steady state allocates nothing). The function
  // must return a reference to a list that outlives the call, not a copy.
  using UpstreamList = std::function<const std::vector<std::shared_ptr<const CompiledUpstream>>&()>;

  TargetResolver(uv_loop_t* loop, UpstreamList current, uint64_t interval_ms = kIntervalMs);
  ~TargetResolver();
  TargetResolver(const TargetResolver&) = delete;
  TargetResolver& operator=(const TargetResolver&) = delete;

  uint64_t lookups_started() const noexcept { return lookups_; }

 private:
  static void on_tick(uv_timer_t* t);

  uv_loop_t* loop_;
  UpstreamList current_;
  uv_timer_t* timer_;
  uint64_t lookups_ = 0;
};

}  // namespace apigw::upstream
