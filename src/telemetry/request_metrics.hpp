// Request counters and latency histograms, one shard per worker.
//
// A worker is the only writer of its shard, so recording is a few relaxed
// atomic adds with no lock and no contended cache line; a scrape (any thread)
// reads every shard and sums. Series are bounded: a shard holds at most
// kMaxCounters (route, method, code) counters and kMaxHistograms routes;
// beyond that a sample is counted in `dropped` instead.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace apigw::telemetry {

// Route names as label values, interned process-wide: ids stay the same
// across reloads, so counters of a route survive them. Id 0 is "no route".
class RouteNames {
 public:
  static RouteNames& instance();
  uint32_t intern(std::string_view name);
  std::string name(uint32_t id) const;

 private:
  RouteNames();
  mutable std::mutex mu_;
  std::vector<std::string> names_;
  std::map<std::string, uint32_t, std::less<>> ids_;
};

enum class Method : uint8_t { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kOther };
Method method_class(std::string_view method) noexcept;
std::string_view method_name(Method m) noexcept;

// How one try on an upstream target ended.
enum class TryOutcome : uint8_t { kAnswered, kErrorStatus, kConnectFailure, kReset, kTimeout, kProtocolError };
std::string_view outcome_name(TryOutcome o) noexcept;

inline constexpr std::array<double, 12> kLatencyBucketsSeconds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};

struct MetricsTotals {
  // (route, method, code) -> count
  std::map<std::tuple<uint32_t, Method, uint16_t>, uint64_t> requests;
  struct Latency {
    std::array<uint64_t, kLatencyBucketsSeconds.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    uint64_t sum_ns = 0;
  };
  std::map<uint32_t, Latency> latency;           // by route
  std::map<uint32_t, Latency> upstream_latency;  // by upstream: try sent -> answer head
  std::map<uint32_t, Latency> policy_latency;    // by policy name: one phase (sampled requests)
  // (upstream, target index, outcome) -> tries; upstream -> retries
  std::map<std::tuple<uint32_t, uint32_t, TryOutcome>, uint64_t> upstream_tries;
  std::map<uint32_t, uint64_t> upstream_retries;
  uint64_t dropped = 0;
};

class RequestMetrics {
 public:
  static constexpr size_t kMaxCounters = 2048;
  static constexpr size_t kMaxHistograms = 512;

  // Worker thread only.
  void record(uint32_t route, Method method, int status, int64_t duration_ns) noexcept;
  // Upstream ids are names interned in RouteNames, like routes.
  void record_try(uint32_t upstream, uint32_t target, TryOutcome outcome) noexcept;
  void record_retry(uint32_t upstream) noexcept;
  // Latency histograms by upstream and by policy (names interned in RouteNames).
  void record_upstream_latency(uint32_t upstream, int64_t ns) noexcept { observe(kUpstreamSeries | upstream, ns); }
  void record_policy_latency(uint32_t policy, int64_t ns) noexcept { observe(kPolicySeries | policy, ns); }
  // Any thread: adds this shard into `out`.
  void collect(MetricsTotals& out) const;

 private:
  // One table for every counter: request keys are (route << 24 | method << 16
  // | code); upstream keys set kUpstreamKey and pack (upstream, target, outcome).
  static constexpr uint64_t kUpstreamKey = 1ull << 62;
  static constexpr uint32_t kRetryTarget = 0xffff;
  void count(uint64_t key) noexcept;
  // Histogram series: a route id, or an upstream or policy id with its kind bit.
  static constexpr uint32_t kUpstreamSeries = 1u << 30;
  static constexpr uint32_t kPolicySeries = 2u << 30;
  void observe(uint32_t series, int64_t ns) noexcept;
  struct Counter {
    std::atomic<uint64_t> key{0};  // 0 = free; else the key + 1
    std::atomic<uint64_t> value{0};
  };
  struct Histogram {
    std::atomic<uint32_t> series_plus1{0};
    std::array<std::atomic<uint64_t>, kLatencyBucketsSeconds.size()> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_ns{0};
  };

  std::array<Counter, kMaxCounters> counters_;
  std::array<Histogram, kMaxHistograms> histograms_;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace apigw::telemetry
