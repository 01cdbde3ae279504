// KeyTable: the TAT (theoretical arrival time) of each key of one local
// rate limit, exact across workers and bounded in memory.
//
// A shard's lock is held only to find or add a key; the decision itself is a
// compare-and-swap on the key's cell, outside the lock. Cells are recycled,
// never freed while the table lives, so a cell pointer stays valid after the
// lock is released. A key whose TAT is in the past has a full bucket again:
// forgetting it changes no decision, so such keys are reclaimed, a few cells
// per insert (a clock hand), never by a full sweep. When the table is full,
// a few other shards are swept too (try_lock: never two locks waited for)
// and an idle cell moves over, so idle keys anywhere make room. A key is reclaimed only
// once idle for kIdleGraceNs more, so that a request that has just looked up
// its cell (and is about to compare-and-swap) never sees it reused.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace apigw::policy {

class KeyTable {
 public:
  // At most `max_keys` keys are tracked at once; cells allocated are bounded
  // by max_keys + max_keys / 8 (slack for keys spread unevenly over shards).
  explicit KeyTable(size_t max_keys);

  struct Slot {
    std::atomic<int64_t>* tat;
    bool overflow;  // the key is not tracked: `tat` is the shared overflow bucket
  };
  // The cell of `key`, added when new. When max_keys keys are all active,
  // new keys share one overflow bucket (like Envoy's fallback descriptor):
  // memory stays bounded and the upstream stays protected.
  Slot find_or_add(std::string_view key, int64_t now);

  static constexpr int64_t kIdleGraceNs = 1'000'000'000;

  size_t size() const noexcept { return live_.load(std::memory_order_relaxed); }

 private:
  struct Cell {
    std::atomic<int64_t> tat{0};
    std::string key;
    bool used = false;
    size_t index = 0;  // in its shard's `cells`
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string_view, Cell*> index;  // views into Cell::key
    std::vector<std::unique_ptr<Cell>> cells;
    std::vector<Cell*> free;
    size_t hand = 0;
  };
  static constexpr size_t kShards = 64;
  static constexpr size_t kSweepPerInsert = 2;
  static constexpr size_t kSweepWhenFull = 64;
  static constexpr size_t kStealShards = 4;  // other shards swept when this one has no idle cell

  void sweep(Shard& s, int64_t now, size_t steps);
  Cell* take_cell(Shard& s, int64_t now);
  void steal_idle(Shard& s, int64_t now);

  const size_t max_keys_;
  const size_t max_cells_;
  std::atomic<size_t> live_{0};
  std::atomic<size_t> cells_{0};
  std::atomic<size_t> steal_cursor_{0};
  alignas(64) std::atomic<int64_t> overflow_tat_{0};
  Shard shards_[kShards];
};

}  // namespace apigw::policy
