// Rate-limit decision cost: the GCRA arithmetic alone (policy/gcra.hpp), and
// the rate_limit policy's on_request (key-table lookup, then the CAS on the
// key's TAT) with 1 key, 10,000 keys and 100,000 keys, on one thread and on
// two threads sharing the policy and the key set (decisions per second of
// both threads together: the local store under contention).
//
// Keys are client IPs (the default key). The policy runs on one reused
// exchange per thread (its per-request ctx slot already exists), with a limit
// high enough that every decision is "allowed", except in the "denied" line.
// The 100,000 keys are visited in a scattered order and all inserted before
// timing; max_keys is 1,000,000 there so that the table is far from full. A last check
// shows what the default max_keys (100,000) does with 100,000 active keys.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"
#include "policy/gcra.hpp"
#include "policy/key_table.hpp"

using apigw::Decision;
using apigw::policy::GcraParams;
using apigw::policy::RateLimitOptions;

namespace {

constexpr int64_t kNow = 1'000'000'000'000;  // a fixed start_ns: nothing refills during a loop

class BenchExchange final : public apigw::Exchange {
 public:
  BenchExchange() : Exchange(64 * 1024) { start_ns_ = kNow; }
  bool decided() const noexcept { return !slots_.empty(); }  // the policy's ctx slot was made
};

double since(std::chrono::steady_clock::time_point start, long ops) {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
         static_cast<double>(ops);
}

void report(const std::string& name, double ns, long ops) {
  std::printf("%s: %.1f ns/op (%ld ops)\n", name.c_str(), ns, ops);
}

apigw::PolicyPtr make_policy(uint64_t limit, size_t max_keys) {
  RateLimitOptions o;
  o.name = "bench";
  o.key = {{apigw::policy::RateLimitKeyPart::Kind::kIp, ""}};
  o.limit = limit;
  o.window_ms = 1000;
  o.max_keys = max_keys;
  return apigw::policy::make_rate_limit(o);
}

std::vector<std::string> make_keys(size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i)
    keys.push_back("10." + std::to_string(i >> 16) + "." + std::to_string((i >> 8) & 255) + "." +
                   std::to_string(i & 255));
  return keys;
}

// Decisions on keys[order[i % n]]; returns how many were "continue".
long run(const apigw::Policy& p, const std::vector<std::string>& keys, long ops) {
  BenchExchange ex;
  const size_t n = keys.size();
  long continued = 0;
  for (long i = 0; i < ops; ++i) {
    // A scattered walk over the keys (7919 is prime, so all are visited).
    ex.request().client_ip = keys[(static_cast<size_t>(i) * 7919) % n];
    continued += p.on_request(ex) == Decision::kContinue;
  }
  return continued;
}

void one_thread(const char* name, const apigw::Policy& p, const std::vector<std::string>& keys, long ops,
                bool expect_allowed = true) {
  run(p, keys, static_cast<long>(keys.size()) + ops / 10);  // inserts every key, warms up
  auto start = std::chrono::steady_clock::now();
  long continued = run(p, keys, ops);
  double ns = since(start, ops);
  if (expect_allowed && continued != ops) std::printf("  (note: %ld of %ld not allowed)\n", ops - continued, ops);
  report(name, ns, ops);
}

void two_threads(const char* name, const apigw::Policy& p, const std::vector<std::string>& keys, long ops) {
  run(p, keys, static_cast<long>(keys.size()) + ops / 10);
  std::atomic<int> ready{0};
  auto body = [&] {
    ready.fetch_add(1);
    while (ready.load() < 2) {
    }
    run(p, keys, ops);
  };
  auto start = std::chrono::steady_clock::now();
  std::thread a(body), b(body);
  a.join();
  b.join();
  double ns_per_thread = since(start, ops);
  report(std::string(name) + ", per thread", ns_per_thread, ops);
  report(std::string(name) + ", both together", ns_per_thread / 2, 2 * ops);
  std::printf("%s: %.2f M decisions/s (2 threads together)\n", name, 2e3 / ns_per_thread);
}

}  // namespace

int main() {
  // GCRA arithmetic alone: a dependent chain (each TAT feeds the next), clock
  // advancing 0.7 intervals per request, so some requests are denied.
  {
    constexpr long kOps = 20'000'000;
    volatile int64_t interval = 1000, capacity = 100;
    const GcraParams params{interval, capacity};
    int64_t tat = 0, now = kNow;
    long allowed = 0;
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < kOps; ++i) {
      auto d = apigw::policy::gcra_decide(params, tat, now);
      tat = d.new_tat;
      allowed += d.allowed;
      now += 700;
    }
    double ns = since(start, kOps);
    report("gcra_decide alone (" + std::to_string(100 * allowed / kOps) + "% allowed)", ns, kOps);
  }

  constexpr long kOps = 2'000'000;
  const auto one_key = make_keys(1);
  const auto ten_thousand_keys = make_keys(10'000);
  const auto many_keys = make_keys(100'000);
  {
    auto p = make_policy(1'000'000'000, 1'000'000);
    one_thread("rate_limit 1 key, 1 thread", *p, one_key, kOps);
    two_threads("rate_limit 1 key, 2 threads", *p, one_key, kOps);
  }
  {
    auto p = make_policy(1'000'000'000, 100'000);
    one_thread("rate_limit 10,000 keys, 1 thread", *p, ten_thousand_keys, kOps / 2);
    two_threads("rate_limit 10,000 keys, 2 threads", *p, ten_thousand_keys, kOps / 2);
  }
  {
    auto p = make_policy(1'000'000'000, 1'000'000);
    one_thread("rate_limit 100,000 keys, 1 thread", *p, many_keys, kOps / 2);
    two_threads("rate_limit 100,000 keys, 2 threads", *p, many_keys, kOps / 2);
  }
  {
    // Denied: limit 1 per second, so after the first request every one fails (429).
    auto p = make_policy(1, 1'000'000);
    one_thread("rate_limit 1 key, denied (429), 1 thread", *p, one_key, kOps, false);
  }
  {
    // max_keys = 100,000 (the default) with 100,000 active keys: the cap is
    // on live keys (the table has 262,144 slots), so every key is tracked;
    // none falls into the shared overflow bucket. The clock is fixed: no key ever goes idle.
    apigw::policy::KeyTable table(100'000);
    long overflow = 0;
    for (const auto& k : many_keys)
      overflow += !table.update(k, kNow, [](int64_t) -> std::optional<int64_t> { return kNow + 1; });
    std::printf("key table, 100,000 active keys, max_keys 100,000 (default): %ld keys in the overflow bucket\n",
                overflow);
    auto p = make_policy(1'000'000'000, 100'000);
    one_thread("rate_limit 100,000 keys, max_keys 100,000 (default), 1 thread", *p, many_keys, kOps / 8);
  }
  return 0;
}
