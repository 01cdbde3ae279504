// CacheStore lookups, in ns per HIT: find() on a store of 10,000 entries
// (key hash, shard lock, LRU touch, shared_ptr copy), on one thread and on
// two threads at once over the same keys. The fastest of a few rounds counts.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "policy/cache_store.hpp"

namespace ap = apigw::policy;

namespace {

constexpr int kEntries = 10000;
constexpr int kLookups = 1000000;
constexpr int kRounds = 5;

std::vector<std::string> make_keys() {
  std::vector<std::string> keys;
  for (int i = 0; i < kEntries; ++i) keys.push_back("GET\napi.example.com\n/v1/items/" + std::to_string(i) + "?page=1");
  return keys;
}

// ns per lookup on each of `threads` threads.
double run(ap::CacheStore& store, const std::vector<std::string>& keys, int threads) {
  std::atomic<uint64_t> found{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      uint64_t n = 0;
      for (size_t i = 0; i < kLookups; ++i) {
        const std::string& key = keys[(i * 7919 + static_cast<size_t>(t) * 13) % kEntries];  // spread over the store
        n += store.find(key, 0) != nullptr;
      }
      found += n;
    });
  for (auto& th : pool) th.join();
  double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  if (found != static_cast<uint64_t>(kLookups) * threads) std::printf("bench error: a lookup missed\n");
  return ns / kLookups;
}

}  // namespace

int main() {
  ap::CacheStore store({kEntries, 1ull << 30});
  auto keys = make_keys();
  for (const std::string& k : keys) {
    auto a = std::make_shared<ap::CachedAnswer>();
    a->body.assign(512, 'x');
    a->headers = {{"content-type", "application/json"}};
    a->expires_ns = INT64_MAX;
    store.put(k, std::move(a));
  }
  double one = 1e18, two = 1e18;
  for (int r = 0; r < kRounds; ++r) {
    one = std::min(one, run(store, keys, 1));
    two = std::min(two, run(store, keys, 2));
  }
  std::printf("cache store find (HIT, %d entries, 1 thread): %.1f ns/op\n", kEntries, one);
  std::printf("cache store find (HIT, %d entries, 2 threads): %.1f ns/op per thread\n", kEntries, two);
  return 0;
}
