// CompiledUpstream: an upstream as the running snapshot holds it.
//
// Addresses are resolved and options checked once, at (re)load. State that
// must outlive a reload (target health, ejections, the retry budget) lives in
// an UpstreamRegistry owned by the gateway, keyed by upstream name; it is
// kept when the reload leaves the upstream's target list as it was.
#pragma once

#include <sys/socket.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "apigw/status.hpp"
#include "apigw/upstream.hpp"
#include "net/tls_client_context.hpp"
#include "upstream/in_flight_counts.hpp"
#include "upstream/retry_budget.hpp"
#include "upstream/target_address.hpp"
#include "upstream/target_health.hpp"

namespace apigw::upstream {

struct UpstreamShared {
  std::vector<std::string> targets;  // the addresses the state was made for
  std::vector<std::shared_ptr<TargetAddress>> addresses;  // by target index
  std::shared_ptr<UpstreamHealth> health;
  std::shared_ptr<RetryBudget> budget;
  std::shared_ptr<InFlightCounts> in_flight;  // kept when the target list changes, like the budget
};

class UpstreamRegistry {
 public:
  std::shared_ptr<UpstreamShared> get(const UpstreamOptions& options);
  // Every upstream's shared state, by name (for the admin API and metrics).
  std::map<std::string, std::shared_ptr<UpstreamShared>> all() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<UpstreamShared>> by_name_;
};

struct CompiledUpstream {
  UpstreamOptions options;
  std::vector<std::shared_ptr<TargetAddress>> addresses;  // one per target, resolved
  std::vector<std::string> target_names;    // as configured, for metrics and logs
  std::vector<uint32_t> weights;
  RetryOn retry_on;
  std::shared_ptr<UpstreamShared> shared;
  uint32_t metric_id = 0;
#if APIGW_WITH_TLS
  std::shared_ptr<const net::TlsClientContext> tls;  // set: HTTPS to the targets
  // SNI and the name verified, by target: tls.server_name, else the target's host.
  std::vector<std::string> tls_server_names;
#endif

  // Resolves host names not resolved yet (blocking: a control-plane call,
  // never on a loop); TargetResolver keeps them fresh afterwards.
  static Result<std::shared_ptr<const CompiledUpstream>> compile(const UpstreamOptions& options,
                                                                UpstreamRegistry& registry);
};

}  // namespace apigw::upstream
