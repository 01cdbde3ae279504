// The sections of the config file, each read into the builder by its own
// function (listeners.cpp, policies.cpp, upstreams.cpp, routes.cpp).
// Internal to src/config.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "apigw/gateway.hpp"
#include "config/reader.hpp"
#include "policy/builtin.hpp"

namespace apigw::config {

struct LoadContext {
  Errors errors;
  GatewayBuilder* builder = nullptr;
  std::string base_dir;
  // Handlers a route may name besides "echo"; null accepts any name (the
  // builder checks it when the host has registered its handlers).
  const std::vector<std::string>* known_handlers = nullptr;
  // A route may name a policy the document does not declare (the host registers it).
  bool host_policies = false;
  // Every name declared in the top-level "policies", built or not, so a
  // broken policy is not also reported as unknown where routes use it.
  std::set<std::string> policy_names;
  // The same for "upstreams": routes name them in upstream, split and mirror.
  std::set<std::string> upstream_names;
  // Listener addresses with a fixed port: two sockets on one address would
  // fail at bind, or with SO_REUSEPORT silently share the traffic.
  std::set<std::string> fixed_addresses;
  // "consumers", read before the policies that map credentials to them.
  std::vector<policy::Consumer> consumers;
  std::set<std::string> consumer_ids;
  std::set<std::string> consumer_tags;
  // The C ABI's loads: nothing there watches a config_source, so it is refused.
  bool unwatched_config_source = false;
};

void load_listeners(LoadContext& ctx, Element value, const std::string& pointer);
void load_admin(LoadContext& ctx, Element value, const std::string& pointer);
void load_consumers(LoadContext& ctx, Element value, const std::string& pointer);
void load_policies(LoadContext& ctx, Element value, const std::string& pointer);
void load_upstreams(LoadContext& ctx, Element value, const std::string& pointer);
void load_routes(LoadContext& ctx, Element value, const std::string& pointer);
void load_telemetry(LoadContext& ctx, Element value, const std::string& pointer);
void load_redis(LoadContext& ctx, Element value, const std::string& pointer);
void load_config_source(LoadContext& ctx, Element value, const std::string& pointer);

// The "tls" object of a listener or an upstream; nullopt when absent or wrong.
std::optional<ListenerTlsOptions> load_listener_tls(LoadContext& ctx, ObjectReader& listener);
std::optional<UpstreamTlsOptions> load_upstream_tls(LoadContext& ctx, ObjectReader& upstream);

// "ip", "path", "header:NAME" or "cookie:NAME" (hash_on, split_on).
std::optional<HashOn> parse_hash_on(const std::string& s);

// Reads "type" and the options of a policy object (top-level or inline in a
// route) and builds it; null when anything was wrong.
PolicyPtr build_policy(LoadContext& ctx, ObjectReader& o, const std::string& name);

}  // namespace apigw::config
