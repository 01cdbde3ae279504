// RedisClient: one worker's connections to Redis, on the worker's libuv loop
// (hiredis async + adapters/libuv.h). Loop thread only.
//
// Commands are pipelined: a script call is written at once and its reply
// comes back in order. Scripts go out as EVALSHA once SCRIPT LOAD has told
// the SHA, as EVAL before; a NOSCRIPT answer (the server lost its script
// cache: restart, SCRIPT FLUSH) sends that call again as EVAL, which also
// loads the script. A reply later than timeout_ms fails every call on that
// connection and drops it; a dropped connection is reconnected with backoff.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "apigw/gateway.hpp"
#include "store/redis_scripts.hpp"

namespace apigw::store {

struct ScriptReply {
  bool ok = false;
  std::string error;            // when !ok
  std::vector<int64_t> values;  // the script's array of integers
};
using ScriptCallback = std::function<void(ScriptReply)>;

class RedisClient {
 public:
  RedisClient(uv_loop_t* loop, RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs `script` on `key` with `args`. Returns false (and never calls `cb`)
  // when no connection is up; otherwise `cb` is called exactly once, on the
  // loop thread, with the reply or an error.
  bool run(Script script, std::string_view key, const std::vector<std::string>& args, ScriptCallback cb);

  // The client of the worker whose loop runs on this thread (null: none).
  static RedisClient* current() noexcept;
  static void set_current(RedisClient* client) noexcept;

  struct Connection;

 private:
  uv_loop_t* loop_;
  RedisOptions options_;
  std::vector<Connection*> connections_;  // freed once their handles have closed
  size_t next_ = 0;
  std::array<std::string, static_cast<size_t>(Script::kCount)> shas_;  // "" until SCRIPT LOAD answered
  friend struct Connection;
};

}  // namespace apigw::store
