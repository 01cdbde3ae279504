#include "admin/admin.hpp"

#include <sys/socket.h>
#include <netinet/in.h>

#include <cstdio>
#include <map>
#include <string>

#include "admin/bearer_token.hpp"
#include "admin/config_document.hpp"
#include "core/builder_state.hpp"
#include "admin/control_routes.hpp"
#include "net/listen_socket.hpp"

namespace apigw {

Status validate_admin(const AdminOptions& admin) {
  sockaddr_storage ss;
  if (Status st = net::parse_address(admin.address, &ss); !st) return std::move(st).with_context("admin");
  if (!admin.token.empty()) return Status();
  bool loopback = ss.ss_family == AF_INET
                      ? (ntohl(reinterpret_cast<sockaddr_in*>(&ss)->sin_addr.s_addr) >> 24) == 127
                      : IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr);
  if (!loopback)
    return Status(Code::kInvalidArgument,
                  "admin: without a token the admin listener only binds to a loopback address");
  return Status();
}

namespace {

// Label values are route and listener names (bounded, checked at config
// load), escaped anyway as the exposition format asks.
std::string label(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

void header(std::string& out, const char* name, const char* help, const char* type) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

std::string seconds(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(ns) / 1e9);
  return buf;
}

// One histogram metric with a series per label value (route, upstream or policy names).
void histograms(std::string& out, const char* name, const char* help, const char* label_name,
                const std::map<uint32_t, telemetry::MetricsTotals::Latency>& series) {
  header(out, name, help, "histogram");
  auto& names = telemetry::RouteNames::instance();
  for (const auto& [id, l] : series) {
    std::string key = std::string(label_name) + "=" + label(names.name(id));
    uint64_t cumulative = 0;
    for (size_t i = 0; i < l.buckets.size(); ++i) {
      cumulative += l.buckets[i];
      char le[32];
      std::snprintf(le, sizeof le, "%g", telemetry::kLatencyBucketsSeconds[i]);
      out += std::string(name) + "_bucket{" + key + ",le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += std::string(name) + "_bucket{" + key + ",le=\"+Inf\"} " + std::to_string(l.count) + "\n";
    out += std::string(name) + "_sum{" + key + "} " + seconds(l.sum_ns) + "\n";
    out += std::string(name) + "_count{" + key + "} " + std::to_string(l.count) + "\n";
  }
}

std::string metrics_text(const Gateway& gw) {
  GatewayStats s = gateway_stats(gw);
  auto& names = telemetry::RouteNames::instance();
  std::string out;
  header(out, "apigw_requests_total", "Requests answered, by route, method and status code.", "counter");
  for (const auto& [key, count] : s.requests.requests) {
    const auto& [route, method, code] = key;
    out += "apigw_requests_total{route=" + label(names.name(route)) + ",method=" +
           label(telemetry::method_name(method)) + ",code=\"" + std::to_string(code) + "\"} " +
           std::to_string(count) + "\n";
  }
  histograms(out, "apigw_request_duration_seconds", "Time from the complete request head to the answer.", "route",
             s.requests.latency);
  histograms(out, "apigw_upstream_duration_seconds", "Time from sending a try to the answer's head, by upstream.",
             "upstream", s.requests.upstream_latency);
  histograms(out, "apigw_policy_duration_seconds",
             "Time one policy phase took, by policy (one request in 16 is timed).", "policy",
             s.requests.policy_latency);
  std::map<std::string, const GatewayStats::Upstream*> by_name;
  for (const auto& u : s.upstreams) by_name[u.name] = &u;
  auto target_name = [&](const std::string& upstream, uint32_t t) -> std::string {
    auto it = by_name.find(upstream);
    return it != by_name.end() && t < it->second->targets.size() ? it->second->targets[t] : "-";
  };
  header(out, "apigw_upstream_requests_total", "Tries on upstream targets, by outcome.", "counter");
  for (const auto& [key, count] : s.requests.upstream_tries) {
    const auto& [upstream, target, outcome] = key;
    std::string name = names.name(upstream);
    out += "apigw_upstream_requests_total{upstream=" + label(name) + ",target=" + label(target_name(name, target)) +
           ",outcome=" + label(telemetry::outcome_name(outcome)) + "} " + std::to_string(count) + "\n";
  }
  header(out, "apigw_upstream_retries_total", "Retries started, by upstream.", "counter");
  for (const auto& [upstream, count] : s.requests.upstream_retries)
    out += "apigw_upstream_retries_total{upstream=" + label(names.name(upstream)) + "} " + std::to_string(count) + "\n";
  header(out, "apigw_upstream_target_healthy", "1 while a target takes requests (healthy, not ejected).", "gauge");
  for (const auto& u : s.upstreams)
    for (size_t t = 0; t < u.targets.size(); ++t)
      out += "apigw_upstream_target_healthy{upstream=" + label(u.name) + ",target=" + label(u.targets[t]) + "} " +
             (u.healthy[t] ? "1" : "0") + "\n";
  header(out, "apigw_upstream_ejections_total", "Passive ejections of a target.", "counter");
  for (const auto& u : s.upstreams)
    for (size_t t = 0; t < u.targets.size(); ++t)
      out += "apigw_upstream_ejections_total{upstream=" + label(u.name) + ",target=" + label(u.targets[t]) + "} " +
             std::to_string(u.ejections[t]) + "\n";
  header(out, "apigw_metrics_series_dropped_total", "Samples not recorded because a series table was full.", "counter");
  out += "apigw_metrics_series_dropped_total " + std::to_string(s.requests.dropped) + "\n";
  header(out, "apigw_connections_active", "Open client connections, by listener.", "gauge");
  for (const auto& [name, n] : s.listener_connections)
    out += "apigw_connections_active{listener=" + label(name) + "} " + std::to_string(n) + "\n";
  if (!s.tls.empty()) {
    header(out, "apigw_tls_handshake_failures_total", "TLS handshakes that failed, by listener and reason.",
           "counter");
    for (const auto& t : s.tls)
      for (const auto& [reason, n] : t.handshake_failures)
        out += "apigw_tls_handshake_failures_total{listener=" + label(t.name) + ",reason=" + label(reason) + "} " +
               std::to_string(n) + "\n";
    header(out, "apigw_tls_certificate_reloads_total",
           "Certificate reloads of TLS listeners (config reload or files changed), by result.", "counter");
    for (const auto& t : s.tls) {
      out += "apigw_tls_certificate_reloads_total{listener=" + label(t.name) + ",result=\"ok\"} " +
             std::to_string(t.reloads_ok) + "\n";
      out += "apigw_tls_certificate_reloads_total{listener=" + label(t.name) + ",result=\"error\"} " +
             std::to_string(t.reloads_failed) + "\n";
    }
  }
  header(out, "apigw_requests_active", "Requests in flight.", "gauge");
  out += "apigw_requests_active " + std::to_string(s.active_requests) + "\n";
  if (s.access_log) {
    header(out, "apigw_access_log_lines_total", "Access log lines, written or dropped (the writer fell behind).",
           "counter");
    out += "apigw_access_log_lines_total{result=\"written\"} " + std::to_string(s.access_log->written) + "\n";
    out += "apigw_access_log_lines_total{result=\"dropped\"} " + std::to_string(s.access_log->dropped) + "\n";
  }
  if (s.trace_spans) {
    header(out, "apigw_trace_spans_total", "Spans exported to the collector, or dropped (queue full, collector down).",
           "counter");
    out += "apigw_trace_spans_total{result=\"exported\"} " + std::to_string(s.trace_spans->exported) + "\n";
    out += "apigw_trace_spans_total{result=\"dropped\"} " + std::to_string(s.trace_spans->dropped) + "\n";
  }
  header(out, "apigw_ratelimit_decisions_total", "Rate-limit decisions, by policy and decision.", "counter");
  for (const auto& r : s.rate_limits)
    for (size_t d = 0; d < r.decisions.size(); ++d)
      out += "apigw_ratelimit_decisions_total{policy=" + label(r.policy) + ",decision=\"" +
             std::string(policy::decision_name(policy::LimitDecision(d))) + "\"} " + std::to_string(r.decisions[d]) +
             "\n";
  header(out, "apigw_auth_failures_total", "Requests an authentication policy refused, by policy and reason.",
         "counter");
  for (const auto& a : s.auth_failures)
    for (const auto& [reason, n] : a.by_reason)
      out += "apigw_auth_failures_total{policy=" + label(a.policy) + ",reason=" + label(reason) + "} " +
             std::to_string(n) + "\n";
  header(out, "apigw_json_body_skipped_total",
         "Bodies json_body passed on unread, by policy and reason (overflow, unparsable, encoded).", "counter");
  for (const auto& j : s.json_body_skips)
    for (size_t r = 0; r < j.by_reason.size(); ++r)
      out += "apigw_json_body_skipped_total{policy=" + label(j.policy) + ",reason=\"" +
             std::string(policy::skip_reason_name(policy::JsonBodySkip(r))) + "\"} " + std::to_string(j.by_reason[r]) +
             "\n";
  header(out, "apigw_cache_requests_total", "Requests on cached routes, by route and result.", "counter");
  for (const auto& [route, counts] : s.cache_requests)
    for (size_t r = 0; r < counts.size(); ++r)
      out += "apigw_cache_requests_total{route=" + label(route) + ",result=\"" +
             std::string(policy::cache_result_name(policy::CacheResult(r))) + "\"} " + std::to_string(counts[r]) + "\n";
  header(out, "apigw_config_reloads_total", "Config reloads, by result.", "counter");
  out += "apigw_config_reloads_total{result=\"ok\"} " + std::to_string(s.reloads_ok) + "\n";
  out += "apigw_config_reloads_total{result=\"error\"} " + std::to_string(s.reloads_failed) + "\n";
  header(out, "apigw_config_info", "The running config: its version and the checksum of its document.", "gauge");
  out += "apigw_config_info{version=\"" + std::to_string(s.config_version) + "\",checksum=\"" +
         admin::checksum(gw.running_config().state().document) + "\"} 1\n";
  return out;
}

}  // namespace

Result<std::shared_ptr<const Snapshot>> make_admin_snapshot(Gateway& gw, const AdminOptions& options) {
  Gateway* g = &gw;
  GatewayBuilder b;
  b.listener({"admin", "127.0.0.1:0"});
  b.handler("healthz", [](Exchange& ex) { return ex.respond(200, "{\"status\":\"ok\"}\n", "application/json"); });
  b.handler("readyz", [g](Exchange& ex) {
    bool ready = g->ready() && !g->draining();
    return ex.respond(ready ? 200 : 503, ready ? "{\"status\":\"ready\"}\n" : "{\"status\":\"draining\"}\n",
                      "application/json");
  });
  b.handler("metrics", [g](Exchange& ex) {
    return ex.respond(200, metrics_text(*g), "text/plain; version=0.0.4; charset=utf-8");
  });
  for (const char* name : {"healthz", "readyz", "metrics"}) {
    RouteOptions r;
    r.name = std::string("admin-") + name;
    r.match.path = std::string("/") + name;
    r.match.methods = {"GET"};
    r.handler = name;
    b.route(std::move(r));
  }
  // Probes and metrics stay open (load balancers and scrapers); the rest
  // needs the token when one is configured.
  admin::add_control_routes(b, gw, options.token.empty() ? nullptr : admin::make_bearer_token(options.token));
  return Snapshot::compile(b, 0);
}

}  // namespace apigw
