// BlockingRedis: one synchronous hiredis connection for one-shot control
// calls: `apigw push`, and the config watcher's first read, made before the
// gateway starts. Every call is bounded by timeout_ms. Never on an event loop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "apigw/gateway.hpp"
#include "apigw/status.hpp"

struct redisContext;

namespace apigw::fleet {

class BlockingRedis {
 public:
  // Connects (and AUTHs when a password is set). kUnavailable when Redis
  // cannot be reached or refuses the password.
  static Result<std::unique_ptr<BlockingRedis>> connect(const RedisOptions& options);
  ~BlockingRedis();
  BlockingRedis(const BlockingRedis&) = delete;
  BlockingRedis& operator=(const BlockingRedis&) = delete;

  // The key's value; nullopt when the key does not exist.
  Result<std::optional<std::string>> get(std::string_view key);
  Status set(std::string_view key, std::string_view value);
  // How many subscribers received the message.
  Result<int64_t> publish(std::string_view channel, std::string_view message);

 private:
  explicit BlockingRedis(redisContext* ctx, std::string address) : ctx_(ctx), address_(std::move(address)) {}
  redisContext* ctx_;
  std::string address_;
};

}  // namespace apigw::fleet
