// What a GatewayBuilder has collected; read by build() and by tests.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apigw/gateway.hpp"

namespace apigw {

struct GatewayBuilder::State {
  uint32_t workers = 1;
  Limits limits;
  std::vector<ListenerOptions> listeners;
  AdminOptions admin;
  std::map<std::string, Handler, std::less<>> handlers;
  std::map<std::string, PolicyPtr, std::less<>> policies;
  std::vector<UpstreamOptions> upstreams;
  std::vector<RouteOptions> routes;
  std::shared_ptr<const Clock> clock;
  std::optional<AccessLogOptions> access_log;
  std::optional<TracingOptions> tracing;
  std::string document;      // the JSON loaded, "" when built through the C++ API
  std::string document_dir;  // where its relative *_file paths resolve
  std::map<std::string, RateLimitKeyFunction, std::less<>> rate_limit_keys;
  std::optional<RedisOptions> redis;
  std::optional<ConfigSourceOptions> config_source;
};

}  // namespace apigw
