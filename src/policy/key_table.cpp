#include "policy/key_table.hpp"

#include <algorithm>

namespace apigw::policy {

KeyTable::KeyTable(size_t max_keys) : max_keys_(std::max<size_t>(1, max_keys)), max_cells_(max_keys_ + max_keys_ / 8) {}

KeyTable::Slot KeyTable::find_or_add(std::string_view key, int64_t now) {
  const size_t h = std::hash<std::string_view>()(key);
  Shard& s = shards_[(h >> 7) % kShards];  // high bits: the map uses the low ones
  std::lock_guard<std::mutex> lock(s.mu);
  if (auto it = s.index.find(key); it != s.index.end()) return {&it->second->tat, false};
  sweep(s, now, kSweepPerInsert);
  Cell* c = take_cell(s, now);
  if (!c) return {&overflow_tat_, true};
  c->key.assign(key);
  c->tat.store(now, std::memory_order_relaxed);  // a full bucket, not reclaimable for kIdleGraceNs
  c->used = true;
  s.index.emplace(c->key, c);
  return {&c->tat, false};
}

KeyTable::Cell* KeyTable::take_cell(Shard& s, int64_t now) {
  if (live_.load(std::memory_order_relaxed) >= max_keys_) {
    sweep(s, now, kSweepWhenFull);
    if (live_.load(std::memory_order_relaxed) >= max_keys_) steal_idle(s, now);
    if (live_.load(std::memory_order_relaxed) >= max_keys_) return nullptr;
  }
  if (s.free.empty()) {
    if (cells_.fetch_add(1, std::memory_order_relaxed) < max_cells_) {
      s.cells.push_back(std::make_unique<Cell>());
      s.cells.back()->index = s.cells.size() - 1;
      s.free.push_back(s.cells.back().get());
    } else {
      cells_.fetch_sub(1, std::memory_order_relaxed);
      sweep(s, now, kSweepWhenFull);
      if (s.free.empty()) steal_idle(s, now);
      if (s.free.empty()) return nullptr;
    }
  }
  Cell* c = s.free.back();
  s.free.pop_back();
  live_.fetch_add(1, std::memory_order_relaxed);
  return c;
}

void KeyTable::steal_idle(Shard& s, int64_t now) {
  for (size_t k = 0; k < kStealShards; ++k) {
    if (!s.free.empty() && live_.load(std::memory_order_relaxed) < max_keys_) return;
    Shard& other = shards_[steal_cursor_.fetch_add(1, std::memory_order_relaxed) % kShards];
    if (&other == &s || !other.mu.try_lock()) continue;
    std::lock_guard<std::mutex> lock(other.mu, std::adopt_lock);
    sweep(other, now, kSweepWhenFull);
    if (!s.free.empty() || other.free.empty()) continue;
    // Move one idle cell over: out of `other.cells` (swap with the last), into ours.
    Cell* c = other.free.back();
    other.free.pop_back();
    std::unique_ptr<Cell> owned = std::move(other.cells[c->index]);
    if (c->index != other.cells.size() - 1) {
      other.cells[c->index] = std::move(other.cells.back());
      other.cells[c->index]->index = c->index;
    }
    other.cells.pop_back();
    c->index = s.cells.size();
    s.cells.push_back(std::move(owned));
    s.free.push_back(c);
  }
}

void KeyTable::sweep(Shard& s, int64_t now, size_t steps) {
  const size_t n = s.cells.size();
  for (size_t i = 0; i < std::min(steps, n); ++i) {
    Cell* c = s.cells[s.hand++ % n].get();
    if (!c->used || c->tat.load(std::memory_order_relaxed) > now - kIdleGraceNs) continue;
    s.index.erase(std::string_view(c->key));
    c->used = false;
    s.free.push_back(c);
    live_.fetch_sub(1, std::memory_order_relaxed);
  }
}

}  // namespace apigw::policy
