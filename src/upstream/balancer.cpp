// hash_key, the factory, and the two stateless-feedback kinds: smooth
// weighted round robin and weighted random. P2C kinds are in p2c_balancer.cpp,
// the ring in consistent_hash.cpp.
#include "upstream/balancer.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "upstream/balancer_common.hpp"

namespace apigw::upstream {
namespace {

constexpr uint64_t kP0 = 0xa0761d6478bd642full;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;

// 64x64 -> 128 multiply, halves xored: the core mixing step of wyhash/foldhash.
inline uint64_t fold_mul(uint64_t a, uint64_t b) noexcept {
  unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

// Little-endian loads so the hash is the same on every host.
inline uint64_t load64(const unsigned char* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}
inline uint64_t load_tail(const unsigned char* p, size_t n) noexcept {  // n < 8
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// murmur3's fmix64: full avalanche, so nearby keys land far apart on the ring.
inline uint64_t fmix64(uint64_t h) noexcept {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

}  // namespace

uint64_t hash_key(std::string_view key) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(key.data());
  size_t n = key.size();
  uint64_t h = kP0 ^ fmix64(n);
  for (; n >= 16; p += 16, n -= 16) h = fold_mul(load64(p) ^ kP1, load64(p + 8) ^ h ^ kP2);
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = load64(p);
    b = load_tail(p + 8, n - 8);
  } else {
    a = load_tail(p, n);
  }
  h = fold_mul(a ^ kP1, b ^ h ^ kP2);
  return fmix64(h ^ key.size());
}

namespace detail {

int sample_uniform(Rng& rng, const uint8_t* eligible, uint32_t n, int exclude) noexcept {
  const uint32_t skip = exclude >= 0 ? static_cast<uint32_t>(exclude) : n;
  const uint32_t candidates = skip < n ? n - 1 : n;
  if (candidates == 0) return -1;
  // Rejection sampling: conditional on success, uniform over the eligible set.
  for (int tries = 0; tries < 4; ++tries) {
    auto i = static_cast<uint32_t>(rng.below(candidates));
    if (i >= skip) ++i;  // maps [0, n-1) onto [0, n) minus `skip`
    if (is_eligible(eligible, i)) return static_cast<int>(i);
  }
  uint32_t count = 0;
  for (uint32_t i = 0; i < n; ++i) count += (i != skip && is_eligible(eligible, i)) ? 1 : 0;
  if (count == 0) return -1;
  auto k = static_cast<uint32_t>(rng.below(count));
  for (uint32_t i = 0; i < n; ++i) {
    if (i != skip && is_eligible(eligible, i) && k-- == 0) return static_cast<int>(i);
  }
  return -1;  // unreachable
}

std::vector<uint32_t> clamp_weights(const std::vector<uint32_t>& weights) {
  std::vector<uint32_t> w(weights);
  for (auto& x : w) x = std::clamp<uint32_t>(x, 1, 1000);
  return w;
}

}  // namespace detail

namespace {

using detail::is_eligible;

// nginx's smooth weighted round robin: each pick adds every eligible target's
// weight to its `current`, picks the largest, and subtracts the eligible total
// from the winner. {5,1,1} yields a a b a c a a: weighted, yet interleaved.
// O(n) per pick by nature (n = pool size, small in practice: a tight loop over
// two arrays); equal weights take an O(1) rotation instead (the same sequence).
class RoundRobin final : public detail::CountingBalancer {
 public:
  explicit RoundRobin(std::vector<uint32_t> weights)
      : CountingBalancer(weights.size()), weights_(std::move(weights)), current_(weights_.size(), 0) {
    equal_ = std::all_of(weights_.begin(), weights_.end(), [&](uint32_t w) { return w == weights_[0]; });
  }

  int pick(const uint8_t* eligible, uint64_t /*key_hash*/) noexcept override {
    const uint32_t n = size();
    if (equal_) {
      // Rotation from the cursor; an ineligible target is skipped, not retried later.
      uint32_t i = next_;
      for (uint32_t k = 0; k < n; ++k, i = (i + 1 == n) ? 0 : i + 1) {
        if (is_eligible(eligible, i)) {
          next_ = (i + 1 == n) ? 0 : i + 1;
          return static_cast<int>(i);
        }
      }
      return -1;
    }
    int best = -1;
    int64_t total = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if (!is_eligible(eligible, i)) continue;  // skipped targets keep their `current`
      current_[i] += weights_[i];
      total += weights_[i];
      if (best < 0 || current_[i] > current_[static_cast<uint32_t>(best)]) best = static_cast<int>(i);
    }
    if (best >= 0) current_[static_cast<uint32_t>(best)] -= total;
    return best;
  }

 private:
  std::vector<uint32_t> weights_;
  std::vector<int64_t> current_;
  bool equal_ = false;
  uint32_t next_ = 0;
};

// Weighted random via Vose's alias table (O(1) per draw, exact integer
// probabilities), with rejection for ineligible targets and an exact O(n)
// weighted scan as the fallback: both follow the weights restricted to the
// eligible set, so the mix does too.
class Random final : public detail::CountingBalancer {
 public:
  Random(std::vector<uint32_t> weights, uint64_t seed)
      : CountingBalancer(weights.size()), weights_(std::move(weights)), rng_(seed) {
    build_alias();
  }

  int pick(const uint8_t* eligible, uint64_t /*key_hash*/) noexcept override {
    const uint32_t n = size();
    for (int tries = 0; tries < 4; ++tries) {
      auto i = static_cast<uint32_t>(rng_.below(n));
      if (rng_.below(total_) >= threshold_[i]) i = alias_[i];
      if (is_eligible(eligible, i)) return static_cast<int>(i);
    }
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; ++i) sum += is_eligible(eligible, i) ? weights_[i] : 0;
    if (sum == 0) return -1;
    uint64_t r = rng_.below(sum);
    for (uint32_t i = 0; i < n; ++i) {
      if (!is_eligible(eligible, i)) continue;
      if (r < weights_[i]) return static_cast<int>(i);
      r -= weights_[i];
    }
    return -1;  // unreachable
  }

 private:
  // Bucket i keeps itself with probability threshold_[i] / total_, else alias_[i].
  // Each bucket holds total_ units; target i brings weight * n units.
  void build_alias() {
    const uint32_t n = size();
    total_ = 0;
    for (uint32_t w : weights_) total_ += w;
    threshold_.assign(n, total_);
    alias_.resize(n);
    std::vector<uint64_t> units(n);
    std::vector<uint32_t> small, large;
    for (uint32_t i = 0; i < n; ++i) {
      alias_[i] = i;
      units[i] = uint64_t{weights_[i]} * n;
      (units[i] < total_ ? small : large).push_back(i);
    }
    while (!small.empty() && !large.empty()) {
      uint32_t s = small.back(), l = large.back();
      small.pop_back();
      threshold_[s] = units[s];
      alias_[s] = l;
      units[l] -= total_ - units[s];  // l fills the rest of bucket s
      if (units[l] < total_) {
        large.pop_back();
        small.push_back(l);
      }
    }
    // Leftovers are full buckets (threshold_ = total_) by integer exactness.
  }

  std::vector<uint32_t> weights_;
  std::vector<uint64_t> threshold_;
  std::vector<uint32_t> alias_;
  uint64_t total_ = 0;
  detail::Rng rng_;
};

}  // namespace

std::unique_ptr<Balancer> make_balancer(Balance kind, const std::vector<uint32_t>& weights,
                                        const std::vector<std::string>& addresses, uint64_t seed) {
  std::vector<uint32_t> w = detail::clamp_weights(weights);
  if (w.empty()) w.push_back(1);  // precondition is >= 1 target; never build an empty pool
  switch (kind) {
    case Balance::kRoundRobin: return std::make_unique<RoundRobin>(std::move(w));
    case Balance::kLeastConn: return detail::make_least_conn(std::move(w), seed);
    case Balance::kPeakEwma: return detail::make_peak_ewma(std::move(w), seed);
    case Balance::kConsistentHash: return detail::make_consistent_hash(w, addresses);
    case Balance::kRandom: return std::make_unique<Random>(std::move(w), seed);
  }
  return std::make_unique<RoundRobin>(std::move(w));
}

}  // namespace apigw::upstream
