// Balancer pick cost per kind: ~5,000,000 picks over 8 targets, all eligible.
//
// "pick" times pick() alone; "pick+feedback" adds the on_start/on_finish pair
// the proxy sends per try (what least_conn and peak_ewma feed on).
// Consistent hashing cycles through 4096 precomputed key hashes.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "upstream/balancer.hpp"

using apigw::Balance;
using apigw::upstream::hash_key;
using apigw::upstream::make_balancer;

namespace {

constexpr int kPicks = 5000000;

double ns_per_op(std::chrono::steady_clock::time_point start, int ops) {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / ops;
}

}  // namespace

int main() {
  const std::vector<uint32_t> weights = {1, 2, 3, 1, 5, 1, 2, 1};
  std::vector<std::string> addresses;
  for (int i = 0; i < 8; ++i) addresses.push_back("10.0.0." + std::to_string(i + 1) + ":8080");
  std::vector<uint8_t> eligible(8, 1);
  std::vector<uint64_t> keys;
  for (int i = 0; i < 4096; ++i) keys.push_back(hash_key("user-" + std::to_string(i)));

  const struct {
    const char* name;
    Balance kind;
  } kinds[] = {{"round_robin", Balance::kRoundRobin},         {"least_conn", Balance::kLeastConn},
               {"peak_ewma", Balance::kPeakEwma},             {"consistent_hash", Balance::kConsistentHash},
               {"random", Balance::kRandom}};

  uint64_t sink = 0;
  std::printf("%-16s %10s %16s\n", "kind", "pick", "pick+feedback");
  for (const auto& k : kinds) {
    auto b = make_balancer(k.kind, weights, addresses, 12345);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kPicks; ++i) sink += static_cast<uint64_t>(b->pick(eligible.data(), keys[i & 4095]));
    const double pick_ns = ns_per_op(start, kPicks);

    int64_t now = 0;
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < kPicks; ++i) {
      const int t = b->pick(eligible.data(), keys[i & 4095]);
      b->on_start(static_cast<uint32_t>(t));
      now += 1000;
      b->on_finish(static_cast<uint32_t>(t), 200000 + 10000 * t, now);
      sink += static_cast<uint64_t>(t);
    }
    std::printf("%-16s %7.1f ns %13.1f ns\n", k.name, pick_ns, ns_per_op(start, kPicks));
  }

  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kPicks; ++i) sink += hash_key(addresses[i & 7]);
  std::printf("%-16s %7.1f ns  (\"10.0.0.N:8080\")\n", "hash_key", ns_per_op(start, kPicks));
  return sink == 42 ? 1 : 0;  // keeps the loops observable
}
