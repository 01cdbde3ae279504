// Power of two choices (P2C): least_conn and peak_ewma.
//
// Sample two distinct eligible targets uniformly at random and keep the
// cheaper one. Compared with "scan for the global minimum" this is O(1), does
// not herd every worker onto the same momentarily-idle target, and still
// gives an exponentially better max load than random (Mitzenmacher).
//
// Weights: sampling is uniform; weight enters the cost as a divisor instead
// (cost / weight), so a weight-3 target carries ~3x the load of a weight-1
// target at equal cost. Weighting both the sample and the cost would count the
// weight twice.
#include <cmath>

#include "upstream/balancer_common.hpp"

namespace apigw::upstream::detail {
namespace {

// Two distinct eligible targets; `cheaper(a, b)` says whether a should win.
// Ties go to `a`, which is itself uniformly random, so ties split evenly.
template <class Cheaper>
int p2c_pick(Rng& rng, const uint8_t* eligible, uint32_t n, Cheaper cheaper) noexcept {
  int a = sample_uniform(rng, eligible, n, -1);
  if (a < 0) return -1;
  int b = sample_uniform(rng, eligible, n, a);
  if (b < 0) return a;  // the only eligible target
  return cheaper(static_cast<uint32_t>(a), static_cast<uint32_t>(b)) ? a : b;
}

// least_conn: cost = (in_flight + 1) / weight. The +1 makes idle targets
// comparable by weight (an idle weight-5 target beats an idle weight-1 one);
// with equal weights it is plain "fewer in flight".
class LeastConn final : public CountingBalancer {
 public:
  LeastConn(std::vector<uint32_t> weights, uint64_t seed)
      : CountingBalancer(weights.size()), weights_(std::move(weights)), rng_(seed) {}

  int pick(const uint8_t* eligible, uint64_t /*key_hash*/) noexcept override {
    return p2c_pick(rng_, eligible, size(), [this](uint32_t a, uint32_t b) {
      // (ia+1)/wa <= (ib+1)/wb, cross-multiplied to stay in integers.
      return (uint64_t{in_flight_[a]} + 1) * weights_[b] <= (uint64_t{in_flight_[b]} + 1) * weights_[a];
    });
  }

 private:
  std::vector<uint32_t> weights_;
  Rng rng_;
};

// peak_ewma (Finagle / linkerd): cost = latency estimate * (in_flight + 1) / weight.
//
// The estimate is a "peak" EWMA of try latencies: a sample above the estimate
// replaces it at once (react to slowness immediately), a lower one is blended
// in with w = exp(-elapsed / tau), tau = 10 s (recover gradually). At pick
// time the estimate also decays toward 0 with the time since its last sample,
// so a target avoided for being slow is probed again later instead of starving
// forever. pick() has no clock: "now" is the latest now_ns seen in on_finish,
// i.e. time advances as any target of this pool answers.
//
// A target with no sample yet costs 0 while idle (tried first, so new targets
// get measured), and a large penalty once it has requests in flight: it takes
// one probe at a time until its first answer, instead of a herd of requests
// onto a target whose latency is unknown (Finagle does the same).
class PeakEwma final : public CountingBalancer {
 public:
  PeakEwma(std::vector<uint32_t> weights, uint64_t seed)
      : CountingBalancer(weights.size()), weights_(std::move(weights)), stats_(weights_.size()), rng_(seed) {}

  int pick(const uint8_t* eligible, uint64_t /*key_hash*/) noexcept override {
    return p2c_pick(rng_, eligible, size(), [this](uint32_t a, uint32_t b) { return cost(a) <= cost(b); });
  }

  void on_finish(uint32_t target, int64_t latency_ns, int64_t now_ns) noexcept override {
    CountingBalancer::on_finish(target, latency_ns, now_ns);
    if (target >= size()) return;
    if (now_ns > now_ns_) now_ns_ = now_ns;
    Stats& s = stats_[target];
    const double sample = latency_ns > 0 ? static_cast<double>(latency_ns) : 0.0;
    if (!s.sampled || sample > s.ewma_ns) {
      s.ewma_ns = sample;  // first sample, or a new peak
    } else {
      const double w = decay(now_ns - s.stamp_ns);
      s.ewma_ns = s.ewma_ns * w + sample * (1.0 - w);
    }
    s.sampled = true;
    s.stamp_ns = now_ns;
  }

 private:
  static constexpr double kTauNs = 10e9;
  static constexpr double kPenalty = 1e30;  // far above any real latency * load

  struct Stats {
    double ewma_ns = 0;
    int64_t stamp_ns = 0;
    bool sampled = false;
  };

  static double decay(int64_t elapsed_ns) noexcept {
    return elapsed_ns > 0 ? std::exp(-static_cast<double>(elapsed_ns) / kTauNs) : 1.0;
  }

  double cost(uint32_t i) const noexcept {
    const Stats& s = stats_[i];
    const uint32_t pending = in_flight_[i];
    if (!s.sampled) return pending == 0 ? 0.0 : kPenalty + pending;
    const double latency = s.ewma_ns * decay(now_ns_ - s.stamp_ns);
    return latency * (pending + 1) / weights_[i];
  }

  std::vector<uint32_t> weights_;
  std::vector<Stats> stats_;
  int64_t now_ns_ = 0;
  Rng rng_;
};

}  // namespace

std::unique_ptr<Balancer> make_least_conn(std::vector<uint32_t> weights, uint64_t seed) {
  return std::make_unique<LeastConn>(std::move(weights), seed);
}

std::unique_ptr<Balancer> make_peak_ewma(std::vector<uint32_t> weights, uint64_t seed) {
  return std::make_unique<PeakEwma>(std::move(weights), seed);
}

}  // namespace apigw::upstream::detail
