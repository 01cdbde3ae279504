// JSON -> option structs of the built-in policies (src/policy/builtin.hpp).
// Each reads its keys from `o` (the policy object, whose "name" and "type"
// the caller reads) and returns nullopt when anything was wrong.
#pragma once

#include <optional>
#include <string>

#include "config/reader.hpp"
#include "policy/builtin.hpp"

namespace apigw::config {

std::optional<policy::RequestIdOptions> read_request_id_options(ObjectReader& o);
std::optional<policy::HeadersOptions> read_headers_options(ObjectReader& o);
std::optional<policy::RateLimitOptions> read_rate_limit_options(ObjectReader& o, const std::string& name);
std::optional<policy::QuotaOptions> read_quota_options(ObjectReader& o, const std::string& name);

}  // namespace apigw::config
