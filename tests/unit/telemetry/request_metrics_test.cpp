#include <doctest/doctest.h>

#include <memory>

#include "telemetry/request_metrics.hpp"

using apigw::telemetry::Method;

TEST_CASE("metrics: counts by route, method and code, latency buckets") {
  auto m = std::make_unique<apigw::telemetry::RequestMetrics>();
  uint32_t users = apigw::telemetry::RouteNames::instance().intern("users");
  m->record(users, Method::kGet, 200, 300'000);     // 0.3 ms
  m->record(users, Method::kGet, 200, 3'000'000);   // 3 ms
  m->record(users, Method::kPost, 503, 7'000'000'000);  // beyond the last bucket
  apigw::telemetry::MetricsTotals t;
  m->collect(t);
  CHECK(t.requests[{users, Method::kGet, 200}] == 2);
  CHECK(t.requests[{users, Method::kPost, 503}] == 1);
  const auto& l = t.latency[users];
  CHECK(l.count == 3);
  CHECK(l.buckets[0] == 1);  // <= 0.5 ms
  CHECK(l.buckets[3] == 1);  // <= 5 ms
  uint64_t in_buckets = 0;
  for (auto b : l.buckets) in_buckets += b;
  CHECK(in_buckets == 2);  // the 7 s sample is only in +Inf (count)
  CHECK(l.sum_ns == 7'003'300'000);
  CHECK(apigw::telemetry::RouteNames::instance().intern("users") == users);  // stable ids
}

TEST_CASE("metrics: series are capped and overflow is counted") {
  auto m = std::make_unique<apigw::telemetry::RequestMetrics>();
  const uint32_t routes = apigw::telemetry::RequestMetrics::kMaxHistograms + 10;
  for (uint32_t r = 1; r <= routes; ++r) m->record(r, Method::kGet, 200, 1000);
  apigw::telemetry::MetricsTotals t;
  m->collect(t);
  CHECK(t.latency.size() == apigw::telemetry::RequestMetrics::kMaxHistograms);
  CHECK(t.requests.size() == routes);  // counters have room for these
  CHECK(t.dropped == 10);
}

TEST_CASE("metrics: shards from several workers add up") {
  auto a = std::make_unique<apigw::telemetry::RequestMetrics>();
  auto b = std::make_unique<apigw::telemetry::RequestMetrics>();
  a->record(7, Method::kGet, 200, 1);
  b->record(7, Method::kGet, 200, 1);
  b->record(7, Method::kGet, 404, 1);
  apigw::telemetry::MetricsTotals t;
  a->collect(t);
  b->collect(t);
  CHECK(t.requests[{7, Method::kGet, 200}] == 2);
  CHECK(t.requests[{7, Method::kGet, 404}] == 1);
  CHECK(t.latency[7].count == 3);
}

TEST_CASE("metrics: upstream and policy latencies are series of their own") {
  auto m = std::make_unique<apigw::telemetry::RequestMetrics>();
  auto& names = apigw::telemetry::RouteNames::instance();
  uint32_t users = names.intern("users"), origin = names.intern("origin"), rid = names.intern("rid");
  m->record(users, Method::kGet, 200, 2'000'000);
  m->record_upstream_latency(origin, 700'000);      // 0.7 ms
  m->record_upstream_latency(origin, 30'000'000);   // 30 ms
  m->record_policy_latency(rid, 20'000);
  apigw::telemetry::MetricsTotals t;
  m->collect(t);
  CHECK(t.latency.size() == 1);
  CHECK(t.latency[users].count == 1);
  REQUIRE(t.upstream_latency.count(origin) == 1);
  CHECK(t.upstream_latency[origin].count == 2);
  CHECK(t.upstream_latency[origin].buckets[1] == 1);  // <= 1 ms
  CHECK(t.upstream_latency[origin].buckets[6] == 1);  // <= 50 ms
  CHECK(t.upstream_latency[origin].sum_ns == 30'700'000);
  CHECK(t.policy_latency[rid].count == 1);
  CHECK(t.policy_latency[rid].buckets[0] == 1);
}
