// C ABI: a configuration built step by step, the same as the JSON config
// would make it. Built-in policies are read by the config loader itself, so
// their options mean exactly what they mean in a config file.
#include <cstring>

#include "config/config_loader.hpp"
#include "core/builder_state.hpp"
#include "internal.hpp"

using apigw::capi::fail;
using apigw::capi::guarded;
using apigw::capi::valid_name;

// Kept as plain options until the end: targets are added to an upstream after it.
struct apigw_builder {
  uint32_t workers = 1;
  std::vector<apigw::ListenerOptions> listeners;
  std::vector<apigw::UpstreamOptions> upstreams;
  std::vector<std::pair<std::string, apigw::PolicyPtr>> policies;
  std::vector<apigw::RouteOptions> routes;

  apigw::GatewayBuilder to_gateway_builder() const {
    apigw::GatewayBuilder b;
    b.workers(workers);
    for (const auto& l : listeners) b.listener(l);
    for (const auto& u : upstreams) b.upstream(u);
    for (const auto& [name, p] : policies) b.policy(name, p);
    for (const auto& r : routes) b.route(r);
    return b;
  }
};

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// {"name": N, "type": T, ...options}: the policy object of a config file.
bool policy_object(std::string_view name, std::string_view type, std::string_view options, std::string* out) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!options.empty() && blank(options.front())) options.remove_prefix(1);
  while (!options.empty() && blank(options.back())) options.remove_suffix(1);
  if (options.empty()) options = "{}";
  if (options.size() < 2 || options.front() != '{' || options.back() != '}') return false;
  std::string_view inner = options.substr(1, options.size() - 2);
  bool has_keys = inner.find_first_not_of(" \t\r\n") != std::string_view::npos;
  *out = "{\"name\":" + json_string(name) + ",\"type\":" + json_string(type) + (has_keys ? "," : "") +
         std::string(inner) + "}";
  return true;
}

}  // namespace

extern "C" {

APIGW_EXTERN int32_t apigw_builder_new(apigw_builder** out, char* err, size_t errlen) {
  if (!out) return fail(err, errlen, APIGW_E_INVALID, "out is NULL");
  *out = nullptr;
  return guarded(err, errlen, [&] {
    *out = new apigw_builder();
    return APIGW_OK;
  });
}

APIGW_EXTERN void apigw_builder_free(apigw_builder* builder) { delete builder; }

APIGW_EXTERN int32_t apigw_builder_set_workers(apigw_builder* builder, uint32_t workers, char* err, size_t errlen) {
  if (!builder || workers == 0 || workers > 256)
    return fail(err, errlen, APIGW_E_INVALID, "builder must not be NULL; workers is 1..256");
  builder->workers = workers;
  return APIGW_OK;
}

APIGW_EXTERN int32_t apigw_builder_add_listener(apigw_builder* builder, const char* name, const char* address,
                                                char* err, size_t errlen) {
  if (!builder || !valid_name(name) || !valid_name(address))
    return fail(err, errlen, APIGW_E_INVALID, "builder, name and address must not be NULL or empty");
  return guarded(err, errlen, [&] {
    builder->listeners.push_back({.name = name, .address = address});
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_builder_add_upstream(apigw_builder* builder, const char* name, char* err, size_t errlen) {
  if (!builder || !valid_name(name)) return fail(err, errlen, APIGW_E_INVALID, "builder and name must not be NULL");
  return guarded(err, errlen, [&] {
    for (const auto& u : builder->upstreams)
      if (u.name == name) return fail(err, errlen, APIGW_E_CONFIG, "duplicate upstream name \"" + u.name + "\"");
    apigw::UpstreamOptions u;
    u.name = name;
    builder->upstreams.push_back(std::move(u));
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_builder_add_target(apigw_builder* builder, const char* upstream, const char* address,
                                              uint32_t weight, char* err, size_t errlen) {
  if (!builder || !valid_name(upstream) || !valid_name(address) || weight < 1 || weight > 1000)
    return fail(err, errlen, APIGW_E_INVALID, "builder, upstream and address must not be NULL; weight is 1..1000");
  return guarded(err, errlen, [&] {
    for (auto& u : builder->upstreams) {
      if (u.name != upstream) continue;
      u.targets.push_back({.address = address, .weight = weight});
      return APIGW_OK;
    }
    return fail(err, errlen, APIGW_E_NOT_FOUND, std::string("no upstream named \"") + upstream + "\"");
  });
}

APIGW_EXTERN int32_t apigw_builder_add_policy(apigw_builder* builder, const char* name, const char* type,
                                              const char* options_json, size_t len, char* err, size_t errlen) {
  if (!builder || !valid_name(name) || !valid_name(type) || (!options_json && len))
    return fail(err, errlen, APIGW_E_INVALID, "builder, name and type must not be NULL or empty");
  return guarded(err, errlen, [&] {
    std::string object;
    if (!policy_object(name, type, std::string_view(options_json ? options_json : "", len), &object))
      return fail(err, errlen, APIGW_E_CONFIG, "options must be a JSON object");
    // A one-policy config document, read by the same code as a config file.
    const std::string doc = R"({"listeners": [{"address": "127.0.0.1:0"}], "policies": [)" + object + "]}";
    auto loaded = apigw::config::load(doc);
    if (!loaded.ok()) {
      std::string all;
      for (const auto& e : loaded.errors) {
        std::string where = e.pointer.rfind("/policies/0", 0) == 0 ? e.pointer.substr(11) : e.pointer;
        if (!all.empty()) all += '\n';
        all += std::string("policy \"") + name + "\"" + (where.empty() ? "" : " " + where) + ": " + e.message;
      }
      return fail(err, errlen, APIGW_E_CONFIG, all);
    }
    const auto& made = loaded.builder.state().policies;
    auto it = made.find(std::string_view(name));
    if (it == made.end()) return fail(err, errlen, APIGW_E_INTERNAL, "the policy was not built");
    builder->policies.emplace_back(name, it->second);
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_builder_add_route(apigw_builder* builder, const apigw_route_options* route, char* err,
                                             size_t errlen) {
  if (!builder || !route || route->struct_size < sizeof(uint32_t))
    return fail(err, errlen, APIGW_E_INVALID, "builder and route must not be NULL; set route->struct_size");
  // Read no further than the host's struct; fields it does not know stay zero.
  apigw_route_options r;
  std::memset(&r, 0, sizeof r);
  std::memcpy(&r, route, std::min<size_t>(route->struct_size, sizeof r));
  if (!valid_name(r.name)) return fail(err, errlen, APIGW_E_INVALID, "route->name must not be NULL or empty");
  if (r.policy_count && !r.policies) return fail(err, errlen, APIGW_E_INVALID, "route->policies is NULL");
  return guarded(err, errlen, [&] {
    apigw::RouteOptions o;
    o.name = r.name;
    if (r.path) o.match.path = r.path;
    if (r.path_prefix) o.match.path_prefix = r.path_prefix;
    if (r.method) o.match.methods.push_back(r.method);
    if (r.handler) o.handler = r.handler;
    if (r.upstream) o.upstream = r.upstream;
    if (r.respond_status) o.respond = apigw::StaticResponse{.status = r.respond_status, .headers = {},
                                                            .body = r.respond_body ? r.respond_body : ""};
    for (size_t i = 0; i < r.policy_count; ++i) {
      if (!valid_name(r.policies[i])) return fail(err, errlen, APIGW_E_INVALID, "route->policies holds a NULL name");
      o.policies.push_back(r.policies[i]);
    }
    builder->routes.push_back(std::move(o));
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_gateway_new_from_builder(const apigw_builder* builder, apigw_gateway** out, char* err,
                                                    size_t errlen) {
  if (!out) return fail(err, errlen, APIGW_E_INVALID, "out is NULL");
  *out = nullptr;
  if (!builder) return fail(err, errlen, APIGW_E_INVALID, "builder is NULL");
  return guarded(err, errlen, [&] {
    auto gw = std::make_unique<apigw_gateway>();
    gw->config = builder->to_gateway_builder();
    *out = gw.release();
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_gateway_reload_builder(apigw_gateway* gw, const apigw_builder* builder, char* err,
                                                  size_t errlen) {
  if (!gw || !builder) return fail(err, errlen, APIGW_E_INVALID, "gateway and builder must not be NULL");
  return guarded(err, errlen, [&] {
    apigw::GatewayBuilder next = builder->to_gateway_builder();
    std::lock_guard<std::mutex> lock(gw->mu);
    apigw::GatewayBuilder full = gw->with_host_callbacks(next);
    // Before start, the whole check waits for start (handlers may still come).
    if (gw->running)
      if (apigw::Status st = gw->running->reload(full); !st) return fail(err, errlen, st);
    gw->config = std::move(next);
    return APIGW_OK;
  });
}

}  // extern "C"
