// Pieces shared by the balancer kinds (internal to src/upstream).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "upstream/balancer.hpp"

namespace apigw::upstream::detail {

// splitmix64: tiny state, fast, good enough for load spreading (not crypto).
class Rng {
 public:
  explicit Rng(uint64_t seed) noexcept : state_(seed) {}
  uint64_t next() noexcept {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; bias <= n / 2^64).
  uint64_t below(uint64_t n) noexcept {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

 private:
  uint64_t state_;
};

inline bool is_eligible(const uint8_t* eligible, uint32_t i) noexcept {
  return eligible == nullptr || eligible[i] != 0;
}

// Counts requests in flight per target; every kind keeps this for metrics.
class CountingBalancer : public Balancer {
 public:
  explicit CountingBalancer(size_t n) : in_flight_(n, 0) {}
  void on_start(uint32_t target) noexcept override {
    if (target < in_flight_.size()) ++in_flight_[target];
  }
  void on_finish(uint32_t target, int64_t /*latency_ns*/, int64_t /*now_ns*/) noexcept override {
    // Saturating: a stray finish must not wrap the count to 4 billion.
    if (target < in_flight_.size() && in_flight_[target] > 0) --in_flight_[target];
  }
  uint32_t in_flight(uint32_t target) const noexcept override {
    return target < in_flight_.size() ? in_flight_[target] : 0;
  }

 protected:
  uint32_t size() const noexcept { return static_cast<uint32_t>(in_flight_.size()); }
  std::vector<uint32_t> in_flight_;
};

// A uniformly random eligible target other than `exclude` (-1: none excluded),
// or -1. A few random probes first (O(1) when most targets are eligible), then
// an exact O(n) count-and-choose; both are uniform over the eligible set.
int sample_uniform(Rng& rng, const uint8_t* eligible, uint32_t n, int exclude) noexcept;

// Weights clamped to 1..1000 (the config loader validates; this keeps the
// arithmetic safe whatever the caller passes).
std::vector<uint32_t> clamp_weights(const std::vector<uint32_t>& weights);

std::unique_ptr<Balancer> make_least_conn(std::vector<uint32_t> weights, uint64_t seed);
std::unique_ptr<Balancer> make_peak_ewma(std::vector<uint32_t> weights, uint64_t seed);
std::unique_ptr<Balancer> make_consistent_hash(const std::vector<uint32_t>& weights,
                                               const std::vector<std::string>& addresses);

}  // namespace apigw::upstream::detail
