#include "upstream/compiled_upstream.hpp"

#include "telemetry/request_metrics.hpp"

namespace apigw::upstream {

std::shared_ptr<UpstreamShared> UpstreamRegistry::get(const UpstreamOptions& o) {
  std::vector<std::string> targets;
  for (const auto& t : o.targets) targets.push_back(t.address);
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = by_name_[o.name];
  if (slot && slot->targets == targets) {
    slot->health->configure(o.circuit_breaker, o.health_check);
    slot->budget->set_percent(o.retries.budget_percent);
    return slot;
  }
  auto shared = std::make_shared<UpstreamShared>();
  shared->health = std::make_shared<UpstreamHealth>(o.targets.size(), o.circuit_breaker, o.health_check);
  for (const auto& t : targets) shared->addresses.push_back(std::make_shared<TargetAddress>(t));
  if (slot) {
    // The target list changed: targets it keeps keep their health and their
    // resolved address; the retry budget counts requests of the upstream.
    for (size_t i = 0; i < targets.size(); ++i)
      for (size_t j = 0; j < slot->targets.size(); ++j)
        if (targets[i] == slot->targets[j]) {
          shared->health->adopt(i, *slot->health, j);
          shared->addresses[i] = slot->addresses[j];
        }
    shared->budget = slot->budget;
    shared->budget->set_percent(o.retries.budget_percent);
    shared->in_flight = slot->in_flight;
  } else {
    shared->budget = std::make_shared<RetryBudget>(o.retries.budget_percent);
    shared->in_flight = std::make_shared<InFlightCounts>();
  }
  shared->targets = std::move(targets);
  slot = shared;
  return shared;
}

std::map<std::string, std::shared_ptr<UpstreamShared>> UpstreamRegistry::all() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_name_;
}

Result<std::shared_ptr<const CompiledUpstream>> CompiledUpstream::compile(const UpstreamOptions& o,
                                                                         UpstreamRegistry& registry) {
  std::string where = "upstream \"" + o.name + "\"";
  if (o.targets.empty()) return Status(Code::kInvalidArgument, where + ": needs at least one target");
  auto c = std::make_shared<CompiledUpstream>();
  c->options = o;
  auto on = RetryOn::parse(o.retries.on);
  if (!on) return on.status().with_context(where);
  c->retry_on = std::move(on.value());
  c->shared = registry.get(o);
  for (size_t i = 0; i < o.targets.size(); ++i) {
    const auto& address = c->shared->addresses[i];
    if (!address->resolved())
      if (Status st = address->resolve_now(); !st) return std::move(st).with_context(where);
    c->addresses.push_back(address);
    c->target_names.push_back(o.targets[i].address);
    c->weights.push_back(o.targets[i].weight == 0 ? 1 : o.targets[i].weight);
  }
  if (o.tls) {
#if APIGW_WITH_TLS
    auto tls = net::TlsClientContext::create(*o.tls);
    if (!tls) return std::move(tls.status()).with_context(where);
    c->tls = std::move(tls.value());
    for (const auto& address : c->addresses) {
      const std::string& name = o.tls->server_name.empty() && address->is_name() ? address->host() : o.tls->server_name;
      // Verification checks a name; an IP target has none unless server_name gives it.
      if (name.empty() && o.tls->verify)
        return Status(Code::kInvalidArgument,
                      where + ": tls needs server_name to verify target \"" + address->target() + "\" (an IP address)");
      c->tls_server_names.push_back(name);
    }
#else
    return Status(Code::kInvalidArgument, where + ": tls: TLS is not in this build (built with APIGW_WITH_TLS=OFF)");
#endif
  }
  c->metric_id = telemetry::RouteNames::instance().intern(o.name);
  return std::shared_ptr<const CompiledUpstream>(std::move(c));
}

}  // namespace apigw::upstream
