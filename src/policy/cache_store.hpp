// CacheStore: the cache policy's answers, shared by every worker.
//
// Sharded by key hash, one short mutex per shard: a reader copies the
// entry's shared_ptr out and serves from it without holding the lock.
// Entries are immutable; replacing or evicting one never disturbs a reader
// still serving it. Bounded by entries and by bytes (both totals across the
// shards); when full, the least recently used entries of a shard go first
// (LRU per shard, the bounds global). Expired entries are removed when read
// and when LRU reaches them. No gateway types: times are plain nanoseconds.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace apigw::policy {

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

struct CachedAnswer {
  int status = 200;
  HeaderPairs headers;  // as the origin sent them, minus framing and hop-by-hop fields
  std::string body;
  int64_t stored_ns = 0;      // when it was stored
  int64_t expires_ns = 0;     // fresh while now < expires_ns
  uint64_t origin_age_s = 0;  // the Age the origin's answer already had
  std::string path;           // for purge by prefix
  // Vary: the request's value of each named header (lower case) when the
  // answer was stored; "" for an absent header.
  HeaderPairs vary;

  // Seconds to send in Age at `now_ns`.
  uint64_t age_s(int64_t now_ns) const noexcept;
  // Whether a request with these header values may be served this entry;
  // `value_of(name)` gives the request's value of a header ("" when absent).
  template <class ValueOf>
  bool vary_matches(ValueOf&& value_of) const {
    for (const auto& [name, value] : vary)
      if (value_of(name) != value) return false;
    return true;
  }
  // What the entry counts against max_bytes, with its key.
  size_t bytes(size_t key_size) const noexcept;
};
using CachedAnswerPtr = std::shared_ptr<const CachedAnswer>;

class CacheStore {
 public:
  struct Limits {
    size_t max_entries = 10000;
    size_t max_bytes = 64u << 20;
  };
  static constexpr size_t kDefaultShards = 16;

  explicit CacheStore(Limits limits, size_t shards = kDefaultShards);
  CacheStore(const CacheStore&) = delete;
  CacheStore& operator=(const CacheStore&) = delete;

  // A reload may change the bounds; they apply from the next put.
  void set_limits(Limits limits) noexcept;

  // The fresh entry under `key`, or null; an expired one is removed.
  CachedAnswerPtr find(std::string_view key, int64_t now_ns);
  // Stores (or replaces) `answer` under `key`, evicting least recently used
  // entries past the bounds. False when the entry alone is larger than
  // max_bytes (not stored).
  bool put(std::string_view key, CachedAnswerPtr answer);
  // Removes every entry whose path starts with `prefix` ("/" empties the
  // store); the count removed.
  size_t purge(std::string_view prefix);

  size_t entries() const noexcept { return entries_.load(std::memory_order_relaxed); }
  size_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }

 private:
  struct Node {
    std::string key;
    CachedAnswerPtr answer;
    size_t bytes;
  };
  struct Shard {
    std::mutex mu;
    std::list<Node> lru;  // most recently used first
    std::unordered_map<std::string_view, std::list<Node>::iterator> index;  // views into Node::key
  };
  Shard& shard_for(std::string_view key) noexcept;
  void erase_locked(Shard& s, std::list<Node>::iterator it) noexcept;
  // Evicts from the tails of the shards, starting with `first`, until the
  // totals are within the bounds.
  void evict_past_limits(size_t first) noexcept;

  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<size_t> max_entries_;
  std::atomic<size_t> max_bytes_;
  std::atomic<size_t> entries_{0};
  std::atomic<size_t> bytes_{0};
};

}  // namespace apigw::policy
