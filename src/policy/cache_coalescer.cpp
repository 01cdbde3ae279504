#include "policy/cache_coalescer.hpp"

namespace apigw::policy {

CacheCoalescer::Role CacheCoalescer::join(std::string_view key, size_t max_waiters,
                                          const std::function<Waiter()>& make_waiter) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = flights_.find(key);
  if (it == flights_.end()) {
    flights_.emplace(std::string(key), std::vector<Waiter>());
    return Role::kLeader;
  }
  if (it->second.size() >= max_waiters) return Role::kAlone;
  it->second.push_back(make_waiter());
  return Role::kWaiter;
}

void CacheCoalescer::done(std::string_view key, const CachedAnswerPtr& answer) noexcept {
  std::vector<Waiter> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = flights_.find(key);
    if (it == flights_.end()) return;
    waiters = std::move(it->second);
    flights_.erase(it);
  }
  for (Waiter& w : waiters) {
    try {
      w(answer);
    } catch (...) {
      // A waiter that cannot be answered (out of memory) drops its token,
      // which fails its exchange with a 500: never left waiting.
    }
  }
}

size_t CacheCoalescer::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return flights_.size();
}

}  // namespace apigw::policy
