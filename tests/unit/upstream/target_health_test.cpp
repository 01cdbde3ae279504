#include "upstream/target_health.hpp"
#include "upstream/compiled_upstream.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

using apigw::CircuitBreakerOptions;
using apigw::HealthCheckOptions;
using apigw::upstream::UpstreamHealth;
using Transition = UpstreamHealth::Transition;

namespace {

constexpr int64_t kMs = 1'000'000;

CircuitBreakerOptions breaker(uint32_t failures = 3, uint32_t eject_ms = 1000,
                              uint32_t max_percent = 50) {
  CircuitBreakerOptions o;
  o.consecutive_failures = failures;
  o.eject_ms = eject_ms;
  o.max_ejected_percent = max_percent;
  return o;
}

HealthCheckOptions checks(uint32_t healthy = 2, uint32_t unhealthy = 3) {
  HealthCheckOptions o;
  o.healthy_threshold = healthy;
  o.unhealthy_threshold = unhealthy;
  return o;
}

// Fails target i until it is ejected; returns how many failures that took.
int fail_until_ejected(UpstreamHealth& h, size_t i, int64_t now, int limit = 100) {
  for (int n = 1; n <= limit; ++n) {
    if (h.record_failure(i, now)) return n;
  }
  return -1;
}

}  // namespace

TEST_CASE("health: ejection after consecutive failures") {
  UpstreamHealth h(4, breaker(3, 1000), std::nullopt);
  CHECK_FALSE(h.record_failure(0, 0));
  CHECK_FALSE(h.record_failure(0, 0));
  CHECK(h.available(0, 0));
  CHECK(h.record_failure(0, 0));  // the third in a row
  CHECK(h.ejected(0, 0));
  CHECK_FALSE(h.available(0, 0));
  CHECK(h.ejected_until_ns(0) == 1000 * kMs);
  CHECK(h.ejections(0) == 1);
  CHECK(h.available(1, 0));
  CHECK(h.ejections(1) == 0);
  // A failure while out (a try that started before) changes nothing.
  CHECK_FALSE(h.record_failure(0, 10 * kMs));
  CHECK(h.ejected_until_ns(0) == 1000 * kMs);
  CHECK(h.ejections(0) == 1);
}

TEST_CASE("health: a success breaks the failure streak") {
  UpstreamHealth h(2, breaker(3, 1000), std::nullopt);
  CHECK_FALSE(h.record_failure(0, 0));
  CHECK_FALSE(h.record_failure(0, 0));
  CHECK(h.record_success(0));        // cleared a streak of 2
  CHECK_FALSE(h.record_success(0));  // nothing left to clear
  CHECK_FALSE(h.record_failure(0, 0));
  CHECK_FALSE(h.record_failure(0, 0));
  CHECK(h.available(0, 0));
  CHECK(h.record_failure(0, 0));
}

TEST_CASE("health: ejection ends after eject_ms, repeats double, success resets") {
  UpstreamHealth h(2, breaker(2, 1000), std::nullopt);
  int64_t now = 0;
  CHECK(fail_until_ejected(h, 0, now) == 2);
  CHECK_FALSE(h.available(0, now + 999 * kMs));
  CHECK(h.available(0, now + 1000 * kMs));  // back on its own, no timer

  // The next failure after the return re-ejects, for twice as long.
  now += 1000 * kMs;
  CHECK(h.record_failure(0, now));
  CHECK(h.ejected_until_ns(0) == now + 2000 * kMs);
  now += 2000 * kMs;
  CHECK(h.record_failure(0, now));
  CHECK(h.ejected_until_ns(0) == now + 4000 * kMs);
  CHECK(h.ejections(0) == 3);

  // A success after the return resets the multiplier and the streak.
  now += 4000 * kMs;
  CHECK(h.available(0, now));
  CHECK(h.record_success(0));
  CHECK_FALSE(h.record_failure(0, now));
  CHECK(h.record_failure(0, now));
  CHECK(h.ejected_until_ns(0) == now + 1000 * kMs);
  CHECK(h.ejections(0) == 4);
}

TEST_CASE("health: the ejection multiplier is capped") {
  UpstreamHealth h(2, breaker(1, 10), std::nullopt);
  int64_t now = 0;
  for (uint32_t k = 0; k < 10; ++k) {
    REQUIRE(h.record_failure(0, now));
    const int64_t expected = int64_t{10} << std::min(k, UpstreamHealth::kMaxEjectShift);
    CHECK(h.ejected_until_ns(0) - now == expected * kMs);
    now = h.ejected_until_ns(0);
  }
}

TEST_CASE("health: max_ejected_percent is respected") {
  UpstreamHealth h(4, breaker(2, 1000, 50), std::nullopt);
  CHECK(fail_until_ejected(h, 0, 0) == 2);
  CHECK(fail_until_ejected(h, 1, 0) == 2);
  // 2 of 4 are out: the third failing target stays in.
  CHECK(fail_until_ejected(h, 2, 0, 20) == -1);
  CHECK(h.available(2, 0));
  CHECK(h.ejections(2) == 0);
  // Once the others are back, its next failure ejects it (the streak was kept).
  const int64_t later = 1000 * kMs;
  CHECK(h.record_failure(2, later));
  CHECK(h.ejections(2) == 1);
  CHECK(h.ejected_until_ns(2) == later + 1000 * kMs);  // not doubled: first real ejection
}

TEST_CASE("health: at least one ejection among two or more, none for a lone target") {
  SUBCASE("3 targets at 10%: one may go") {
    UpstreamHealth h(3, breaker(1, 1000, 10), std::nullopt);
    CHECK(h.record_failure(0, 0));
    CHECK_FALSE(h.record_failure(1, 0));
  }
  SUBCASE("0% disables ejection") {
    UpstreamHealth h(3, breaker(1, 1000, 0), std::nullopt);
    CHECK_FALSE(h.record_failure(0, 0));
  }
  SUBCASE("a lone target at 50% stays") {
    UpstreamHealth h(1, breaker(1, 1000, 50), std::nullopt);
    CHECK_FALSE(h.record_failure(0, 0));
    CHECK(h.available(0, 0));
  }
  SUBCASE("a lone target at 100% goes, and then nothing is eligible") {
    UpstreamHealth h(1, breaker(1, 1000, 100), std::nullopt);
    CHECK(h.record_failure(0, 0));
    uint8_t eligible[1] = {7};
    CHECK(h.fill_eligible(eligible, 0) == 0);
    CHECK(eligible[0] == 0);
  }
  SUBCASE("consecutive_failures 0 disables ejection") {
    UpstreamHealth h(3, breaker(0, 1000, 100), std::nullopt);
    CHECK_FALSE(h.record_failure(0, 0));
    CHECK(h.available(0, 0));
  }
}

TEST_CASE("health: fill_eligible combines ejection and active checks") {
  UpstreamHealth h(4, breaker(1, 1000, 100), checks(1, 1));
  std::vector<uint8_t> eligible(4, 9);
  CHECK(h.fill_eligible(eligible.data(), 0) == 4);
  CHECK(eligible == std::vector<uint8_t>{1, 1, 1, 1});

  CHECK(h.record_failure(1, 0));
  CHECK(h.record_probe(3, false) == Transition::kBecameUnhealthy);
  CHECK(h.fill_eligible(eligible.data(), 0) == 2);
  CHECK(eligible == std::vector<uint8_t>{1, 0, 1, 0});

  CHECK(h.record_failure(0, 0));
  CHECK(h.record_failure(2, 0));
  CHECK(h.fill_eligible(eligible.data(), 0) == 0);  // the proxy answers 503
  CHECK(eligible == std::vector<uint8_t>{0, 0, 0, 0});

  // Ejections end; the unhealthy target stays out until probes pass.
  CHECK(h.fill_eligible(eligible.data(), 1000 * kMs) == 3);
  CHECK(eligible == std::vector<uint8_t>{1, 1, 1, 0});
}

TEST_CASE("health: active check thresholds both ways") {
  UpstreamHealth h(2, breaker(), checks(2, 3));
  CHECK(h.healthy(0));  // targets start healthy
  CHECK(h.record_probe(0, false) == Transition::kUnchanged);
  CHECK(h.record_probe(0, false) == Transition::kUnchanged);
  CHECK(h.record_probe(0, true) == Transition::kUnchanged);  // breaks the streak
  CHECK(h.record_probe(0, false) == Transition::kUnchanged);
  CHECK(h.record_probe(0, false) == Transition::kUnchanged);
  CHECK(h.healthy(0));
  CHECK(h.record_probe(0, false) == Transition::kBecameUnhealthy);
  CHECK_FALSE(h.healthy(0));
  CHECK_FALSE(h.available(0, 0));
  CHECK(h.healthy(1));

  CHECK(h.record_probe(0, false) == Transition::kUnchanged);
  CHECK(h.record_probe(0, true) == Transition::kUnchanged);
  CHECK(h.record_probe(0, false) == Transition::kUnchanged);  // breaks the streak
  CHECK(h.record_probe(0, true) == Transition::kUnchanged);
  CHECK_FALSE(h.healthy(0));
  CHECK(h.record_probe(0, true) == Transition::kBecameHealthy);
  CHECK(h.healthy(0));
  CHECK(h.available(0, 0));
  CHECK(h.record_probe(0, true) == Transition::kUnchanged);
}

TEST_CASE("health: configure keeps state and can turn active checks off") {
  UpstreamHealth h(2, breaker(2, 1000), checks(1, 1));
  CHECK(h.record_probe(0, false) == Transition::kBecameUnhealthy);
  CHECK(h.record_failure(1, 0) == false);

  // New thresholds, same state.
  h.configure(breaker(3, 1000), checks(1, 1));
  CHECK_FALSE(h.healthy(0));
  CHECK_FALSE(h.record_failure(1, 0));  // streak 2 of 3 now
  CHECK(h.record_failure(1, 0));

  // Without active checks nobody is unhealthy, and stray probes are ignored.
  h.configure(breaker(3, 1000), std::nullopt);
  CHECK(h.healthy(0));
  CHECK(h.available(0, 0));
  CHECK(h.record_probe(0, false) == Transition::kUnchanged);
  CHECK(h.healthy(0));
  CHECK(h.ejected(1, 0));  // passive state survives

  // Re-enabled: starts from healthy.
  h.configure(breaker(3, 1000), checks(1, 1));
  CHECK(h.healthy(0));
}

TEST_CASE("health: concurrent failures never eject more than allowed") {
  constexpr size_t kTargets = 4;
  constexpr int kThreads = 4;
  constexpr int kIterations = 20000;
  UpstreamHealth h(kTargets, breaker(3, 5, 50), std::nullopt);
  // Only thread 0 moves time, so while it counts at `now` every decision
  // was made at a time <= now; at a fixed time targets only ever become
  // ejected, so counting one by one can only undercount.
  std::atomic<int64_t> now{0};
  std::atomic<size_t> max_out{0};
  std::atomic<uint64_t> ejected_by_calls{0};
  std::atomic<uint64_t> seen_available{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      uint32_t x = 2463534242u + static_cast<uint32_t>(t);  // xorshift: cheap, per thread
      uint64_t available = 0;
      for (int n = 0; n < kIterations; ++n) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        const size_t i = x % kTargets;
        const int64_t at = t == 0 ? now.fetch_add(kMs / 10) + kMs / 10 : now.load();
        available += h.available(i, at) ? 1 : 0;
        if (x % 8 == 0) {
          h.record_success(i);
        } else if (h.record_failure(i, at)) {
          ejected_by_calls.fetch_add(1);
        }
        if (t == 0) {
          uint8_t eligible[kTargets];
          const size_t out = kTargets - h.fill_eligible(eligible, at);
          if (out > max_out.load()) max_out = out;
        }
      }
      seen_available += available;
    });
  }
  for (auto& th : threads) th.join();

  CHECK(max_out.load() <= 2);
  CHECK(max_out.load() >= 1);
  uint64_t total = 0;
  for (size_t i = 0; i < kTargets; ++i) total += h.ejections(i);
  CHECK(total == ejected_by_calls.load());
  CHECK(total > 2);  // time moved on, so ejections ended and were repeated
  CHECK(seen_available.load() > 0);

  uint8_t eligible[kTargets];
  CHECK(h.fill_eligible(eligible, now.load()) >= kTargets - 2);
  int64_t last = 0;
  for (size_t i = 0; i < kTargets; ++i) last = std::max(last, h.ejected_until_ns(i));
  CHECK(h.fill_eligible(eligible, last) == kTargets);  // everyone comes back
}

TEST_CASE("health: racing first ejections respect max_ejected_percent") {
  // Every thread fails every target at once, at the same time: without the
  // ejection guard, the count-then-eject of different threads interleaves.
  constexpr size_t kTargets = 8;
  constexpr int kThreads = 2;  // no more than cores, so that the spin start is fair
  for (int round = 0; round < 2000; ++round) {
    UpstreamHealth h(kTargets, breaker(1, 1000, 50), std::nullopt);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ready.fetch_add(1);
        // Spin for a tight start; yield when the other thread is not running.
        for (int spins = 0; ready.load() < kThreads; ++spins) {
          if (spins > 1000) std::this_thread::yield();
        }
        for (size_t n = 0; n < kTargets; ++n) {
          h.record_failure((n + static_cast<size_t>(t) * 2) % kTargets, 0);
        }
      });
    }
    for (auto& th : threads) th.join();
    size_t out = 0;
    for (size_t i = 0; i < kTargets; ++i) out += h.ejected(i, 0) ? 1 : 0;
    CAPTURE(round);
    REQUIRE(out <= kTargets / 2);
  }
}

TEST_CASE("health: a reload that changes the target list keeps the state of kept targets") {
  apigw::CircuitBreakerOptions breaker;
  breaker.consecutive_failures = 1;
  breaker.eject_ms = 1000;
  breaker.max_ejected_percent = 100;
  apigw::upstream::UpstreamRegistry registry;
  apigw::UpstreamOptions u;
  u.name = "pool";
  u.targets = {{"10.0.0.1:80", 1}, {"10.0.0.2:80", 1}};
  u.circuit_breaker = breaker;
  auto before = registry.get(u);
  CHECK(before->health->record_failure(1, 100));  // 10.0.0.2 ejected
  u.targets = {{"10.0.0.2:80", 1}, {"10.0.0.3:80", 1}};
  auto after = registry.get(u);
  CHECK(after->health->ejected(0, 200));    // 10.0.0.2 kept its ejection
  CHECK_FALSE(after->health->ejected(1, 200));
  CHECK(after->budget == before->budget);
}
