#include "upstream/compiled_upstream.hpp"

#include <netdb.h>

#include <cstring>

#include "net/listen_socket.hpp"
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
  if (slot) {
    // The target list changed: targets it keeps keep their health; the
    // retry budget counts requests of the upstream, whatever its targets.
    for (size_t i = 0; i < targets.size(); ++i)
      for (size_t j = 0; j < slot->targets.size(); ++j)
        if (targets[i] == slot->targets[j]) shared->health->adopt(i, *slot->health, j);
    shared->budget = slot->budget;
    shared->budget->set_percent(o.retries.budget_percent);
  } else {
    shared->budget = std::make_shared<RetryBudget>(o.retries.budget_percent);
  }
  shared->targets = std::move(targets);
  slot = shared;
  return shared;
}

std::map<std::string, std::shared_ptr<UpstreamShared>> UpstreamRegistry::all() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_name_;
}

namespace {

Status resolve(const std::string& address, sockaddr_storage* out) {
  if (net::parse_address(address, out).is_ok()) return Status();
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return Status(Code::kInvalidArgument, "target \"" + address + "\": expected HOST:PORT");
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0 || !res)
    return Status(Code::kUnavailable, "target \"" + address + "\": cannot resolve: " + gai_strerror(rc));
  std::memcpy(out, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  return Status();
}

}  // namespace

Result<std::shared_ptr<const CompiledUpstream>> CompiledUpstream::compile(const UpstreamOptions& o,
                                                                         UpstreamRegistry& registry) {
  std::string where = "upstream \"" + o.name + "\"";
  if (o.targets.empty()) return Status(Code::kInvalidArgument, where + ": needs at least one target");
  auto c = std::make_shared<CompiledUpstream>();
  c->options = o;
  for (const auto& t : o.targets) {
    sockaddr_storage ss;
    if (Status st = resolve(t.address, &ss); !st) return std::move(st).with_context(where);
    c->addresses.push_back(ss);
    c->target_names.push_back(t.address);
    c->weights.push_back(t.weight == 0 ? 1 : t.weight);
  }
  auto on = RetryOn::parse(o.retries.on);
  if (!on) return on.status().with_context(where);
  c->retry_on = std::move(on.value());
  c->shared = registry.get(o);
  c->metric_id = telemetry::RouteNames::instance().intern(o.name);
  return std::shared_ptr<const CompiledUpstream>(std::move(c));
}

}  // namespace apigw::upstream
