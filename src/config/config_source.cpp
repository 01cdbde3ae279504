// Top-level "config_source": where a fleet reads its config (SPEC.md section 2).
//
//   "config_source": {"redis": {"address": "127.0.0.1:6379", "password_env": "REDIS_PASSWORD",
//                               "timeout_ms": 2000, "key": "apigw:config", "channel": "apigw:config"}}
//
// address and password default to the top-level "redis" section's (one
// Redis for rate limits and config is the common case), then to
// 127.0.0.1:6379 and no AUTH. Read after "redis".
#include "config/sections.hpp"
#include "config/secrets.hpp"
#include "config/syntax.hpp"
#include "core/builder_state.hpp"

namespace apigw::config {
namespace {

constexpr uint32_t kDefaultTimeoutMs = 2000;  // a GET of a large config, not a rate-limit decision

}  // namespace

void load_config_source(LoadContext& ctx, Element value, const std::string& pointer) {
  ObjectReader source(ctx.errors, value, pointer);
  if (!source.ok()) return;
  const size_t before = ctx.errors.count();
  if (ctx.unwatched_config_source)
    ctx.errors.add(pointer, "read by the apigw executable only: a host program reloads its gateway itself");
  ConfigSourceOptions c;
  const std::optional<RedisOptions>& shared = ctx.builder->state().redis;
  if (shared) {
    c.redis.address = shared->address;
    c.redis.password = shared->password;
  }
  c.redis.timeout_ms = kDefaultTimeoutMs;
  if (auto v = source.get("redis")) {
    ObjectReader o(ctx.errors, *v, source.child("redis"));
    if (o.ok()) {
      if (auto a = o.string("address")) c.redis.address = *a;
      bool given = false;
      if (auto p = read_secret(o, "password", ctx.base_dir, &given)) c.redis.password = *p;
      if (auto t = o.uint("timeout_ms", 1, 60000)) c.redis.timeout_ms = static_cast<uint32_t>(*t);
      if (auto k = o.string("key")) c.key = *k;
      if (auto ch = o.string("channel")) c.channel = *ch;
      if (o.has("key") && c.key.empty()) ctx.errors.add(o.child("key"), "must not be empty");
      if (o.has("channel") && c.channel.empty()) ctx.errors.add(o.child("channel"), "must not be empty");
      o.finish();
    }
  } else {
    source.missing("redis");
  }
  source.finish();
  if (ctx.errors.count() == before) ctx.builder->config_source(std::move(c));
}

}  // namespace apigw::config
