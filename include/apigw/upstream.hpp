// Upstream pools as the builder takes them (SPEC.md section 2, `upstreams`).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apigw/tls.hpp"

namespace apigw {

enum class Balance : uint8_t {
  kRoundRobin,      // smooth weighted round robin
  kLeastConn,       // power of two choices on requests in flight
  kPeakEwma,        // power of two choices on a moving average of latency
  kConsistentHash,  // ring with virtual nodes, keyed by `hash_on`
  kRandom,          // weighted random
};

struct HashOn {
  enum class Kind : uint8_t { kIp, kHeader, kCookie, kPath };
  Kind kind = Kind::kIp;
  std::string name;  // header or cookie name
};

struct UpstreamTarget {
  std::string address;  // "IP:PORT", "[IPv6]:PORT" or "hostname:PORT"
  uint32_t weight = 1;  // 1..1000
};

struct UpstreamTimeouts {
  uint32_t connect_ms = 1000;   // TCP connect; beyond: a connect failure (retryable)
  uint32_t response_ms = 15000; // per try, request sent to response head; beyond: 504
  uint32_t idle_ms = 60000;     // a pooled connection unused this long is closed
};

struct UpstreamRetries {
  // Tries in total, the first included: 1 = never retry.
  uint32_t attempts = 1;
  // Conditions: "connect_failure", "reset" (the connection broke before a
  // response head), and status codes such as "502", "503", "504".
  std::vector<std::string> on = {"connect_failure"};
  uint32_t backoff_ms = 25;      // base of the jittered exponential backoff
  uint32_t budget_percent = 20;  // retries in flight at most this share of requests in flight
};

struct HealthCheckOptions {
  std::string path = "/healthz";
  uint32_t interval_ms = 2000;
  uint32_t timeout_ms = 500;
  uint32_t healthy_threshold = 2;    // consecutive passes to mark a target healthy
  uint32_t unhealthy_threshold = 3;  // consecutive failures to mark it unhealthy
};

struct CircuitBreakerOptions {
  uint32_t consecutive_failures = 5;  // passive: failures in a row that eject a target
  uint32_t eject_ms = 10000;          // first ejection; doubles on each repeat
  uint32_t max_ejected_percent = 50;  // never eject more than this share of targets
  uint32_t max_pending = 1024;        // requests waiting for a connection; beyond: 503
};

class Exchange;

// A load balancer written by the host (Pingora's BackendSelection, Envoy's
// LoadBalancer): one instance per worker, so it needs no locks.
class Selector {
 public:
  virtual ~Selector() = default;
  // Picks a target among those with eligible[i] != 0 (healthy, not ejected,
  // not tried yet when others are left); -1 when none suits.
  virtual int pick(const Exchange& ex, const uint8_t* eligible, size_t targets) noexcept = 0;
  // A try on `target` ended: how long it took, and whether it got an answer.
  virtual void on_finish(uint32_t /*target*/, int64_t /*latency_ns*/, bool /*answered*/) noexcept {}
};

// Makes a worker's Selector for the upstream's targets (called on each
// worker, and again when a reload or set_upstream_targets changes them).
using SelectorFactory = std::function<std::unique_ptr<Selector>(const std::vector<struct UpstreamTarget>& targets)>;

struct UpstreamOptions {
  std::string name;
  std::vector<UpstreamTarget> targets;
  Balance balance = Balance::kRoundRobin;
  SelectorFactory selector;  // when set, replaces `balance`
  HashOn hash_on;  // for kConsistentHash
  UpstreamTimeouts timeouts;
  UpstreamRetries retries;
  std::optional<HealthCheckOptions> health_check;
  CircuitBreakerOptions circuit_breaker;
  uint32_t max_connections_per_target = 256;  // per worker
  std::optional<UpstreamTlsOptions> tls;  // set: HTTPS to the targets
};

// How a route forwards to its upstream.
struct RewriteOptions {
  std::string path;          // template with the route's {param} and {*rest}, e.g. "/users/{id}"
  std::string strip_prefix;  // removed from the front of the path (alternative to `path`)
  std::string host;          // replaces the Host header
};

struct SplitOptions {
  std::string upstream;
  uint32_t weight = 0;  // percent of requests (0..100) sent here instead of the route's upstream
};

struct MirrorOptions {
  std::string upstream;
  uint32_t percent = 0;  // sampled share of requests copied (fire and forget)
};

}  // namespace apigw
