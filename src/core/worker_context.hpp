// WorkerContext: what the connections of one worker share.
//
// Owned by a worker (or by the test driver, which plays one). Loop thread only,
// except `snapshot_source`, which other threads update on reload.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/resume_queue.hpp"
#include "core/snapshot.hpp"
#include "telemetry/request_metrics.hpp"

namespace apigw {
namespace telemetry {
class AccessLogBuffer;
class TraceBuffer;
}
namespace upstream {
class WorkerUpstreams;
}

// Where the current snapshot lives; reload() swaps it, workers pick it up.
class SnapshotSource {
 public:
  explicit SnapshotSource(std::shared_ptr<const Snapshot> s) : current_(std::move(s)) {}
  std::shared_ptr<const Snapshot> load() const { return current_.load(); }
  void store(std::shared_ptr<const Snapshot> s) {
    current_.store(std::move(s));
    version_.fetch_add(1, std::memory_order_release);
  }
  uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::atomic<uint64_t> version_{0};
};

class WorkerContext {
 public:
  WorkerContext(std::shared_ptr<SnapshotSource> source, std::shared_ptr<detail::ResumeQueue> queue,
                std::atomic<uint64_t>* active_requests);

  // The snapshot for a request starting now: one atomic load when unchanged.
  const std::shared_ptr<const Snapshot>& snapshot();
  const std::shared_ptr<detail::ResumeQueue>& queue() const noexcept { return queue_; }

  // "date: <IMF-fixdate>\r\n", refreshed at most once a second.
  std::string_view date_header();
  int64_t now_ns() { return snapshot()->clock->monotonic_ns(); }

  bool draining = false;
  std::atomic<uint64_t>* active_requests;
  telemetry::RequestMetrics* metrics = nullptr;  // null: not counted (the admin listener)
  telemetry::AccessLogBuffer* access_log = nullptr;  // null: no access log
  telemetry::TraceBuffer* traces = nullptr;          // null: tracing off
  uint32_t requests_started = 0;                     // picks the requests whose policies are timed
  upstream::WorkerUpstreams* upstreams = nullptr;  // null: no upstream routes (in memory)

 private:
  std::shared_ptr<SnapshotSource> source_;
  std::shared_ptr<const Snapshot> snapshot_;
  uint64_t seen_version_ = ~uint64_t{0};
  std::shared_ptr<detail::ResumeQueue> queue_;
  int64_t date_second_ = -1;
  char date_[64];
  size_t date_len_ = 0;
};

}  // namespace apigw
