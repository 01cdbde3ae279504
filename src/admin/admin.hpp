// The admin listener (SPEC.md section 3): /healthz, /readyz, /metrics here,
// the control calls in control_routes.hpp.
// Served by the same HTTP stack as everything else, from a snapshot of its own.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>

#include "apigw/gateway.hpp"
#include "core/snapshot.hpp"
#include "policy/policy_state.hpp"
#include "telemetry/request_metrics.hpp"

namespace apigw {

struct GatewayStats {
  uint64_t connections;
  uint64_t active_requests;
  uint64_t reloads_ok;
  uint64_t reloads_failed;
  uint64_t config_version;
  std::vector<std::pair<std::string, int64_t>> listener_connections;
  telemetry::MetricsTotals requests;
  struct Upstream {
    std::string name;
    std::vector<std::string> targets;
    std::vector<bool> healthy;  // not ejected and not failing active checks
    std::vector<bool> passing_checks;  // the active checks' view (true when checks are off)
    std::vector<bool> ejected;         // passively ejected right now
    std::vector<uint64_t> ejections;
    std::vector<uint64_t> in_flight;  // tries on the target now, all workers
  };
  std::vector<Upstream> upstreams;
  struct AccessLog {
    uint64_t written = 0;
    uint64_t dropped = 0;
  };
  std::optional<AccessLog> access_log;  // none when not configured
  struct TraceSpans {
    uint64_t exported = 0;
    uint64_t dropped = 0;
  };
  std::optional<TraceSpans> trace_spans;  // none without tracing
  struct RateLimit {
    std::string policy;
    std::array<uint64_t, static_cast<size_t>(policy::LimitDecision::kCount)> decisions;  // by LimitDecision
  };
  std::vector<RateLimit> rate_limits;
  struct AuthFailures {
    std::string policy;
    std::vector<std::pair<std::string, uint64_t>> by_reason;
  };
  std::vector<AuthFailures> auth_failures;
  struct JsonBodySkips {
    std::string policy;
    std::array<uint64_t, static_cast<size_t>(policy::JsonBodySkip::kCount)> by_reason;  // by JsonBodySkip
  };
  std::vector<JsonBodySkips> json_body_skips;
  struct TlsListener {
    std::string name;
    std::vector<std::pair<std::string, uint64_t>> handshake_failures;  // by reason
    uint64_t reloads_ok = 0;
    uint64_t reloads_failed = 0;
  };
  std::vector<TlsListener> tls;  // TLS listeners only
  std::map<std::string, policy::CacheResultCounts> cache_requests;  // by route, summed over cache policies
};
GatewayStats gateway_stats(const Gateway& gw);

// Without a token, the admin listener may only bind to a loopback address.
Status validate_admin(const AdminOptions& admin);

Result<std::shared_ptr<const Snapshot>> make_admin_snapshot(Gateway& gw, const AdminOptions& options);

}  // namespace apigw
