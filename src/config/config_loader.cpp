// The config document: parse, then hand each top-level section to its reader.
#include "config/config_loader.hpp"

#include <exception>

#include "config/secrets.hpp"
#include "config/sections.hpp"

namespace apigw::config {

namespace {

constexpr size_t kMaxConfigBytes = 64u << 20;  // a config file beyond this is a mistake

void load_limits(LoadContext& ctx, Element value, const std::string& pointer) {
  ObjectReader o(ctx.errors, value, pointer);
  if (!o.ok()) return;
  constexpr uint64_t kDayMs = 86400000;
  constexpr uint64_t kMiB = 1 << 20;
  Limits l;
  // The lower bounds keep a request line and a few headers possible; the
  // upper ones catch a misplaced digit.
  auto u32 = [&](const char* key, uint32_t* field, uint64_t min, uint64_t max) {
    if (auto v = o.uint(key, min, max)) *field = static_cast<uint32_t>(*v);
  };
  u32("max_header_bytes", &l.max_header_bytes, 256, kMiB);
  u32("max_headers", &l.max_headers, 1, 10000);
  u32("max_uri_bytes", &l.max_uri_bytes, 16, kMiB);
  if (auto v = o.uint("max_body_bytes", 0, uint64_t{1} << 50)) l.max_body_bytes = *v;
  u32("header_timeout_ms", &l.header_timeout_ms, 1, kDayMs);
  u32("body_timeout_ms", &l.body_timeout_ms, 1, kDayMs);
  u32("idle_timeout_ms", &l.idle_timeout_ms, 1, kDayMs);
  u32("max_connections", &l.max_connections, 1, 10000000);
  u32("drain_timeout_ms", &l.drain_timeout_ms, 0, kDayMs);
  o.finish();
  ctx.builder->limits(l);
}

void load_document(LoadContext& ctx, std::string_view json) {
  simdjson::dom::parser parser;
  Element root;
  auto error = json.empty() ? simdjson::EMPTY : parser.parse(json.data(), json.size()).get(root);
  if (error) {
    ctx.errors.add("", error == simdjson::EMPTY ? "empty document: expected a JSON object"
                                                : std::string("invalid JSON: ") + simdjson::error_message(error));
    return;
  }
  ObjectReader o(ctx.errors, root, "");
  if (!o.ok()) return;
  // A fixed order: policies and upstreams before the routes that name them,
  // wherever they stand in the file.
  if (auto v = o.uint("workers", 1, 256)) ctx.builder->workers(static_cast<uint32_t>(*v));
  if (auto v = o.get("limits")) load_limits(ctx, *v, "/limits");
  if (auto v = o.get("listeners")) load_listeners(ctx, *v, "/listeners");
  else o.missing("listeners");
  if (auto v = o.get("admin")) load_admin(ctx, *v, "/admin");
  if (auto v = o.get("consumers")) load_consumers(ctx, *v, "/consumers");
  if (auto v = o.get("policies")) load_policies(ctx, *v, "/policies");
  if (auto v = o.get("upstreams")) load_upstreams(ctx, *v, "/upstreams");
  if (auto v = o.get("routes")) load_routes(ctx, *v, "/routes");
#ifdef APIGW_WITH_REDIS
  if (auto v = o.get("redis")) load_redis(ctx, *v, "/redis");
  if (auto v = o.get("config_source")) load_config_source(ctx, *v, "/config_source");  // after "redis"
#else
  o.unsupported("redis", "Redis is not in this build (APIGW_WITH_REDIS=OFF)");
  o.unsupported("config_source", "Redis is not in this build (APIGW_WITH_REDIS=OFF)");
#endif
  if (auto v = o.get("telemetry")) load_telemetry(ctx, *v, "/telemetry");
  o.finish();
}

LoadResult load_impl(std::string_view json, std::string_view base_dir,
                     const std::vector<std::string>* known_handlers, bool host_policies = false) {
  LoadResult result;
  LoadContext ctx;
  ctx.host_policies = host_policies;
  ctx.unwatched_config_source = host_policies;  // the C ABI's path
  ctx.builder = &result.builder;
  ctx.base_dir = std::string(base_dir);
  ctx.known_handlers = known_handlers;
  try {
    result.builder.config_document(std::string(json), std::string(base_dir));
    load_document(ctx, json);
  } catch (const std::exception& e) {  // bad_alloc, or a policy factory that threw
    ctx.errors.add("", std::string("internal error: ") + e.what());
  }
  result.errors = std::move(ctx.errors.list());
  return result;
}

LoadResult load_file_impl(const std::string& path, const std::vector<std::string>* known_handlers) {
  std::string json;
  if (std::string why = read_file_to_string(path, &json, kMaxConfigBytes); !why.empty()) {
    LoadResult result;
    result.errors.push_back(ConfigError{"", "cannot read " + quote(path) + ": " + why});
    return result;
  }
  size_t slash = path.rfind('/');
  std::string base_dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  return load_impl(json, base_dir, known_handlers);
}

}  // namespace

LoadResult load(std::string_view json, std::string_view base_dir) { return load_impl(json, base_dir, nullptr); }

LoadResult load(std::string_view json, std::string_view base_dir, const std::vector<std::string>& known_handlers) {
  return load_impl(json, base_dir, &known_handlers);
}

LoadResult load_with_host_policies(std::string_view json, std::string_view base_dir) {
  return load_impl(json, base_dir, nullptr, true);
}

LoadResult load_file(const std::string& path) { return load_file_impl(path, nullptr); }

LoadResult load_file(const std::string& path, const std::vector<std::string>& known_handlers) {
  return load_file_impl(path, &known_handlers);
}

}  // namespace apigw::config
