#include "upstream/retry_budget.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using apigw::Code;
using apigw::upstream::backoff_ms;
using apigw::upstream::is_idempotent;
using apigw::upstream::parse_retry_after_ms;
using apigw::upstream::RetryBudget;
using apigw::upstream::RetryOn;

namespace {

void start(RetryBudget& b, int n) {
  for (int i = 0; i < n; ++i) b.request_started();
}

}  // namespace

TEST_CASE("retry: budget is a share of requests in flight") {
  RetryBudget b(20, /*min_concurrent=*/0);
  start(b, 10);
  CHECK(b.active_requests() == 10);
  CHECK(b.try_acquire_retry());
  CHECK(b.try_acquire_retry());
  CHECK_FALSE(b.try_acquire_retry());  // 20% of 10 is 2
  CHECK(b.active_retries() == 2);
  b.release_retry();
  CHECK(b.try_acquire_retry());
  CHECK_FALSE(b.try_acquire_retry());

  start(b, 5);  // 15 in flight: still 3 > 20% of 15
  CHECK(b.try_acquire_retry());
  CHECK_FALSE(b.try_acquire_retry());
}

TEST_CASE("retry: min_concurrent retries are always allowed") {
  RetryBudget b(20);  // min_concurrent = 3
  start(b, 10);
  CHECK(b.try_acquire_retry());
  CHECK(b.try_acquire_retry());
  CHECK(b.try_acquire_retry());
  CHECK_FALSE(b.try_acquire_retry());
  CHECK(b.active_retries() == 3);

  SUBCASE("above the floor the percent rules") {
    start(b, 90);  // 100 in flight: 20 retries
    int acquired = 3;
    while (b.try_acquire_retry()) ++acquired;
    CHECK(acquired == 20);
  }
  SUBCASE("percent 0 leaves only the floor") {
    for (int i = 0; i < 3; ++i) b.release_retry();
    b.set_percent(0);
    start(b, 1000);
    CHECK(b.try_acquire_retry());
    CHECK(b.try_acquire_retry());
    CHECK(b.try_acquire_retry());
    CHECK_FALSE(b.try_acquire_retry());
  }
}

TEST_CASE("retry: budget counters do not wrap and follow set_percent") {
  RetryBudget b(50, 0);
  b.request_finished();  // unmatched: stays 0
  b.release_retry();
  CHECK(b.active_requests() == 0);
  CHECK(b.active_retries() == 0);
  CHECK_FALSE(b.try_acquire_retry());  // no requests, no floor
  start(b, 4);
  CHECK(b.try_acquire_retry());
  CHECK(b.try_acquire_retry());
  CHECK_FALSE(b.try_acquire_retry());
  b.set_percent(100);
  CHECK(b.try_acquire_retry());
  CHECK(b.try_acquire_retry());
  CHECK_FALSE(b.try_acquire_retry());
  b.request_finished();
  CHECK(b.active_requests() == 3);
}

TEST_CASE("retry: concurrent acquires never overshoot the budget") {
  RetryBudget b(10, 0);
  start(b, 100);  // 10 slots
  std::atomic<int> acquired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int n = 0; n < 1000; ++n) {
        if (b.try_acquire_retry()) acquired.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(acquired.load() == 10);
  CHECK(b.active_retries() == 10);
}

TEST_CASE("retry: backoff bounds and growth") {
  // Full jitter: uniform in [0, cap], cap = min(base * 2^(retry-1), 10 * base).
  CHECK(backoff_ms(25, 1, 0.0) == 0);
  CHECK(backoff_ms(25, 1, 0.999999) == 25);
  CHECK(backoff_ms(25, 2, 0.999999) == 50);
  CHECK(backoff_ms(25, 3, 0.999999) == 100);
  CHECK(backoff_ms(25, 4, 0.999999) == 200);
  CHECK(backoff_ms(25, 5, 0.999999) == 250);  // capped at 10x
  CHECK(backoff_ms(25, 1000, 0.999999) == 250);
  CHECK(backoff_ms(25, 3, 0.5) == 50);
  CHECK(backoff_ms(25, 0, 0.999999) == 25);  // retry 0 treated as the first
  CHECK(backoff_ms(0, 3, 0.9) == 0);
  // Out-of-range randomness is clamped, never beyond the cap.
  CHECK(backoff_ms(25, 2, 1.0) == 50);
  CHECK(backoff_ms(25, 2, 7.0) == 50);
  CHECK(backoff_ms(25, 2, -1.0) == 0);
  // Capped at 2^32-1, no overflow.
  CHECK(backoff_ms(4'000'000'000u, 10, 0.999999) > 4'000'000'000u);
  CHECK(backoff_ms(4'000'000'000u, 10, 1.0) == 4'294'967'295u);
  for (uint32_t retry = 1; retry <= 8; ++retry) {
    for (double r = 0.0; r < 1.0; r += 0.01) {
      CHECK(backoff_ms(100, retry, r) <= 1000);
      CHECK(backoff_ms(100, retry, r) <= (100u << (retry - 1)));
    }
  }
}

TEST_CASE("retry: Retry-After parsing") {
  CHECK(parse_retry_after_ms("120", 1'000'000) == 120'000u);
  CHECK(parse_retry_after_ms(" 5", 1'000'000) == 5'000u);
  CHECK(parse_retry_after_ms("5\t ", 1'000'000) == 5'000u);
  CHECK(parse_retry_after_ms("0", 1'000'000) == 0u);
  CHECK(parse_retry_after_ms("120", 30'000) == 30'000u);  // capped
  CHECK(parse_retry_after_ms("99999999999999999999999999", 30'000) == 30'000u);
  CHECK(parse_retry_after_ms("4294967296", 4'294'967'295u) == 4'294'967'295u);
  CHECK_FALSE(parse_retry_after_ms("abc", 30'000).has_value());
  CHECK_FALSE(parse_retry_after_ms("Fri, 31 Dec 1999 23:59:59 GMT", 30'000).has_value());
  CHECK_FALSE(parse_retry_after_ms("", 30'000).has_value());
  CHECK_FALSE(parse_retry_after_ms("  ", 30'000).has_value());
  CHECK_FALSE(parse_retry_after_ms("-1", 30'000).has_value());
  CHECK_FALSE(parse_retry_after_ms("1.5", 30'000).has_value());
  CHECK_FALSE(parse_retry_after_ms("1 2", 30'000).has_value());
  CHECK_FALSE(parse_retry_after_ms("12x", 30'000).has_value());
  CHECK_FALSE(parse_retry_after_ms("99999999999999999999x", 30'000).has_value());
}

TEST_CASE("retry: RetryOn parsing") {
  auto on = RetryOn::parse({"connect_failure", "503", "502", "503"});
  REQUIRE(on.is_ok());
  CHECK(on->connect_failure);
  CHECK_FALSE(on->reset);
  CHECK(on->statuses == std::vector<uint16_t>{502, 503});
  CHECK(on->status(502));
  CHECK(on->status(503));
  CHECK_FALSE(on->status(504));
  CHECK_FALSE(on->status(200));

  auto all = RetryOn::parse({"reset", "429"});
  REQUIRE(all.is_ok());
  CHECK(all->reset);
  CHECK_FALSE(all->connect_failure);
  CHECK(all->status(429));

  auto none = RetryOn::parse({});
  REQUIRE(none.is_ok());
  CHECK_FALSE(none->connect_failure);
  CHECK(none->statuses.empty());

  for (const char* bad : {"timeout", "200", "5xx", "0503", "50", "600", "", "Reset"}) {
    CAPTURE(bad);
    auto r = RetryOn::parse({"connect_failure", bad});
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    const std::string quoted = "\"" + std::string(bad) + "\"";
    CHECK(std::string(r.status().message()).find(quoted) != std::string::npos);
  }
}

TEST_CASE("retry: is_idempotent") {
  for (const char* m : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}) {
    CAPTURE(m);
    CHECK(is_idempotent(m));
  }
  for (const char* m : {"POST", "PATCH", "CONNECT", "get", "", "GETS"}) {
    CAPTURE(m);
    CHECK_FALSE(is_idempotent(m));
  }
}
