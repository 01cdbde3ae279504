// WorkerUpstreams: one worker's balancers and connection pools.
//
// Share-nothing: each worker picks targets with its own balancer and keeps
// its own pools. Pools are keyed by upstream name and target address, so a
// reload that keeps a target keeps its warm connections.
#pragma once

#include <uv.h>

#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "upstream/balancer.hpp"
#include "upstream/compiled_upstream.hpp"
#include "telemetry/request_metrics.hpp"
#include "upstream/target_pool.hpp"

namespace apigw::upstream {

class MirrorCall;

class WorkerUpstreams {
 public:
  // What a proxied request uses. Shared: a request keeps the view it started
  // with (through reloads and worker shutdown) until it ends.
  struct Entry {
    std::shared_ptr<const CompiledUpstream> upstream;
    std::unique_ptr<Balancer> balancer;
    std::vector<std::shared_ptr<TargetPool>> pools;  // by target index
    std::shared_ptr<InFlightCounts::Block> in_flight;  // this worker's tries, by target index
  };

  WorkerUpstreams(uv_loop_t* loop, char* read_buffer, size_t read_buffer_size);
  ~WorkerUpstreams();

  // The worker's state for `u`, rebuilt when a reload replaced the upstream.
  const std::shared_ptr<Entry>& get(const std::shared_ptr<const CompiledUpstream>& u);
  uv_loop_t* loop() const noexcept { return loop_; }
  uint64_t random() noexcept { return rng_(); }
  // The worker's metrics shard (null: not counted).
  telemetry::RequestMetrics* metrics = nullptr;
  // Mirror calls in flight: they belong to no exchange, so the worker ends them.
  void track(MirrorCall* m) { mirrors_.insert(m); }
  void untrack(MirrorCall* m) { mirrors_.erase(m); }

 private:
  uv_loop_t* loop_;
  char* read_buffer_;
  size_t read_buffer_size_;
  std::mt19937_64 rng_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;
  std::unordered_map<std::string, std::shared_ptr<TargetPool>> pools_;
  std::unordered_set<MirrorCall*> mirrors_;
};

}  // namespace apigw::upstream
