// JSON -> option structs of the built-in policies (src/policy/builtin.hpp).
// Each reads its keys from `o` (the policy object, whose "name" and "type"
// the caller reads) and returns nullopt when anything was wrong.
#pragma once

#include <optional>
#include <string>

#include "config/reader.hpp"
#include "config/sections.hpp"
#include "policy/builtin.hpp"

namespace apigw::config {

std::optional<policy::RequestIdOptions> read_request_id_options(ObjectReader& o);
std::optional<policy::HeadersOptions> read_headers_options(ObjectReader& o);
std::optional<policy::RateLimitOptions> read_rate_limit_options(ObjectReader& o, const std::string& name);
// access_options.cpp
std::optional<policy::ApiKeyOptions> read_api_key_options(ObjectReader& o, const LoadContext& ctx);
std::optional<policy::AclOptions> read_acl_options(ObjectReader& o, const LoadContext& ctx);
std::optional<policy::IpFilterOptions> read_ip_filter_options(ObjectReader& o);
std::optional<policy::SizeLimitOptions> read_size_limit_options(ObjectReader& o);
// jwt_options.cpp
std::optional<policy::JwtOptions> read_jwt_options(ObjectReader& o, LoadContext& ctx);
// cors_options.cpp
std::optional<policy::CorsOptions> read_cors_options(ObjectReader& o);
std::optional<policy::QuotaOptions> read_quota_options(ObjectReader& o, const std::string& name);
// schema_options.cpp
std::optional<policy::SchemaOptions> read_schema_options(ObjectReader& o, const LoadContext& ctx);
// json_body_options.cpp
std::optional<policy::JsonBodyOptions> read_json_body_options(ObjectReader& o);
// cache_options.cpp
std::optional<policy::CacheOptions> read_cache_options(ObjectReader& o);

}  // namespace apigw::config
