// One cache policy's state, kept across reloads in the PolicyStateRegistry:
// its store, its in-flight fetches and its counters by route.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/cache_coalescer.hpp"
#include "policy/cache_store.hpp"

namespace apigw::policy {

// How the cache treated one request (the `result` label).
enum class CacheResult : uint8_t {
  kHit,        // served from the store
  kMiss,       // looked up, not there (or not for this request's Vary values): went to the origin
  kBypass,     // not looked up: the method is not cached, or the client asked for no-store
  kCoalesced,  // waited for another request's fetch and was served its answer
  kCount
};
std::string_view cache_result_name(CacheResult r) noexcept;

using CacheResultCounts = std::array<uint64_t, static_cast<size_t>(CacheResult::kCount)>;

// Counts by (route, result) with relaxed atomics and no lock on the request
// path: routes are found by the hash of their name in a fixed open table.
// Bounded: routes beyond kRoutes are counted in dropped().
class CacheCounters {
 public:
  static constexpr size_t kRoutes = 256;
  void add(std::string_view route, CacheResult r) noexcept;
  std::vector<std::pair<std::string, CacheResultCounts>> by_route() const;
  uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    std::atomic<uint64_t> hash{0};  // 0 = free
    std::array<std::atomic<uint64_t>, static_cast<size_t>(CacheResult::kCount)> counts{};
  };
  std::array<Slot, kRoutes> slots_;
  mutable std::mutex names_mu_;  // only when a route is first seen, and for scrapes
  std::map<uint64_t, std::string> names_;
  std::atomic<uint64_t> dropped_{0};
};

struct CacheState {
  explicit CacheState(CacheStore::Limits limits) : store(limits) {}
  CacheStore store;
  CacheCoalescer coalescer;
  CacheCounters counters;
};

}  // namespace apigw::policy
