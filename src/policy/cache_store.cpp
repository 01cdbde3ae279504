#include "policy/cache_store.hpp"

#include <functional>

namespace apigw::policy {
namespace {
// Bookkeeping per entry beyond its bytes (node, index slot, shared_ptr block),
// so that many tiny entries still count against max_bytes.
constexpr size_t kEntryOverhead = 256;
}  // namespace

uint64_t CachedAnswer::age_s(int64_t now_ns) const noexcept {
  int64_t since = now_ns > stored_ns ? now_ns - stored_ns : 0;
  return origin_age_s + static_cast<uint64_t>(since / 1'000'000'000);
}

size_t CachedAnswer::bytes(size_t key_size) const noexcept {
  size_t n = kEntryOverhead + key_size + body.size() + path.size();
  for (const auto& [k, v] : headers) n += k.size() + v.size();
  for (const auto& [k, v] : vary) n += k.size() + v.size();
  return n;
}

CacheStore::CacheStore(Limits limits, size_t shards)
    : max_entries_(limits.max_entries), max_bytes_(limits.max_bytes) {
  if (shards == 0) shards = 1;
  for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

void CacheStore::set_limits(Limits limits) noexcept {
  max_entries_.store(limits.max_entries, std::memory_order_relaxed);
  max_bytes_.store(limits.max_bytes, std::memory_order_relaxed);
}

CacheStore::Shard& CacheStore::shard_for(std::string_view key) noexcept {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

void CacheStore::erase_locked(Shard& s, std::list<Node>::iterator it) noexcept {
  entries_.fetch_sub(1, std::memory_order_relaxed);
  bytes_.fetch_sub(it->bytes, std::memory_order_relaxed);
  s.index.erase(std::string_view(it->key));
  s.lru.erase(it);
}

CachedAnswerPtr CacheStore::find(std::string_view key, int64_t now_ns) {
  Shard& s = shard_for(key);
  std::lock_guard<std::mutex> lock(s.mu);
  auto found = s.index.find(key);
  if (found == s.index.end()) return nullptr;
  auto it = found->second;
  if (now_ns >= it->answer->expires_ns) {
    erase_locked(s, it);
    return nullptr;
  }
  s.lru.splice(s.lru.begin(), s.lru, it);
  return it->answer;
}

bool CacheStore::put(std::string_view key, CachedAnswerPtr answer) {
  const size_t bytes = answer->bytes(key.size());
  if (bytes > max_bytes_.load(std::memory_order_relaxed) || max_entries_.load(std::memory_order_relaxed) == 0)
    return false;
  const size_t index = std::hash<std::string_view>{}(key) % shards_.size();
  {
    Shard& s = *shards_[index];
    std::lock_guard<std::mutex> lock(s.mu);
    if (auto found = s.index.find(key); found != s.index.end()) erase_locked(s, found->second);
    s.lru.push_front(Node{std::string(key), std::move(answer), bytes});
    try {
      s.index.emplace(std::string_view(s.lru.front().key), s.lru.begin());
    } catch (...) {
      s.lru.pop_front();
      throw;
    }
    entries_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  evict_past_limits(index);
  return true;
}

void CacheStore::evict_past_limits(size_t first) noexcept {
  auto over = [this] {
    return entries_.load(std::memory_order_relaxed) > max_entries_.load(std::memory_order_relaxed) ||
           bytes_.load(std::memory_order_relaxed) > max_bytes_.load(std::memory_order_relaxed);
  };
  // One lock at a time: no lock order to get wrong. The shard just written
  // first (its tail is its least recently used entry), then the others.
  for (size_t n = 0; n < shards_.size() && over(); ++n) {
    Shard& s = *shards_[(first + n) % shards_.size()];
    std::lock_guard<std::mutex> lock(s.mu);
    // The newest entry of the shard written to stays: it is what was just put.
    while (over() && s.lru.size() > (n == 0 ? 1u : 0u)) erase_locked(s, std::prev(s.lru.end()));
  }
}

size_t CacheStore::purge(std::string_view prefix) {
  size_t removed = 0;
  for (auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mu);
    for (auto it = shard->lru.begin(); it != shard->lru.end();) {
      auto next = std::next(it);
      if (std::string_view(it->answer->path).starts_with(prefix)) {
        erase_locked(*shard, it);
        ++removed;
      }
      it = next;
    }
  }
  return removed;
}

}  // namespace apigw::policy
