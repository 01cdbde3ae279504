// CacheStore and CacheCoalescer on a plain clock (nanosecond integers).
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "policy/cache_coalescer.hpp"
#include "policy/cache_store.hpp"

using apigw::policy::CacheCoalescer;
using apigw::policy::CachedAnswer;
using apigw::policy::CachedAnswerPtr;
using apigw::policy::CacheStore;

namespace {
constexpr int64_t kSecond = 1'000'000'000;

CachedAnswerPtr answer(std::string path, std::string body = "b", int64_t stored = 0, int64_t ttl_s = 60) {
  auto a = std::make_shared<CachedAnswer>();
  a->path = std::move(path);
  a->body = std::move(body);
  a->stored_ns = stored;
  a->expires_ns = stored + ttl_s * kSecond;
  return a;
}
}  // namespace

TEST_CASE("cache store: entries are fresh until their expiry, then removed when read") {
  CacheStore store({100, 1 << 20});
  REQUIRE(store.put("k", answer("/a", "body", 0, 10)));
  auto hit = store.find("k", 9 * kSecond);
  REQUIRE(hit);
  CHECK(hit->body == "body");
  CHECK(hit->age_s(9 * kSecond + 500'000'000) == 9);
  CHECK_FALSE(store.find("k", 10 * kSecond));
  CHECK(store.entries() == 0);
  CHECK(store.bytes() == 0);
  CHECK_FALSE(store.find("absent", 0));
}

TEST_CASE("cache store: a reader keeps its entry while it is replaced") {
  CacheStore store({100, 1 << 20});
  store.put("k", answer("/a", "old"));
  auto held = store.find("k", 0);
  store.put("k", answer("/a", "new"));
  CHECK(held->body == "old");
  CHECK(store.find("k", 0)->body == "new");
  CHECK(store.entries() == 1);
}

TEST_CASE("cache store: LRU by entries evicts the least recently used") {
  CacheStore store({3, 1 << 20}, 1);
  store.put("a", answer("/a"));
  store.put("b", answer("/b"));
  store.put("c", answer("/c"));
  CHECK(store.find("a", 0));  // a is now the most recent
  store.put("d", answer("/d"));
  CHECK(store.entries() == 3);
  CHECK_FALSE(store.find("b", 0));
  CHECK(store.find("a", 0));
  CHECK(store.find("c", 0));
  CHECK(store.find("d", 0));
}

TEST_CASE("cache store: LRU by bytes, and an entry larger than max_bytes is refused") {
  const size_t one = answer("/x", std::string(1000, 'x'))->bytes(1);
  CacheStore store({100, one * 2}, 1);
  store.put("a", answer("/x", std::string(1000, 'x')));
  store.put("b", answer("/x", std::string(1000, 'x')));
  CHECK(store.bytes() == one * 2);
  store.put("c", answer("/x", std::string(1000, 'x')));
  CHECK(store.entries() == 2);
  CHECK(store.bytes() <= one * 2);
  CHECK_FALSE(store.find("a", 0));
  CHECK_FALSE(store.put("huge", answer("/x", std::string(one * 2, 'x'))));
  CHECK(store.find("b", 0));
}

TEST_CASE("cache store: the bounds hold across shards") {
  CacheStore store({50, 1 << 20});
  for (int i = 0; i < 500; ++i) store.put("key" + std::to_string(i), answer("/p"));
  CHECK(store.entries() == 50);
  store.set_limits({10, 1 << 20});
  store.put("one more", answer("/p"));
  CHECK(store.entries() == 10);
}

TEST_CASE("cache store: purge by path prefix") {
  CacheStore store({100, 1 << 20});
  store.put("GET\nh\n/v1/a", answer("/v1/a"));
  store.put("GET\nh\n/v1/b?q", answer("/v1/b"));
  store.put("GET\nh\n/v2/a", answer("/v2/a"));
  store.put("GET\nh\n/v10", answer("/v10"));
  CHECK(store.purge("/v1/") == 2);
  CHECK(store.entries() == 2);
  CHECK(store.find("GET\nh\n/v10", 0));
  CHECK(store.purge("/nothing") == 0);
  CHECK(store.purge("/") == 2);
  CHECK(store.entries() == 0);
  CHECK(store.bytes() == 0);
}

TEST_CASE("cache store: Vary matches the request header values the entry was stored with") {
  auto a = std::make_shared<CachedAnswer>();
  a->vary = {{"accept-language", "en"}, {"accept-encoding", ""}};
  auto with = [](std::string lang, std::string enc) {
    return [=](std::string_view name) -> std::string_view { return name == "accept-language" ? lang : enc; };
  };
  CHECK(a->vary_matches(with("en", "")));
  CHECK_FALSE(a->vary_matches(with("fr", "")));
  CHECK_FALSE(a->vary_matches(with("en", "gzip")));
}

TEST_CASE("cache coalescer: one leader per key, and waiters get its answer or null to fetch themselves") {
  CacheCoalescer c;
  std::vector<CachedAnswerPtr> got;
  int made = 0;
  auto waiter = [&] {
    ++made;
    return CacheCoalescer::Waiter([&](const CachedAnswerPtr& a) { got.push_back(a); });
  };
  CHECK(c.join("k", 2, waiter) == CacheCoalescer::Role::kLeader);
  CHECK(made == 0);  // a leader sets up no waiter
  CHECK(c.join("k", 2, waiter) == CacheCoalescer::Role::kWaiter);
  CHECK(c.join("k", 2, waiter) == CacheCoalescer::Role::kWaiter);
  CHECK(c.join("k", 2, waiter) == CacheCoalescer::Role::kAlone);  // the cap
  CHECK(c.join("other", 2, waiter) == CacheCoalescer::Role::kLeader);
  auto a = answer("/k");
  c.done("k", a);
  REQUIRE(got.size() == 2);
  CHECK(got[0] == a);
  CHECK(got[1] == a);
  CHECK(c.join("k", 2, waiter) == CacheCoalescer::Role::kLeader);  // a new fetch
  CHECK(c.join("k", 2, waiter) == CacheCoalescer::Role::kWaiter);
  c.done("k", nullptr);
  CHECK(got.back() == nullptr);
  c.done("k", nullptr);  // twice: nothing left to call
  CHECK(got.size() == 3);
  c.done("other", nullptr);
  CHECK(c.in_flight() == 0);
}

TEST_CASE("cache coalescer: waiters from many threads are all answered") {
  CacheCoalescer c;
  std::atomic<int> answered{0};
  auto noop = [] { return CacheCoalescer::Waiter([](const CachedAnswerPtr&) {}); };
  REQUIRE(c.join("k", 1000, noop) == CacheCoalescer::Role::kLeader);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i)
        c.join("k", 1000, [&] { return CacheCoalescer::Waiter([&](const CachedAnswerPtr&) { ++answered; }); });
    });
  for (auto& t : threads) t.join();
  c.done("k", nullptr);
  CHECK(answered == 400);
}
