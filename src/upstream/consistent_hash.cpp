// Consistent hashing: a ring of virtual nodes (ketama / nginx `hash consistent`).
//
// Target i owns kPointsPerWeight * weight points at hash_key(address + "#" + v),
// v = 0, 1, ... A key goes to the owner of the first point >= its hash
// (wrapping), or, when that target is ineligible, of the next point whose
// owner is eligible. Points depend only on the target's own address and
// weight, so adding a target only takes keys onto its new points (~1/N of
// them) and never moves a key between two old targets; an ineligible target's
// keys spread over its ring neighbours and every other key stays put.
//
// Points per weight: 1024, not ketama's 160. A target's share of the ring is a
// sum of random arcs with relative spread ~1/sqrt(points): 160 points gives
// ~8% per target, so 4 equal targets land outside +-10% about a third of the
// time; 1024 gives ~3%. Cost: 13 bytes a point per worker (52 KiB for 4 targets).
//
// Size: the ring is capped at kMaxPoints (64k points, ~850 KiB). A pool whose
// total weight is too large first has its weights divided by their gcd (so
// {100, 100, 50} is ring-wise {2, 2, 1}); if still too large, every target
// gets max(1, weight * kMaxPoints / total weight) points. Since point v is the
// same whatever the count, a rescale only drops or adds each target's
// highest-numbered points: most keys stay put, but in these regimes a
// membership change that alters the gcd or the scale also moves some keys
// between old targets.
//
// Lookup: the top bits of the key hash index a bucket table (~4 points per
// bucket) that narrows the binary search to a few neighbouring points: O(1)
// expected and about two cache misses, instead of ~log2(points) dependent
// misses over a ring too big for L1. Then a walk over at most kMaxWalk points
// to skip ineligible owners. If the walk finds none (nearly every target
// down), rendezvous hashing over the eligible targets decides: still
// deterministic per key, O(n), never unbounded.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "upstream/balancer_common.hpp"

namespace apigw::upstream::detail {
namespace {

constexpr uint64_t kPointsPerWeight = 1024;
constexpr uint64_t kMaxPoints = 65536;
constexpr uint32_t kMaxWalk = 128;

class ConsistentHash final : public CountingBalancer {
 public:
  ConsistentHash(const std::vector<uint32_t>& weights, const std::vector<std::string>& addresses)
      : CountingBalancer(weights.size()), weights_(weights) {
    const uint32_t n = size();
    // Ring units per target: the weights, or the weights over their gcd when too big.
    std::vector<uint64_t> units(weights_.begin(), weights_.end());
    uint64_t total = 0;
    for (uint64_t u : units) total += u;
    if (total * kPointsPerWeight > kMaxPoints) {
      uint64_t g = 0;
      for (uint64_t u : units) g = std::gcd(g, u);
      for (uint64_t& u : units) u /= g;
      total /= g;
    }
    std::vector<std::pair<uint64_t, uint32_t>> points;
    target_seed_.resize(n);
    for (uint32_t i = 0; i < n; ++i) {
      // A missing address (caller bug) still gets distinct, stable points.
      std::string base = i < addresses.size() ? addresses[i] : "target-" + std::to_string(i);
      target_seed_[i] = hash_key(base);
      const uint64_t count = total * kPointsPerWeight <= kMaxPoints
                                 ? units[i] * kPointsPerWeight
                                 : std::max<uint64_t>(1, units[i] * kMaxPoints / total);
      base += '#';
      const size_t prefix = base.size();
      for (uint64_t v = 0; v < count; ++v) {
        base.resize(prefix);
        base += std::to_string(v);
        points.emplace_back(hash_key(base), i);
      }
    }
    std::sort(points.begin(), points.end());  // ties (same address twice) by target: deterministic
    hashes_.reserve(points.size());
    owners_.reserve(points.size());
    for (const auto& [h, t] : points) {
      hashes_.push_back(h);
      owners_.push_back(t);
    }
    build_buckets();
  }

  int pick(const uint8_t* eligible, uint64_t key_hash) noexcept override {
    const size_t points = hashes_.size();
    const uint64_t b = bucket_of(key_hash);
    const auto first = hashes_.begin() + bucket_start_[b], last = hashes_.begin() + bucket_start_[b + 1];
    size_t pos = static_cast<size_t>(std::lower_bound(first, last, key_hash) - hashes_.begin());
    if (pos == points) pos = 0;  // past the last point: wrap to the first
    const size_t walk = std::min<size_t>(points, kMaxWalk);
    for (size_t k = 0; k < walk; ++k) {
      const uint32_t t = owners_[pos];
      if (is_eligible(eligible, t)) return static_cast<int>(t);
      if (++pos == points) pos = 0;
    }
    return rendezvous(eligible, key_hash);
  }

 private:
  // Weighted rendezvous (highest random weight): score = -w / ln(u), u in (0,1)
  // from hash(key, target). Only reached when the ring walk gave up.
  int rendezvous(const uint8_t* eligible, uint64_t key_hash) const noexcept {
    int best = -1;
    double best_score = 0;
    const uint64_t key_mix = mix(key_hash);
    for (uint32_t i = 0; i < size(); ++i) {
      if (!is_eligible(eligible, i)) continue;
      const uint64_t h = mix(key_mix ^ target_seed_[i]);
      const double u = (static_cast<double>(h >> 11) + 0.5) / 9007199254740992.0;  // (0,1)
      const double score = -static_cast<double>(weights_[i]) / std::log(u);
      if (best < 0 || score > best_score) {
        best = static_cast<int>(i);
        best_score = score;
      }
    }
    return best;
  }

  // bucket_start_[b] = first point whose hash >> bucket_shift_ >= b, plus an
  // end sentinel: every point >= key_hash with the same top bits lies in
  // [bucket_start_[b], bucket_start_[b + 1]), and if none does, the answer is
  // bucket_start_[b + 1] itself, which lower_bound returns as `last`.
  void build_buckets() {
    int bits = 0;
    while (bits < 16 && (size_t{1} << bits) * 4 < hashes_.size()) ++bits;
    bucket_shift_ = 64 - bits;  // bits == 0: a single bucket (bucket_of avoids the UB shift by 64)
    const size_t buckets = size_t{1} << bits;
    bucket_start_.assign(buckets + 1, static_cast<uint32_t>(hashes_.size()));
    size_t p = 0;
    for (size_t b = 0; b < buckets; ++b) {
      while (p < hashes_.size() && bucket_of(hashes_[p]) < b) ++p;
      bucket_start_[b] = static_cast<uint32_t>(p);
    }
  }
  uint64_t bucket_of(uint64_t h) const noexcept { return bucket_shift_ >= 64 ? 0 : h >> bucket_shift_; }

  static uint64_t mix(uint64_t h) noexcept {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
  }

  std::vector<uint32_t> weights_;
  std::vector<uint64_t> target_seed_;  // hash_key(address), for the rendezvous fallback
  std::vector<uint64_t> hashes_;       // sorted ring points
  std::vector<uint32_t> owners_;       // owners_[p] owns hashes_[p]
  std::vector<uint32_t> bucket_start_;  // see build_buckets()
  int bucket_shift_ = 64;
};

}  // namespace

std::unique_ptr<Balancer> make_consistent_hash(const std::vector<uint32_t>& weights,
                                               const std::vector<std::string>& addresses) {
  return std::make_unique<ConsistentHash>(weights, addresses);
}

}  // namespace apigw::upstream::detail
