#include "core/resume_queue.hpp"

#include "core/flow.hpp"

namespace apigw::detail {

void ResumeQueue::push(ResumeAction action) {
  // Waking under the lock: once shut() returns, the wake handle may be closed.
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_) return;
  items_.push_back(std::move(action));
  if (wake_) wake_();
}

void ResumeQueue::apply_pushed() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    applying_.swap(items_);
  }
  for (auto& action : applying_) {
    Flow* flow = action.anchor ? action.anchor->flow() : nullptr;
    if (!flow) continue;  // the exchange ended meanwhile
    FlowHost& host = flow->host();
    flow->apply(std::move(action));
    host.on_flow_settled();
  }
  applying_.clear();
}

void ResumeQueue::settle_deferred() {
  while (!deferred_.empty()) {
    settling_.swap(deferred_);
    for (auto& action : settling_) {
      Flow* flow = action.anchor ? action.anchor->flow() : nullptr;
      if (flow) flow->host().on_flow_settled();
    }
    settling_.clear();
  }
}

void ResumeQueue::shut() {
  std::lock_guard<std::mutex> lock(mu_);
  shut_ = true;
  items_.clear();
  shut_loop_ = true;
  deferred_.clear();
}

}  // namespace apigw::detail
