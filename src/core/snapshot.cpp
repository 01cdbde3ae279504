#include "core/snapshot.hpp"

#include <algorithm>
#include <map>

#include "core/builder_state.hpp"
#include "core/echo_handler.hpp"
#include "telemetry/request_metrics.hpp"

namespace apigw {

Result<std::shared_ptr<const Snapshot>> Snapshot::compile(const GatewayBuilder& builder, uint64_t version,
                                                          upstream::UpstreamRegistry* registry,
                                                          policy::PolicyStateRegistry* states) {
  if (Status st = builder.validate(); !st) return st;
  const GatewayBuilder::State& s = builder.state();
  upstream::UpstreamRegistry fresh;
  if (!registry) registry = &fresh;
  std::map<std::string, std::shared_ptr<const upstream::CompiledUpstream>> upstreams;
  std::vector<std::shared_ptr<const upstream::CompiledUpstream>> snap_upstreams;
  for (const UpstreamOptions& u : s.upstreams) {
    auto c = upstream::CompiledUpstream::compile(u, *registry);
    if (!c) return c.status();
    upstreams[u.name] = c.value();
    snap_upstreams.push_back(std::move(c.value()));
  }
  // Stateful policies run as copies bound to the gateway's state, one per name.
  policy::PolicyStateRegistry fresh_states;
  if (!states) states = &fresh_states;
  policy::BindContext bind_ctx{*states, s.rate_limit_keys, s.redis.has_value(),
                              s.clock ? s.clock : SystemClock::instance()};
  std::map<std::string, PolicyPtr, std::less<>> bound;
  auto running_policy = [&](const std::string& name) -> Result<PolicyPtr> {
    if (auto it = bound.find(name); it != bound.end()) return it->second;
    PolicyPtr p = s.policies.find(name)->second;
    if (auto* stateful = dynamic_cast<const policy::StatefulPolicy*>(p.get())) {
      auto r = stateful->bind(bind_ctx, name);
      if (!r) return r.status();
      p = std::move(r.value());
    }
    bound.emplace(name, p);
    return p;
  };

  auto snap = std::make_shared<Snapshot>();
  snap->limits = s.limits;
  snap->clock = s.clock ? s.clock : SystemClock::instance();
  snap->version = version;
  snap->upstreams = std::move(snap_upstreams);

  std::vector<router::RouteSpec> specs;
  specs.reserve(s.routes.size());
  for (const RouteOptions& r : s.routes) {
    router::RouteSpec spec;
    spec.hosts = r.match.hosts;
    spec.is_prefix = r.match.path.empty();
    spec.path = spec.is_prefix ? r.match.path_prefix : r.match.path;
    spec.methods = r.match.methods;
    spec.headers = r.match.headers;
    specs.push_back(std::move(spec));

    CompiledRoute c;
    c.name = r.name;
    for (const auto& p : r.policies) {
      auto policy = running_policy(p);
      if (!policy) return policy.status();
      c.policies.push_back(std::move(policy.value()));
      c.policy_metric_ids.push_back(telemetry::RouteNames::instance().intern(p));
      c.response_body_limit = std::max(c.response_body_limit, c.policies.back()->response_body_limit());
    }
    snap->max_response_body_limit = std::max(snap->max_response_body_limit, c.response_body_limit);
    c.respond = r.respond;
    if (!r.handler.empty()) {
      auto h = s.handlers.find(r.handler);
      c.handler = h != s.handlers.end() ? h->second : Handler(echo_handler);
    }
    if (!r.upstream.empty()) {
      c.upstream = upstreams.at(r.upstream);
      c.rewrite = r.rewrite;
      for (const auto& sp : r.split) c.split.emplace_back(upstreams.at(sp.upstream), sp.weight);
      c.split_on = r.split_on;
      if (r.mirror) {
        c.mirror = upstreams.at(r.mirror->upstream);
        c.mirror_percent = r.mirror->percent;
      }
    }
    c.enabled = r.enabled;
    c.metric_id = telemetry::RouteNames::instance().intern(r.name);
    snap->routes.push_back(std::move(c));
  }
  auto table = router::RouteTable::build(specs);
  if (!table) return table.status();
  snap->table = std::move(table.value());
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

}  // namespace apigw
