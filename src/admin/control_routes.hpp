// The admin API's control calls (SPEC.md section 3), all behind the token:
//   GET /config, PUT /config, POST /config/validate   the running config
//   GET /upstreams                                     targets and their health
//   POST /routes/{name}/disable, /enable               the kill switch
//   PUT, DELETE /policies/{name}/override              a rate limit's emergency override
#pragma once

#include "apigw/gateway.hpp"

namespace apigw::admin {

// `guard` (the bearer-token policy, or null without a token) runs first on each.
void add_control_routes(GatewayBuilder& b, Gateway& gw, const PolicyPtr& guard);

}  // namespace apigw::admin
