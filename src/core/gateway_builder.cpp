// GatewayBuilder: collects options; validate() checks them as a whole.
#include <arpa/inet.h>

#include <set>
#include <string>

#include "core/builder_state.hpp"
#include "net/tls_client_context.hpp"
#include "net/tls_server_context.hpp"
#include "upstream/target_address.hpp"
#include "router/route_table.hpp"

namespace apigw {

GatewayBuilder::GatewayBuilder() : state_(std::make_unique<State>()) {}
GatewayBuilder::~GatewayBuilder() = default;
GatewayBuilder::GatewayBuilder(GatewayBuilder&&) noexcept = default;
GatewayBuilder& GatewayBuilder::operator=(GatewayBuilder&&) noexcept = default;

GatewayBuilder GatewayBuilder::from_state(const State& state) {
  GatewayBuilder b;
  *b.state_ = state;
  return b;
}

GatewayBuilder& GatewayBuilder::workers(uint32_t n) {
  state_->workers = n;
  return *this;
}
GatewayBuilder& GatewayBuilder::limits(const Limits& limits) {
  state_->limits = limits;
  return *this;
}
GatewayBuilder& GatewayBuilder::listener(ListenerOptions options) {
  state_->listeners.push_back(std::move(options));
  return *this;
}
GatewayBuilder& GatewayBuilder::config_document(std::string json, std::string base_dir) {
  state_->document = std::move(json);
  state_->document_dir = std::move(base_dir);
  return *this;
}
GatewayBuilder& GatewayBuilder::tracing(TracingOptions options) {
  state_->tracing = std::move(options);
  return *this;
}
GatewayBuilder& GatewayBuilder::access_log(AccessLogOptions options) {
  state_->access_log = std::move(options);
  return *this;
}
GatewayBuilder& GatewayBuilder::admin(AdminOptions options) {
  state_->admin = std::move(options);
  return *this;
}
GatewayBuilder& GatewayBuilder::handler(std::string name, Handler handler) {
  state_->handlers[std::move(name)] = std::move(handler);
  return *this;
}
GatewayBuilder& GatewayBuilder::policy(std::string name, PolicyPtr policy) {
  state_->policies[std::move(name)] = std::move(policy);
  return *this;
}
GatewayBuilder& GatewayBuilder::upstream(UpstreamOptions options) {
  state_->upstreams.push_back(std::move(options));
  return *this;
}
GatewayBuilder& GatewayBuilder::route(RouteOptions options) {
  state_->routes.push_back(std::move(options));
  return *this;
}
GatewayBuilder& GatewayBuilder::rate_limit_key(std::string name, RateLimitKeyFunction fn) {
  state_->rate_limit_keys[std::move(name)] = std::move(fn);
  return *this;
}
GatewayBuilder& GatewayBuilder::redis(RedisOptions options) {
  state_->redis = std::move(options);
  return *this;
}
GatewayBuilder& GatewayBuilder::config_source(ConfigSourceOptions options) {
  state_->config_source = std::move(options);
  return *this;
}
GatewayBuilder& GatewayBuilder::clock(std::shared_ptr<const Clock> clock) {
  state_->clock = std::move(clock);
  return *this;
}

namespace {

Status invalid(std::string message) { return Status(Code::kInvalidArgument, std::move(message)); }

Status validate_route(const GatewayBuilder::State& s, const RouteOptions& r, size_t index) {
  std::string where = "route " + std::to_string(index) + (r.name.empty() ? "" : " (\"" + r.name + "\")");
  int targets = (r.respond ? 1 : 0) + (r.handler.empty() ? 0 : 1) + (r.upstream.empty() ? 0 : 1);
  if (targets != 1) return invalid(where + ": needs exactly one of respond, handler, upstream");
  auto known_upstream = [&](const std::string& name) {
    for (const auto& u : s.upstreams)
      if (u.name == name) return true;
    return false;
  };
  if (!r.upstream.empty() && !known_upstream(r.upstream))
    return invalid(where + ": unknown upstream \"" + r.upstream + "\"");
  if (r.upstream.empty() && (!r.rewrite.path.empty() || !r.rewrite.strip_prefix.empty() || !r.rewrite.host.empty() ||
                             !r.split.empty() || r.mirror))
    return invalid(where + ": rewrite, split and mirror need an upstream target");
  uint32_t split_total = 0;
  for (const auto& sp : r.split) {
    if (!known_upstream(sp.upstream)) return invalid(where + ": unknown split upstream \"" + sp.upstream + "\"");
    split_total += sp.weight;
  }
  if (split_total > 100) return invalid(where + ": split weights add up to more than 100");
  if (r.mirror && !known_upstream(r.mirror->upstream))
    return invalid(where + ": unknown mirror upstream \"" + r.mirror->upstream + "\"");
  if (!r.handler.empty() && r.handler != "echo" && !s.handlers.count(r.handler))
    return invalid(where + ": unknown handler \"" + r.handler + "\"");
  if (r.respond && (r.respond->status < 100 || r.respond->status > 599))
    return invalid(where + ": respond status must be 100..599");
  for (const auto& p : r.policies)
    if (!s.policies.count(p)) return invalid(where + ": unknown policy \"" + p + "\"");
  if (r.match.path.empty() == r.match.path_prefix.empty())
    return invalid(where + ": needs exactly one of match.path, match.path_prefix");
  if (!r.match.path.empty()) {
    if (Status st = router::validate_pattern(r.match.path); !st) return std::move(st).with_context(where);
  } else if (r.match.path_prefix.front() != '/') {
    return invalid(where + ": path_prefix must start with '/'");
  }
  return Status();
}

Status validate_redis(const RedisOptions& r) {
#ifndef APIGW_WITH_REDIS
  (void)r;
  return invalid("redis: not in this build (APIGW_WITH_REDIS=OFF)");
#else
  size_t colon = r.address.rfind(':');
  std::string host = colon == std::string::npos ? "" : r.address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned char buf[16];
  bool ip = inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
  std::string port = colon == std::string::npos ? "" : r.address.substr(colon + 1);
  bool port_ok = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
                 std::stoul(port) >= 1 && std::stoul(port) <= 65535;
  if (!ip || !port_ok) return invalid("redis: address must be IP:PORT, got \"" + r.address + "\"");
  if (r.timeout_ms < 1 || r.timeout_ms > 60000) return invalid("redis: timeout_ms must be 1..60000");
  if (r.connections < 1 || r.connections > 64) return invalid("redis: connections must be 1..64");
  return Status();
#endif
}

}  // namespace

Status GatewayBuilder::validate() const {
  const State& s = *state_;
  if (s.workers < 1 || s.workers > 256) return invalid("workers must be 1..256");
  if (s.listeners.empty()) return invalid("at least one listener is needed");
  std::set<std::string> names;
  for (const auto& l : s.listeners) {
    if (l.address.empty()) return invalid("listener \"" + l.name + "\": address is empty");
    if (!l.name.empty() && !names.insert(l.name).second)
      return invalid("duplicate listener name \"" + l.name + "\"");
    if (l.tls) {
#if APIGW_WITH_TLS
      // Reads the files too: a missing file or a key that is not the
      // certificate's is a config error, not a failure at start.
      auto ctx = net::TlsServerContext::create(*l.tls, nullptr);
      if (!ctx) return std::move(ctx.status()).with_context("listener \"" + l.name + "\"");
#else
      return net::check_listener_tls(*l.tls).with_context("listener \"" + l.name + "\"");
#endif
    }
  }
  if (s.limits.max_header_bytes < 256) return invalid("limits.max_header_bytes must be at least 256");
  if (s.limits.max_uri_bytes < 16) return invalid("limits.max_uri_bytes must be at least 16");
  if (s.limits.max_headers < 1) return invalid("limits.max_headers must be at least 1");
  if (s.limits.max_connections < 1) return invalid("limits.max_connections must be at least 1");
  names.clear();
  for (const auto& u : s.upstreams) {
    std::string where = "upstream \"" + u.name + "\"";
    if (u.name.empty()) return invalid("an upstream needs a name");
    if (!names.insert(u.name).second) return invalid("duplicate upstream name \"" + u.name + "\"");
    if (u.targets.empty()) return invalid(where + ": needs at least one target");
    if (u.retries.attempts < 1) return invalid(where + ": retries.attempts must be at least 1");
    if (u.max_connections_per_target < 1) return invalid(where + ": max_connections_per_target must be at least 1");
    for (const auto& t : u.targets)
      if (t.weight < 1 || t.weight > 1000) return invalid(where + ": target weights must be 1..1000");
    if (u.tls) {
#if APIGW_WITH_TLS
      // Reads the CA and client certificate files: errors show at validate, not at start.
      auto ctx = net::TlsClientContext::create(*u.tls);
      if (!ctx) return std::move(ctx.status()).with_context(where);
      for (const auto& t : u.targets)
        if (u.tls->verify && u.tls->server_name.empty() && !upstream::TargetAddress(t.address).is_name())
          return invalid(where + ": tls needs server_name to verify target \"" + t.address + "\" (an IP address)");
#else
      return invalid(where + ": tls: TLS is not in this build (built with APIGW_WITH_TLS=OFF)");
#endif
    }
  }
  if (s.redis) {
    if (Status st = validate_redis(*s.redis); !st) return st;
  }
  if (s.config_source) {
    const ConfigSourceOptions& c = *s.config_source;
    if (Status st = validate_redis(c.redis); !st) return std::move(st).with_context("config_source");
    if (c.key.empty() || c.channel.empty()) return invalid("config_source: key and channel must not be empty");
  }
  names.clear();
  for (size_t i = 0; i < s.routes.size(); ++i) {
    const auto& r = s.routes[i];
    if (!r.name.empty() && !names.insert(r.name).second)
      return invalid("duplicate route name \"" + r.name + "\"");
    if (Status st = validate_route(s, r, i); !st) return st;
  }
  return Status();
}

}  // namespace apigw
