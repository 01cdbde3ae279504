// ResumeQueue: the one path by which other threads reach a worker.
//
// ResumeTokens push actions here from any thread; the worker drains the queue
// on its loop (woken through uv_async_send, or by the test driver). An
// ExchangeAnchor is the weak link from a token to its exchange: the worker
// clears it when the exchange ends, so a late resume is dropped.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "apigw/exchange.hpp"

namespace apigw {

class Flow;

namespace detail {

class ResumeQueue;

class ExchangeAnchor {
 public:
  ExchangeAnchor(Flow* flow, std::shared_ptr<ResumeQueue> queue) : flow_(flow), queue_(std::move(queue)) {}
  // Loop thread only.
  Flow* flow() const noexcept { return flow_; }
  void detach() noexcept { flow_ = nullptr; }
  ResumeQueue& queue() const noexcept { return *queue_; }

 private:
  Flow* flow_;
  std::shared_ptr<ResumeQueue> queue_;
};

struct ResumeAction {
  enum class Kind : uint8_t {
    kResume, kRespond, kFail,                               // a paused phase goes on
    kRetry,                                                 // a paused phase runs again
    kStreamBegin, kStreamData, kStreamEnd, kStreamAbort,  // a ResponseStream
    kSettle,  // nothing to apply: the host goes on (after an answer finished deep in a callback)
  };
  Kind kind = Kind::kResume;
  std::shared_ptr<ExchangeAnchor> anchor;
  Reply reply;
  Status status;
};

class ResumeQueue {
 public:
  explicit ResumeQueue(std::function<void()> wake) : wake_(std::move(wake)) {}

  // Any thread. Dropped once the worker has shut the queue.
  void push(ResumeAction action);
  // Loop thread: applies every action pushed so far to its flow (actions for
  // exchanges that ended meanwhile are dropped), then lets its host go on.
  void apply_pushed();
  // Loop thread, on shutdown: later pushes are dropped.
  void shut();

  // Loop thread only, no lock and no wake-up: for work the loop itself
  // queues, run by the worker after the current I/O callbacks (uv_check).
  void defer(ResumeAction action) {
    if (!shut_loop_) deferred_.push_back(std::move(action));
  }
  bool has_deferred() const noexcept { return !deferred_.empty(); }
  // Loop thread: lets the hosts of deferred settles go on, until none is left
  // (settling may defer more: a pipelined answer finishing).
  void settle_deferred();

 private:
  std::mutex mu_;
  std::vector<ResumeAction> items_;
  std::function<void()> wake_;
  bool shut_ = false;
  // Actions hold anchors, which hold this queue: shut() empties both lists so
  // that no cycle outlives the worker.
  std::vector<ResumeAction> deferred_;
  bool shut_loop_ = false;
  // Loop thread only: the lists are swapped with these and cleared after
  // use, so both keep their capacity and a steady load allocates nothing.
  std::vector<ResumeAction> applying_;
  std::vector<ResumeAction> settling_;
};

}  // namespace detail
}  // namespace apigw
