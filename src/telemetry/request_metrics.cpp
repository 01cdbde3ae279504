#include "telemetry/request_metrics.hpp"

namespace apigw::telemetry {

RouteNames& RouteNames::instance() {
  static RouteNames names;
  return names;
}

RouteNames::RouteNames() : names_{"-"} {}

uint32_t RouteNames::intern(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = ids_.find(name); it != ids_.end()) return it->second;
  auto id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  ids_.emplace(std::string(name), id);
  return id;
}

std::string RouteNames::name(uint32_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return id < names_.size() ? names_[id] : "-";
}

Method method_class(std::string_view m) noexcept {
  if (m == "GET") return Method::kGet;
  if (m == "HEAD") return Method::kHead;
  if (m == "POST") return Method::kPost;
  if (m == "PUT") return Method::kPut;
  if (m == "DELETE") return Method::kDelete;
  if (m == "PATCH") return Method::kPatch;
  if (m == "OPTIONS") return Method::kOptions;
  return Method::kOther;
}

std::string_view method_name(Method m) noexcept {
  static constexpr std::string_view kNames[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER"};
  return kNames[static_cast<size_t>(m)];
}

namespace {
template <class Slot, size_t N, class Match>
Slot* probe(std::array<Slot, N>& table, uint64_t hash, Match&& match) {
  for (size_t i = 0; i < N; ++i) {
    Slot& s = table[(hash + i) % N];
    if (match(s)) return &s;
  }
  return nullptr;
}
}  // namespace

std::string_view outcome_name(TryOutcome o) noexcept {
  static constexpr std::string_view kNames[] = {"answered",   "error_status", "connect_failure",
                                                "reset",      "timeout",      "protocol_error"};
  return kNames[static_cast<size_t>(o)];
}

namespace {
// A shard has one writer (its worker's loop thread), so an increment needs no
// locked read-modify-write: a relaxed load and store, which a scrape on
// another thread reads whole.
inline void bump(std::atomic<uint64_t>& a, uint64_t n = 1) noexcept {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
}  // namespace

void RequestMetrics::count(uint64_t raw) noexcept {
  uint64_t key = raw + 1;
  // Single writer: a free slot is claimed with a plain store; readers skip
  // slots whose key is 0 and may miss one sample in flight, never misread it.
  Counter* c = probe(counters_, key * 0x9E3779B97F4A7C15ull >> 40, [&](Counter& s) {
    uint64_t k = s.key.load(std::memory_order_relaxed);
    if (k == 0) s.key.store(key, std::memory_order_release);
    return k == 0 || k == key;
  });
  bump(c ? c->value : dropped_);
}

void RequestMetrics::record_try(uint32_t upstream, uint32_t target, TryOutcome outcome) noexcept {
  count(kUpstreamKey | (uint64_t{upstream} << 24) | (uint64_t{target & 0xffff} << 8) | uint64_t(outcome));
}

void RequestMetrics::record_retry(uint32_t upstream) noexcept {
  count(kUpstreamKey | (uint64_t{upstream} << 24) | (uint64_t{kRetryTarget} << 8));
}

void RequestMetrics::record(uint32_t route, Method method, int status, int64_t duration_ns) noexcept {
  count((uint64_t{route} << 24) | (uint64_t(method) << 16) | uint64_t(status & 0xffff));
  observe(route, duration_ns);
}

void RequestMetrics::observe(uint32_t series, int64_t duration_ns) noexcept {
  Histogram* h = probe(histograms_, uint64_t{series} * 0x9E3779B1u, [&](Histogram& s) {
    uint32_t r = s.series_plus1.load(std::memory_order_relaxed);
    if (r == 0) s.series_plus1.store(series + 1, std::memory_order_release);
    return r == 0 || r == series + 1;
  });
  if (!h) {
    bump(dropped_);
    return;
  }
  double seconds = static_cast<double>(duration_ns) / 1e9;
  size_t b = 0;
  while (b < kLatencyBucketsSeconds.size() && seconds > kLatencyBucketsSeconds[b]) ++b;
  if (b < kLatencyBucketsSeconds.size()) bump(h->buckets[b]);
  bump(h->sum_ns, static_cast<uint64_t>(duration_ns < 0 ? 0 : duration_ns));
  bump(h->count);
}

void RequestMetrics::collect(MetricsTotals& out) const {
  for (const Counter& c : counters_) {
    uint64_t k = c.key.load(std::memory_order_acquire);
    if (k == 0) continue;
    --k;
    uint64_t v = c.value.load(std::memory_order_relaxed);
    if (k & kUpstreamKey) {
      auto upstream = static_cast<uint32_t>((k & ~kUpstreamKey) >> 24);
      auto target = static_cast<uint32_t>((k >> 8) & 0xffff);
      if (target == kRetryTarget) out.upstream_retries[upstream] += v;
      else out.upstream_tries[{upstream, target, static_cast<TryOutcome>(k & 0xff)}] += v;
      continue;
    }
    out.requests[{static_cast<uint32_t>(k >> 24), static_cast<Method>((k >> 16) & 0xff),
                  static_cast<uint16_t>(k & 0xffff)}] += c.value.load(std::memory_order_relaxed);
  }
  for (const Histogram& h : histograms_) {
    uint32_t r = h.series_plus1.load(std::memory_order_acquire);
    if (r == 0) continue;
    uint32_t series = r - 1, id = series & ~(3u << 30);
    auto& l = (series & kUpstreamSeries) ? out.upstream_latency[id]
              : (series & kPolicySeries) ? out.policy_latency[id]
                                         : out.latency[id];
    for (size_t i = 0; i < h.buckets.size(); ++i) l.buckets[i] += h.buckets[i].load(std::memory_order_relaxed);
    l.count += h.count.load(std::memory_order_relaxed);
    l.sum_ns += h.sum_ns.load(std::memory_order_relaxed);
  }
  out.dropped += dropped_.load(std::memory_order_relaxed);
}

}  // namespace apigw::telemetry
