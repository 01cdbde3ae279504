// Snapshot: the immutable running configuration that requests read.
//
// Built and checked once per (re)load; a request keeps the snapshot it
// started with, so a reload never changes a request in flight.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "apigw/gateway.hpp"
#include "policy/policy_state.hpp"
#include "router/route_table.hpp"
#include "upstream/compiled_upstream.hpp"

namespace apigw {

struct CompiledRoute {
  std::string name;
  std::vector<PolicyPtr> policies;
  std::vector<uint32_t> policy_metric_ids;  // the policies' names as label ids, in the same order
  std::optional<StaticResponse> respond;
  Handler handler;  // set when the target is a handler
  std::shared_ptr<const upstream::CompiledUpstream> upstream;  // set when the target is an upstream
  RewriteOptions rewrite;
  // Canary split: each (upstream, percent) takes that share of requests.
  std::vector<std::pair<std::shared_ptr<const upstream::CompiledUpstream>, uint32_t>> split;
  std::optional<HashOn> split_on;
  // Shadow traffic: a copy of `mirror_percent` % of requests, answers dropped.
  std::shared_ptr<const upstream::CompiledUpstream> mirror;
  uint32_t mirror_percent = 0;
  bool enabled = true;
  uint32_t metric_id = 0;  // the route's label id (telemetry::RouteNames)
  // The largest Policy::response_body_limit of its policies: 0 streams
  // answers and skips on_response_body.
  size_t response_body_limit = 0;
};

struct Snapshot {
  Limits limits;
  router::RouteTable table;
  std::vector<CompiledRoute> routes;
  std::vector<std::shared_ptr<const upstream::CompiledUpstream>> upstreams;
  std::shared_ptr<const Clock> clock;
  uint64_t version = 0;
  size_t max_response_body_limit = 0;  // over all routes: room in each exchange's arena

  // Checks the builder and compiles it. Never throws.
  // `registry` keeps upstream state across reloads, `states` the state of
  // stateful policies (rate limits); null makes fresh state.
  static Result<std::shared_ptr<const Snapshot>> compile(const GatewayBuilder& builder, uint64_t version,
                                                        upstream::UpstreamRegistry* registry = nullptr,
                                                        policy::PolicyStateRegistry* states = nullptr);
};

}  // namespace apigw
