// Top-level "policies" and the type dispatch shared with inline route policies.
#include <algorithm>

#include "config/did_you_mean.hpp"
#include "config/policy_options.hpp"
#include "config/sections.hpp"
#include "config/syntax.hpp"

namespace apigw::config {

namespace {

const std::vector<std::string>& all_types() {
  static const std::vector<std::string> types = {"request_id", "headers", "rate_limit", "quota",
                                                 "api_key",    "jwt",     "acl",        "ip_filter",
                                                 "size_limit", "cors",    "schema",     "json_body",
                                                 "cache"};
  return types;
}

}  // namespace

PolicyPtr build_policy(LoadContext& ctx, ObjectReader& o, const std::string& name) {
  auto type = o.string("type");
  if (!o.has("type")) o.missing("type");
  if (!type) return nullptr;  // options cannot be judged without a type
  const size_t before = ctx.errors.count();
  PolicyPtr policy;
  bool judged = true;
  if (*type == "request_id") {
    if (auto opts = read_request_id_options(o)) policy = policy::make_request_id(std::move(*opts));
  } else if (*type == "headers") {
    if (auto opts = read_headers_options(o)) policy = policy::make_headers(std::move(*opts));
  } else if (*type == "rate_limit") {
    if (auto opts = read_rate_limit_options(o, name)) policy = policy::make_rate_limit(std::move(*opts));
  } else if (*type == "api_key") {
    if (auto opts = read_api_key_options(o, ctx)) policy = policy::make_api_key(std::move(*opts));
  } else if (*type == "jwt") {
#ifdef APIGW_WITH_TLS
    if (auto opts = read_jwt_options(o, ctx)) policy = policy::make_jwt(std::move(*opts));
#else
    (void)read_jwt_options(o, ctx);  // says why not
#endif
  } else if (*type == "acl") {
    if (auto opts = read_acl_options(o, ctx)) policy = policy::make_acl(std::move(*opts));
  } else if (*type == "ip_filter") {
    if (auto opts = read_ip_filter_options(o)) policy = policy::make_ip_filter(std::move(*opts));
  } else if (*type == "size_limit") {
    if (auto opts = read_size_limit_options(o)) policy = policy::make_size_limit(*opts);
  } else if (*type == "cors") {
    if (auto opts = read_cors_options(o)) policy = policy::make_cors(std::move(*opts));
  } else if (*type == "quota") {
    if (auto opts = read_quota_options(o, name)) policy = policy::make_quota(std::move(*opts));
  } else if (*type == "schema") {
    if (auto opts = read_schema_options(o, ctx)) policy = policy::make_schema(std::move(*opts));
  } else if (*type == "json_body") {
    if (auto opts = read_json_body_options(o)) policy = policy::make_json_body(std::move(*opts));
  } else if (*type == "cache") {
    if (auto opts = read_cache_options(o)) policy = policy::make_cache(std::move(*opts));
  } else {
    judged = false;
    ctx.errors.add(o.child("type"), "unknown policy type " + quote(*type) + did_you_mean(*type, all_types()));
  }
  if (judged && !policy && ctx.errors.count() == before)
    ctx.errors.add(o.pointer(), "internal error: the " + *type + " policy could not be built");
  // Unknown keys only mean something once the type's options are known.
  if (judged) o.finish();
  return policy;
}

void load_policies(LoadContext& ctx, Element value, const std::string& pointer) {
  auto items = as_array(ctx.errors, value, pointer);
  if (!items) return;
  size_t i = 0;
  for (Element item : *items) {
    const std::string at = child_pointer(pointer, i++);
    ObjectReader o(ctx.errors, item, at);
    if (!o.ok()) continue;
    auto name = o.required_string("name");
    if (name) {
      if (std::string why = check_name(*name); !why.empty()) {
        ctx.errors.add(o.child("name"), "policy name " + quote(*name) + " " + why);
        name.reset();
      } else if (!ctx.policy_names.insert(*name).second) {
        ctx.errors.add(o.child("name"), "duplicate policy name " + quote(*name));
        name.reset();
      }
    }
    const size_t before = ctx.errors.count();
    PolicyPtr policy = build_policy(ctx, o, name.value_or(""));
    if (name && policy && ctx.errors.count() == before) ctx.builder->policy(*name, std::move(policy));
  }
}

}  // namespace apigw::config
