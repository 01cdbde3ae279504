#include "core/resume_queue.hpp"

namespace apigw::detail {

void ResumeQueue::push(ResumeAction action) {
  // Waking under the lock: once shut() returns, the wake handle may be closed.
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_) return;
  items_.push_back(std::move(action));
  if (wake_) wake_();
}

std::vector<ResumeAction> ResumeQueue::take() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(items_);
}

void ResumeQueue::shut() {
  std::lock_guard<std::mutex> lock(mu_);
  shut_ = true;
  items_.clear();
  shut_loop_ = true;
  deferred_.clear();
}

}  // namespace apigw::detail
