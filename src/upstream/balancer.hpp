// Balancer: picks one target of an upstream pool (SPEC.md section 2, `balance`).
//
// One balancer per worker per upstream: not thread-safe, no locks, and pick()
// never allocates. The proxy passes an `eligible` mask (healthy, not ejected,
// not already tried when alternatives exist) and reports each try back through
// on_start/on_finish, which least_conn and peak_ewma feed on.
//
// Kinds (details and trade-offs in the .cpp files):
// - kRoundRobin: nginx's smooth weighted round robin over eligible targets.
// - kLeastConn: power of two choices on (in_flight + 1) / weight.
// - kPeakEwma: power of two choices on peak-EWMA latency * (in_flight + 1) / weight.
// - kConsistentHash: ring of virtual nodes keyed by hash_key(address "#" i).
// - kRandom: weighted random.
//
// Every pick returns an eligible index, or -1 when no target is eligible; a
// null `eligible` means all targets are eligible.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "apigw/exchange.hpp"
#include "apigw/upstream.hpp"

namespace apigw::upstream {

// 64-bit hash for consistent hashing keys: folded 128-bit multiplies over
// 16-byte blocks and a murmur3 finalizer. Stable across processes, runs and
// byte orders (a change reshuffles sticky keys fleet-wide: pinned by a test).
uint64_t hash_key(std::string_view key) noexcept;

class Balancer {
 public:
  virtual ~Balancer() = default;
  // `eligible[i]` != 0 when target i may be chosen. `key_hash` is used by
  // consistent hashing only. Returns the target index, or -1 when no target is eligible.
  virtual int pick(const uint8_t* eligible, uint64_t key_hash) noexcept = 0;
  // For a request: the built-in kinds only need the key's hash; a host's
  // Selector sees the exchange too.
  virtual int pick_for(const Exchange& /*ex*/, const uint8_t* eligible, uint64_t key_hash) noexcept {
    return pick(eligible, key_hash);
  }
  // Feedback from the proxy: a request to `target` started / finished
  // (latency of the try, monotonic now).
  virtual void on_start(uint32_t /*target*/) noexcept {}
  virtual void on_finish(uint32_t /*target*/, int64_t /*latency_ns*/, int64_t /*now_ns*/) noexcept {}
  // Requests in flight on `target` as this balancer counts them (for tests/metrics).
  virtual uint32_t in_flight(uint32_t /*target*/) const noexcept { return 0; }
};

// weights.size() = number of targets (>= 1), each weight 1..1000 (clamped);
// `addresses` (same size) are the targets' "host:port" strings: consistent
// hashing places virtual nodes by them, so that adding or removing a target
// moves only ~1/N of the keys. `seed` seeds the per-worker PRNG (random, P2C).
// Adapts a host's Selector to the proxy's Balancer.
std::unique_ptr<Balancer> make_host_balancer(std::unique_ptr<Selector> selector, size_t targets);

std::unique_ptr<Balancer> make_balancer(Balance kind, const std::vector<uint32_t>& weights,
                                        const std::vector<std::string>& addresses, uint64_t seed);

}  // namespace apigw::upstream
