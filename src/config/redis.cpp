// Top-level "redis": the server shared stores (rate_limit, quota) use.
#include "config/sections.hpp"
#include "config/secrets.hpp"
#include "config/syntax.hpp"

namespace apigw::config {

void load_redis(LoadContext& ctx, Element value, const std::string& pointer) {
  ObjectReader o(ctx.errors, value, pointer);
  if (!o.ok()) return;
  const size_t before = ctx.errors.count();
  RedisOptions r;
  if (auto v = o.string("address")) r.address = *v;
  bool given = false;
  if (auto v = read_secret(o, "password", ctx.base_dir, &given)) r.password = *v;
  if (auto v = o.uint("timeout_ms", 1, 60000)) r.timeout_ms = static_cast<uint32_t>(*v);
  if (auto v = o.uint("connections", 1, 64)) r.connections = static_cast<uint32_t>(*v);
  o.finish();
  if (ctx.errors.count() == before) ctx.builder->redis(std::move(r));
}

}  // namespace apigw::config
