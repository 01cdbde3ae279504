// The local rate limit's key table: its fingerprint, one slot per key under
// concurrent inserts, expiry and reuse, the overflow bucket, exact counts
// from several threads.
#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "policy/gcra.hpp"
#include "policy/key_table.hpp"
#include "policy/siphash.hpp"

namespace {

using apigw::policy::KeyTable;

constexpr int64_t kSecond = 1'000'000'000;

// A decision that stores `tat` (above the one it is given); one that counts
// (TAT + 1, from at least `now`).
auto store_tat(int64_t tat) {
  return [tat](int64_t) -> std::optional<int64_t> { return tat; };
}
auto count_one(int64_t now) {
  return [now](int64_t tat) -> std::optional<int64_t> { return std::max(tat, now) + 1; };
}
int64_t tat_of(KeyTable& t, std::string_view key, int64_t now) {
  int64_t seen = -1;
  t.update(key, now, [&](int64_t tat) -> std::optional<int64_t> {
    seen = tat;
    return std::nullopt;
  });
  return seen;
}

}  // namespace

TEST_CASE("key table: SipHash gives the published SipHash-2-4 test vectors") {
  // Key 00 01 .. 0f; the paper's message 00 01 .. 0e, and the empty message (128-bit output).
  const uint64_t k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull;
  std::string message;
  for (char c = 0; c < 15; ++c) message += c;
  CHECK(apigw::policy::siphash64<2, 4>(k0, k1, message) == 0xa129ca6149be45e5ull);
  apigw::policy::Hash128 empty = apigw::policy::siphash128<2, 4>(k0, k1, "");
  CHECK(empty.lo == 0xe6a825ba047f81a3ull);
  CHECK(empty.hi == 0x930255c71472f66dull);
}

TEST_CASE("key table: capacity is the power of two at or above twice max_keys") {
  CHECK(KeyTable(1).capacity() == 2);
  CHECK(KeyTable(100).capacity() == 256);
  CHECK(KeyTable(100000).capacity() == 262144);
  CHECK(sizeof(KeyTable) < 256);  // the slots are a separate reservation of capacity x kSlotBytes
}

TEST_CASE("key table: one new key added by several threads at once gets exactly one slot and every decision") {
  constexpr int kThreads = 4;
  constexpr int kRounds = 300;
  KeyTable t(1000);
  const int64_t now = 10 * kSecond;
  std::barrier start(kThreads);
  std::atomic<int> untracked{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      for (int round = 0; round < kRounds; ++round) {
        start.arrive_and_wait();  // all threads add round's key at once
        if (!t.update("key-" + std::to_string(round), now, count_one(now))) untracked.fetch_add(1);
      }
    });
  for (auto& th : threads) th.join();
  CHECK(untracked.load() == 0);
  CHECK(t.size() == kRounds);  // one slot per key
  for (int round = 0; round < kRounds; ++round)
    REQUIRE(tat_of(t, "key-" + std::to_string(round), now) == now + kThreads);  // no decision lost
}

TEST_CASE("key table: an idle key's slot is reclaimed and reused, and the new key starts with a full bucket") {
  KeyTable t(1);  // two slots, one key at a time
  CHECK(t.update("old", 0, store_tat(5 * kSecond)));
  CHECK_FALSE(t.update("new", kSecond, store_tat(9 * kSecond)));  // "old" is active: "new" overflows
  // Past "old"'s TAT by the grace: "new" takes its place, with a full bucket (TAT not after now).
  const int64_t later = 5 * kSecond + KeyTable::kIdleGraceNs;
  int64_t first = -1;
  CHECK(t.update("new", later, [&](int64_t tat) -> std::optional<int64_t> {
    first = tat;
    return later + kSecond;
  }));
  CHECK(first <= later);
  CHECK(t.size() == 1);
  CHECK(tat_of(t, "new", later) == later + kSecond);
  // And "old", back, is a new key again (its state was forgotten: its bucket was full anyway).
  CHECK(t.update("old", later + 2 * kSecond + KeyTable::kIdleGraceNs, store_tat(later + 3 * kSecond)));
  CHECK(t.size() == 1);
}

TEST_CASE("key table: a decision on a slot reclaimed and reused meanwhile runs again, never on the new key") {
  // Between reading the TAT and storing, the decision itself makes "a" idle
  // and adds "b", which reclaims "a" (maybe into the very same slot).
  // Many tables: the slot "b" lands in depends on the per-table hash key.
  for (int table = 0; table < 64; ++table) {
    KeyTable t(1);
    REQUIRE(t.update("a", 0, store_tat(1)));
    const int64_t now = 10 * kSecond;
    int calls = 0;
    bool tracked = t.update("a", now, [&](int64_t tat) -> std::optional<int64_t> {
      if (++calls == 1) REQUIRE(t.update("b", now, store_tat(now + 5)));
      return std::max(tat, now) + 7;
    });
    CHECK(calls >= 2);
    CHECK_FALSE(tracked);                       // "b" is active and max_keys is 1: "a" is judged by the overflow bucket
    CHECK(tat_of(t, "b", now) == now + 5);      // "a"'s decision never landed on "b"
  }
}

TEST_CASE("key table: when max_keys keys are active new keys share the overflow bucket, and get slots once keys idle") {
  KeyTable t(8);
  const int64_t now = kSecond;
  for (int i = 0; i < 8; ++i) REQUIRE(t.update("k" + std::to_string(i), now, store_tat(now + kSecond)));
  for (int i = 8; i < 20; ++i) CHECK_FALSE(t.update("k" + std::to_string(i), now, count_one(now)));
  CHECK(tat_of(t, "k19", now) == now + 12);  // twelve untracked keys, one bucket
  CHECK(t.size() == 8);
  const int64_t idle = now + kSecond + KeyTable::kIdleGraceNs;
  for (int i = 8; i < 16; ++i) CHECK(t.update("k" + std::to_string(i), idle, store_tat(idle + kSecond)));
  CHECK(t.size() == 8);
}

TEST_CASE("key table: threads hammering one key while others churn around it get exactly limit + burst through") {
  constexpr int kDeciders = 2;
  constexpr int kEach = 3000;
  KeyTable t(512);  // 1,024 slots
  const int64_t now = 100 * kSecond;  // fixed: no refill while the threads run
  const apigw::policy::GcraParams params{kSecond, 1000};  // 1 per second, a bucket of 1,000
  std::atomic<int> allowed{0}, untracked{0};
  std::atomic<bool> done{false};
  std::barrier start(kDeciders + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kDeciders; ++i)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int n = 0; n < kEach; ++n) {
        bool ok = false;
        if (!t.update("hot", now, [&](int64_t tat) -> std::optional<int64_t> {
              auto d = apigw::policy::gcra_decide(params, tat, now);
              ok = d.allowed;
              return d.allowed ? std::optional<int64_t>(d.new_tat) : std::nullopt;
            }))
          untracked.fetch_add(1);
        if (ok) allowed.fetch_add(1);
      }
    });
  // New keys on a clock of their own that stays behind "hot"'s: each is idle
  // 250 keys later, so slots are reclaimed and reused all around "hot"'s.
  threads.emplace_back([&] {
    start.arrive_and_wait();
    for (int n = 0; n < 20000 && !done.load(); ++n) {
      const int64_t churn_now = n * (kSecond / 250);
      t.update("churn-" + std::to_string(n), churn_now, count_one(churn_now));
    }
  });
  for (int i = 0; i < kDeciders; ++i) threads[i].join();
  done = true;
  threads.back().join();
  CHECK(untracked.load() == 0);
  CHECK(allowed.load() == 1000);
}
