#include "upstream/balancer.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using apigw::Balance;
using apigw::upstream::Balancer;
using apigw::upstream::hash_key;
using apigw::upstream::make_balancer;

namespace {

std::vector<std::string> addrs(size_t n, size_t first = 1) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back("10.0.0." + std::to_string(first + i) + ":8080");
  return out;
}

std::unique_ptr<Balancer> make(Balance kind, std::vector<uint32_t> weights, uint64_t seed = 42) {
  return make_balancer(kind, weights, addrs(weights.size()), seed);
}

const Balance kAllKinds[] = {Balance::kRoundRobin, Balance::kLeastConn, Balance::kPeakEwma,
                             Balance::kConsistentHash, Balance::kRandom};

// Target of each of `keys` keys on a ring over `addresses` (equal weights).
std::vector<int> ring_map(const std::vector<std::string>& addresses, int keys, const uint8_t* eligible = nullptr,
                          uint32_t weight = 1) {
  auto b = make_balancer(Balance::kConsistentHash, std::vector<uint32_t>(addresses.size(), weight), addresses, 1);
  std::vector<int> out;
  out.reserve(static_cast<size_t>(keys));
  for (int k = 0; k < keys; ++k) out.push_back(b->pick(eligible, hash_key("user-" + std::to_string(k))));
  return out;
}

}  // namespace

TEST_CASE("balancer: hash_key is stable and spreads") {
  // Pinned: a change would remap every sticky key across a mixed-version fleet.
  CHECK(hash_key("") == hash_key(""));
  CHECK(hash_key("10.0.0.1:8080#0") == hash_key(std::string("10.0.0.1:8080#") + "0"));
  CHECK(hash_key("a") != hash_key("b"));
  CHECK(hash_key("abc") != hash_key(std::string("abc\0", 4)));
  CHECK(hash_key("") == 0x730b160de6496655ull);
  CHECK(hash_key("user-1") == 0x8628d30c05ef214eull);
  CHECK(hash_key("a fairly long key, longer than sixteen bytes") == 0x1c7c254fedf6eac9ull);
  // Avalanche: flipping one input bit flips about half the output bits.
  int total = 0, trials = 0;
  for (int i = 0; i < 200; ++i) {
    std::string s = "key-" + std::to_string(i * 7919);
    const uint64_t h = hash_key(s);
    for (size_t byte = 0; byte < s.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string t = s;
        t[byte] = static_cast<char>(t[byte] ^ (1 << bit));
        total += __builtin_popcountll(h ^ hash_key(t));
        ++trials;
      }
    }
  }
  const double mean = static_cast<double>(total) / trials;
  CHECK(mean > 31.0);
  CHECK(mean < 33.0);
}

TEST_CASE("balancer: round robin follows nginx's smooth weighted sequence") {
  auto b = make(Balance::kRoundRobin, {5, 1, 1});
  std::string seq;
  for (int i = 0; i < 14; ++i) seq += static_cast<char>('a' + b->pick(nullptr, 0));
  CHECK(seq == "aabacaaaabacaa");
}

TEST_CASE("balancer: round robin with equal weights is plain rotation") {
  auto b = make(Balance::kRoundRobin, {2, 2, 2, 2});
  std::vector<int> got;
  for (int i = 0; i < 8; ++i) got.push_back(b->pick(nullptr, 0));
  CHECK(got == std::vector<int>{0, 1, 2, 3, 0, 1, 2, 3});
}

TEST_CASE("balancer: round robin skips ineligible targets and keeps the weights among the rest") {
  SUBCASE("weighted") {
    auto b = make(Balance::kRoundRobin, {5, 1, 3});
    const uint8_t eligible[] = {1, 0, 1};
    int counts[3] = {};
    for (int i = 0; i < 800; ++i) {
      int t = b->pick(eligible, 0);
      REQUIRE(t >= 0);
      ++counts[t];
    }
    CHECK(counts[1] == 0);
    CHECK(counts[0] == 500);
    CHECK(counts[2] == 300);
  }
  SUBCASE("equal weights") {
    auto b = make(Balance::kRoundRobin, {1, 1, 1, 1});
    const uint8_t eligible[] = {1, 0, 0, 1};
    std::vector<int> got;
    for (int i = 0; i < 6; ++i) got.push_back(b->pick(eligible, 0));
    CHECK(got == std::vector<int>{0, 3, 0, 3, 0, 3});
  }
}

TEST_CASE("balancer: every kind returns -1 when nothing is eligible and only eligible targets otherwise") {
  for (Balance kind : kAllKinds) {
    CAPTURE(static_cast<int>(kind));
    auto b = make(kind, {1, 3, 2, 5, 1});
    const uint8_t none[] = {0, 0, 0, 0, 0};
    CHECK(b->pick(none, 123) == -1);
    const uint8_t one[] = {0, 0, 0, 1, 0};
    for (int i = 0; i < 50; ++i) CHECK(b->pick(one, hash_key(std::to_string(i))) == 3);
    // Random masks: always an eligible index, -1 exactly when the mask is empty.
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 2000; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      uint8_t mask[5];
      bool any = false;
      for (int j = 0; j < 5; ++j) any |= (mask[j] = static_cast<uint8_t>((x >> (j * 3)) & 1)) != 0;
      int t = b->pick(mask, x);
      if (!any) {
        CHECK(t == -1);
      } else {
        REQUIRE(t >= 0);
        REQUIRE(t < 5);
        CHECK(mask[t] != 0);
      }
    }
    auto single = make(kind, {7});
    CHECK(single->pick(nullptr, 5) == 0);
    const uint8_t off[] = {0};
    CHECK(single->pick(off, 5) == -1);
  }
}

TEST_CASE("balancer: in-flight counts follow on_start/on_finish") {
  for (Balance kind : kAllKinds) {
    CAPTURE(static_cast<int>(kind));
    auto b = make(kind, {1, 1});
    b->on_start(1);
    b->on_start(1);
    CHECK(b->in_flight(1) == 2);
    b->on_finish(1, 1000, 1000);
    CHECK(b->in_flight(1) == 1);
    b->on_finish(0, 1000, 1000);  // stray finish: no wrap-around
    CHECK(b->in_flight(0) == 0);
    b->on_start(9);  // out of range: ignored
    CHECK(b->in_flight(9) == 0);
  }
}

TEST_CASE("balancer: least_conn prefers the less loaded target") {
  auto b = make(Balance::kLeastConn, {1, 1, 1});
  for (int i = 0; i < 10; ++i) b->on_start(0);
  int counts[3] = {};
  for (int i = 0; i < 1000; ++i) {
    int t = b->pick(nullptr, 0);
    REQUIRE(t >= 0);
    ++counts[t];
    b->on_start(static_cast<uint32_t>(t));
    b->on_finish(static_cast<uint32_t>(t), 1000000, i);
  }
  CHECK(counts[0] < 50);
  CHECK(counts[1] > 400);
  CHECK(counts[2] > 400);
}

TEST_CASE("balancer: least_conn balances open requests by weight") {
  // Requests that never finish: the in-flight counts end up proportional to the weights.
  auto b = make(Balance::kLeastConn, {1, 3});
  for (int i = 0; i < 400; ++i) b->on_start(static_cast<uint32_t>(b->pick(nullptr, 0)));
  CHECK(b->in_flight(0) >= 98);
  CHECK(b->in_flight(0) <= 102);
  CHECK(b->in_flight(0) + b->in_flight(1) == 400);
}

TEST_CASE("balancer: random follows the weights") {
  auto b = make(Balance::kRandom, {1, 2, 7}, 7);
  int counts[3] = {};
  const int n = 100000;
  for (int i = 0; i < n; ++i) ++counts[b->pick(nullptr, 0)];
  CHECK(counts[0] == doctest::Approx(n * 0.1).epsilon(0.05));
  CHECK(counts[1] == doctest::Approx(n * 0.2).epsilon(0.05));
  CHECK(counts[2] == doctest::Approx(n * 0.7).epsilon(0.05));

  SUBCASE("restricted to the eligible targets") {
    const uint8_t eligible[] = {1, 1, 0};
    int c[3] = {};
    for (int i = 0; i < 30000; ++i) ++c[b->pick(eligible, 0)];
    CHECK(c[2] == 0);
    CHECK(c[0] == doctest::Approx(10000).epsilon(0.05));
    CHECK(c[1] == doctest::Approx(20000).epsilon(0.05));
  }
}

TEST_CASE("balancer: random and P2C depend on the seed only") {
  for (Balance kind : {Balance::kRandom, Balance::kLeastConn, Balance::kPeakEwma}) {
    auto a = make(kind, {1, 2, 3, 4}, 99), b = make(kind, {1, 2, 3, 4}, 99), c = make(kind, {1, 2, 3, 4}, 100);
    int same = 0, differ = 0;
    for (int i = 0; i < 200; ++i) {
      int pa = a->pick(nullptr, 0), pb = b->pick(nullptr, 0), pc = c->pick(nullptr, 0);
      same += pa == pb;
      differ += pa != pc;
    }
    CHECK(same == 200);
    CHECK(differ > 0);
  }
}

TEST_CASE("balancer: peak_ewma steers away from a slow target and recovers as time passes") {
  constexpr int64_t kMs = 1000000, kS = 1000000000;
  auto b = make(Balance::kPeakEwma, {1, 1, 1});
  auto feed = [&](uint32_t t, int64_t latency, int64_t now) {
    b->on_start(t);
    b->on_finish(t, latency, now);
  };
  // Unmeasured targets cost 0: they are tried first.
  feed(0, 100 * kMs, 1 * kS);
  feed(1, 1 * kMs, 1 * kS);
  for (int i = 0; i < 20; ++i) CHECK(b->pick(nullptr, 0) != 0);  // 2 is free, 1 is fast
  feed(2, 1 * kMs, 1 * kS);

  auto count_slow = [&](int picks) {
    int slow = 0;
    for (int i = 0; i < picks; ++i) slow += b->pick(nullptr, 0) == 0;
    return slow;
  };
  CHECK(count_slow(1000) == 0);  // both other targets are 100x cheaper

  // A minute later (fast answers from the others advance the clock), target
  // 0's old 100 ms estimate has decayed to ~0.25 ms: it wins every pair it is in.
  feed(1, 1 * kMs, 61 * kS);
  feed(2, 1 * kMs, 61 * kS);
  CHECK(count_slow(1000) > 550);

  // A peak registers at once and is not averaged away by a fast sample at the same time.
  auto p = make(Balance::kPeakEwma, {1, 1});
  auto feed_p = [&](uint32_t t, int64_t latency, int64_t now) {
    p->on_start(t);
    p->on_finish(t, latency, now);
  };
  feed_p(0, 100 * kMs, 1 * kS);
  feed_p(1, 1 * kMs, 1 * kS);
  CHECK(p->pick(nullptr, 0) == 1);
  feed_p(1, 500 * kMs, 2 * kS);
  CHECK(p->pick(nullptr, 0) == 0);
  feed_p(1, 1 * kMs, 2 * kS);  // no time elapsed: w = 1, the peak stays
  CHECK(p->pick(nullptr, 0) == 0);
  // Then steady samples: 30 s = 3 tau on, target 1's estimate is ~26 ms, target 0's 100 ms.
  for (int64_t t = 3; t <= 32; ++t) {
    feed_p(0, 100 * kMs, t * kS);
    feed_p(1, 1 * kMs, t * kS);
  }
  CHECK(p->pick(nullptr, 0) == 1);

  // Load counts too: in-flight requests raise a target's cost.
  auto c = make(Balance::kPeakEwma, {1, 1});
  c->on_start(0);
  c->on_finish(0, 10 * kMs, kS);
  c->on_start(1);
  c->on_finish(1, 10 * kMs, kS);
  for (int i = 0; i < 5; ++i) c->on_start(0);
  for (int i = 0; i < 10; ++i) CHECK(c->pick(nullptr, 0) == 1);
}

TEST_CASE("balancer: peak_ewma sends one probe at a time to an unmeasured target") {
  auto b = make(Balance::kPeakEwma, {1, 1});
  b->on_start(0);
  b->on_finish(0, 50 * 1000000, 1000000000);
  CHECK(b->pick(nullptr, 0) == 1);  // unmeasured and idle: cost 0
  b->on_start(1);
  CHECK(b->pick(nullptr, 0) == 0);  // its probe is still out: penalty
}

TEST_CASE("balancer: consistent hash maps a key to the same target, in any balancer instance") {
  auto a = make_balancer(Balance::kConsistentHash, {1, 1, 1}, addrs(3), 1);
  auto b = make_balancer(Balance::kConsistentHash, {1, 1, 1}, addrs(3), 2);
  for (int k = 0; k < 1000; ++k) {
    const uint64_t h = hash_key("session-" + std::to_string(k));
    const int t = a->pick(nullptr, h);
    CHECK(a->pick(nullptr, h) == t);
    CHECK(b->pick(nullptr, h) == t);
  }
}

TEST_CASE("balancer: consistent hash wraps past the last ring point to the first") {
  auto b = make(Balance::kConsistentHash, {1, 1, 1, 1, 1});
  for (int i = 0; i < 5; ++i) {
    CHECK(b->pick(nullptr, UINT64_MAX) == b->pick(nullptr, 0));
    // And the walk wraps too: disable the first point's owner.
    uint8_t eligible[5] = {1, 1, 1, 1, 1};
    eligible[b->pick(nullptr, 0)] = 0;
    CHECK(b->pick(eligible, UINT64_MAX) == b->pick(eligible, 0));
  }
}

TEST_CASE("balancer: consistent hash spreads keys evenly over equal targets") {
  const int keys = 100000;
  auto map = ring_map(addrs(4), keys);
  int counts[4] = {};
  for (int t : map) ++counts[t];
  for (int c : counts) CHECK(c == doctest::Approx(keys / 4).epsilon(0.10));
}

TEST_CASE("balancer: consistent hash follows weights") {
  auto b = make(Balance::kConsistentHash, {1, 3});
  int counts[2] = {};
  for (int k = 0; k < 100000; ++k) ++counts[b->pick(nullptr, hash_key("k" + std::to_string(k)))];
  CHECK(counts[1] == doctest::Approx(75000).epsilon(0.10));
}

TEST_CASE("balancer: adding a target moves about 1/N of the keys, all onto the new target") {
  const int keys = 100000;
  // Weight 100 each: past the point cap as-is, the gcd keeps the ring stable.
  for (uint32_t weight : {1u, 100u}) {
    CAPTURE(weight);
    auto before = ring_map(addrs(4), keys, nullptr, weight);
    auto after = ring_map(addrs(5), keys, nullptr, weight);
    int moved = 0, between_old = 0;
    for (int k = 0; k < keys; ++k) {
      if (before[k] == after[k]) continue;
      ++moved;
      between_old += after[k] != 4;
    }
    CHECK(between_old == 0);
    CHECK(moved > keys * 15 / 100);
    CHECK(moved < keys * 25 / 100);
  }
}

TEST_CASE("balancer: an ineligible target's keys move, and only those") {
  const int keys = 50000;
  auto before = ring_map(addrs(4), keys);
  const uint8_t eligible[] = {1, 1, 0, 1};
  auto after = ring_map(addrs(4), keys, eligible);
  int moved = 0;
  int spread[4] = {};
  for (int k = 0; k < keys; ++k) {
    if (before[k] == 2) {
      CHECK(after[k] != 2);
      ++spread[after[k]];
      ++moved;
    } else {
      CHECK(after[k] == before[k]);
    }
  }
  CHECK(moved > 0);
  // Walking the ring to the next eligible point is the same as removing the target.
  auto without = ring_map({"10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.4:8080"}, keys);
  const int index_of[] = {0, 1, 3};
  int differ = 0;
  for (int k = 0; k < keys; ++k) differ += after[k] != index_of[without[k]];
  CHECK(differ == 0);
  // The orphaned keys spread over the ring neighbours, not all onto one target.
  for (int t : {0, 1, 3}) CHECK(spread[t] > moved / 10);
}

TEST_CASE("balancer: consistent hash with a capped ring and mostly ineligible targets") {
  // 100 targets of weight 1000: far above the 64k point cap, still one point each at least.
  std::vector<uint32_t> weights(100, 1000);
  weights[7] = 1;
  auto b = make_balancer(Balance::kConsistentHash, weights, addrs(100), 1);
  std::vector<uint8_t> eligible(100, 0);
  eligible[7] = 1;  // the lone survivor owns a single point: the walk gives up, rendezvous answers
  for (int k = 0; k < 100; ++k) CHECK(b->pick(eligible.data(), hash_key(std::to_string(k))) == 7);
  eligible[7] = 0;
  CHECK(b->pick(eligible.data(), 1) == -1);
  eligible[42] = eligible[43] = 1;
  int counts[2] = {};
  for (int k = 0; k < 2000; ++k) {
    const uint64_t h = hash_key(std::to_string(k));
    const int t = b->pick(eligible.data(), h);
    REQUIRE((t == 42 || t == 43));
    CHECK(b->pick(eligible.data(), h) == t);  // deterministic even off the ring
    ++counts[t - 42];
  }
  CHECK(counts[0] > 600);
  CHECK(counts[1] > 600);
}
