// CacheCoalescer: concurrent misses for one key go to the origin once.
//
// The first miss for a key becomes its leader and fetches; later misses
// wait (up to a cap) until the leader is done. done() hands every waiter the
// leader's stored answer, or null when there is none (not cacheable, an
// error, the leader's exchange ended early): then each waiter goes to the
// origin itself. A leader must call done() exactly once (the cache policy
// does it from its per-request state's destructor at the latest), so no
// waiter is left behind. Waiters run on the leader's thread, outside the lock.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "policy/cache_store.hpp"

namespace apigw::policy {

class CacheCoalescer {
 public:
  using Waiter = std::function<void(const CachedAnswerPtr&)>;
  enum class Role : uint8_t {
    kLeader,  // fetch, then call done(key, ...)
    kWaiter,  // make_waiter() was called; its waiter will be called once
    kAlone,   // the key already has max_waiters waiting: fetch without coalescing
  };

  // make_waiter runs under the lock, only for a waiter: what it sets up (a
  // paused exchange) cannot be answered before it is complete.
  Role join(std::string_view key, size_t max_waiters, const std::function<Waiter()>& make_waiter);
  void done(std::string_view key, const CachedAnswerPtr& answer) noexcept;

  size_t in_flight() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<Waiter>, std::less<>> flights_;
};

}  // namespace apigw::policy
