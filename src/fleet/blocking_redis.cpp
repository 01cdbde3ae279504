#ifdef APIGW_WITH_REDIS
#include "fleet/blocking_redis.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <initializer_list>
#include <vector>

namespace apigw::fleet {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

timeval to_timeval(uint32_t ms) {
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>(ms % 1000) * 1000};
}

Status unavailable(const std::string& address, std::string_view why) {
  return Status(Code::kUnavailable, "redis at " + address + ": " + std::string(why));
}

// One command; an error reply is a Status too.
Result<Reply> command(redisContext* ctx, const std::string& address, std::initializer_list<std::string_view> args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (std::string_view a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  Reply reply(static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (!reply) return unavailable(address, ctx->err ? ctx->errstr : "no reply");
  if (reply->type == REDIS_REPLY_ERROR) return unavailable(address, std::string_view(reply->str, reply->len));
  return reply;
}

}  // namespace

Result<std::unique_ptr<BlockingRedis>> BlockingRedis::connect(const RedisOptions& options) {
  const std::string& a = options.address;
  const Status bad_address(Code::kInvalidArgument, "redis address must be HOST:PORT, got \"" + a + "\"");
  size_t colon = a.rfind(':');
  if (colon == std::string::npos) return bad_address;
  std::string host = a.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = 0;
  for (char c : a.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return bad_address;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return bad_address;
  redisContext* ctx = redisConnectWithTimeout(host.c_str(), port, to_timeval(options.timeout_ms));
  if (!ctx) return unavailable(a, "out of memory");
  std::unique_ptr<BlockingRedis> redis(new BlockingRedis(ctx, a));
  if (ctx->err) return unavailable(a, ctx->errstr);
  if (redisSetTimeout(ctx, to_timeval(options.timeout_ms)) != REDIS_OK) return unavailable(a, ctx->errstr);
  if (!options.password.empty()) {
    auto auth = command(ctx, a, {"AUTH", options.password});
    if (!auth) return auth.status();
  }
  return redis;
}

BlockingRedis::~BlockingRedis() { redisFree(ctx_); }

Result<std::optional<std::string>> BlockingRedis::get(std::string_view key) {
  auto reply = command(ctx_, address_, {"GET", key});
  if (!reply) return reply.status();
  if (reply.value()->type == REDIS_REPLY_NIL) return std::optional<std::string>();
  if (reply.value()->type != REDIS_REPLY_STRING) return unavailable(address_, "GET: unexpected reply type");
  return std::optional<std::string>(std::string(reply.value()->str, reply.value()->len));
}

Status BlockingRedis::set(std::string_view key, std::string_view value) {
  auto reply = command(ctx_, address_, {"SET", key, value});
  return reply ? Status() : reply.status();
}

Result<int64_t> BlockingRedis::publish(std::string_view channel, std::string_view message) {
  auto reply = command(ctx_, address_, {"PUBLISH", channel, message});
  if (!reply) return reply.status();
  if (reply.value()->type != REDIS_REPLY_INTEGER) return unavailable(address_, "PUBLISH: unexpected reply type");
  return static_cast<int64_t>(reply.value()->integer);
}

}  // namespace apigw::fleet
#endif  // APIGW_WITH_REDIS
