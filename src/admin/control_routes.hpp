// The admin API's control calls (SPEC.md section 3), all behind the token:
//   GET /config, PUT /config, POST /config/validate   the running config
//   GET /upstreams                                     targets and their health
//   POST /routes/{name}/disable, /enable               the kill switch
//   PUT, DELETE /policies/{name}/override              a rate limit's emergency override
#pragma once

#include <string_view>

#include "apigw/gateway.hpp"
#include "config/config_loader.hpp"

namespace apigw::admin {

// `guard` (the bearer-token policy, or null without a token) runs first on each.
void add_control_routes(GatewayBuilder& b, Gateway& gw, const PolicyPtr& guard);

// A replacement config document loaded as PUT /config loads it (relative
// *_file paths, the host's handlers and the worker count taken from the
// running config), for other front ends that apply documents the same way:
// the fleet's config watcher.
config::LoadResult load_replacement_config(const Gateway& gw, std::string_view json);

}  // namespace apigw::admin
