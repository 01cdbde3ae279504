#ifdef APIGW_WITH_REDIS
#include "store/redis_client.hpp"

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <deque>

namespace apigw::store {
namespace {

thread_local RedisClient* t_current = nullptr;

constexpr uint64_t kFirstBackoffMs = 50;
constexpr uint64_t kMaxBackoffMs = 2000;

struct Call {
  RedisClient::Connection* conn;
  Script script;
  std::string key;
  std::vector<std::string> args;
  ScriptCallback cb;
  bool as_eval;  // sent as EVAL (no SHA yet, or after NOSCRIPT)
  uint64_t sent_ms = 0;
};

}  // namespace

struct RedisClient::Connection {
  RedisClient* client;
  redisAsyncContext* ctx = nullptr;
  bool connected = false;
  bool closing = false;
  uint64_t backoff_ms = kFirstBackoffMs;
  uv_timer_t reconnect_timer;
  uv_timer_t deadline_timer;
  int open_handles = 2;
  std::deque<Call*> in_flight;  // in send order: Redis answers in order

  explicit Connection(RedisClient* c) : client(c) {
    uv_timer_init(c->loop_, &reconnect_timer);
    uv_timer_init(c->loop_, &deadline_timer);
    reconnect_timer.data = this;
    deadline_timer.data = this;
    uint64_t every = std::max<uint64_t>(1, c->options_.timeout_ms / 4);
    uv_timer_start(&deadline_timer, on_deadline_check, every, every);
  }

  void connect() {
    if (closing) return;
    const std::string& a = client->options_.address;
    size_t colon = a.rfind(':');
    std::string host = a.substr(0, colon);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    int port = std::stoi(a.substr(colon + 1));
    ctx = redisAsyncConnect(host.c_str(), port);
    if (!ctx || ctx->err || redisLibuvAttach(ctx, client->loop_) != REDIS_OK) {
      if (ctx) redisAsyncFree(ctx);
      ctx = nullptr;
      schedule_reconnect();
      return;
    }
    ctx->data = this;
    redisAsyncSetConnectCallback(ctx, on_connect);
    redisAsyncSetDisconnectCallback(ctx, on_disconnect);
    // Queued by hiredis until the connection is up, answered before any call.
    if (!client->options_.password.empty()) {
      const char* argv[] = {"AUTH", client->options_.password.c_str()};
      size_t lens[] = {4, client->options_.password.size()};
      redisAsyncCommandArgv(ctx, on_auth, this, 2, argv, lens);
    }
    for (size_t s = 0; s < client->shas_.size(); ++s) {
      std::string_view text = script_text(Script(s));
      const char* argv[] = {"SCRIPT", "LOAD", text.data()};
      size_t lens[] = {6, 4, text.size()};
      redisAsyncCommandArgv(ctx, on_script_loaded, reinterpret_cast<void*>(s), 3, argv, lens);
    }
  }

  void schedule_reconnect() {
    if (closing) return;
    uv_timer_start(&reconnect_timer, [](uv_timer_t* t) { static_cast<Connection*>(t->data)->connect(); },
                   backoff_ms, 0);
    backoff_ms = std::min(backoff_ms * 2, kMaxBackoffMs);
  }

  void send(Call* call) {
    const std::string& sha = client->shas_[static_cast<size_t>(call->script)];
    call->as_eval = call->as_eval || sha.empty();
    std::string_view body = call->as_eval ? script_text(call->script) : std::string_view(sha);
    std::vector<const char*> argv = {call->as_eval ? "EVAL" : "EVALSHA", body.data(), "1", call->key.data()};
    std::vector<size_t> lens = {call->as_eval ? 4u : 7u, body.size(), 1, call->key.size()};
    for (const std::string& a : call->args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    call->sent_ms = uv_now(client->loop_);
    in_flight.push_back(call);
    redisAsyncCommandArgv(ctx, on_reply, call, static_cast<int>(argv.size()), argv.data(), lens.data());
  }

  // A connection whose oldest call is late is dropped: its calls all fail.
  static void on_deadline_check(uv_timer_t* t) {
    auto* c = static_cast<Connection*>(t->data);
    if (!c->ctx || c->in_flight.empty()) return;
    if (uv_now(c->client->loop_) - c->in_flight.front()->sent_ms < c->client->options_.timeout_ms) return;
    redisAsyncContext* ctx = c->ctx;
    c->ctx = nullptr;
    c->connected = false;
    redisAsyncFree(ctx);  // calls every pending callback with no reply
    c->schedule_reconnect();
  }

  static void on_connect(const redisAsyncContext* ctx, int status) {
    auto* c = static_cast<Connection*>(ctx->data);
    if (status != REDIS_OK) {  // hiredis frees the context after this
      c->ctx = nullptr;
      c->connected = false;
      c->schedule_reconnect();
      return;
    }
    c->connected = true;
    c->backoff_ms = kFirstBackoffMs;
  }

  static void on_disconnect(const redisAsyncContext* ctx, int) {
    auto* c = static_cast<Connection*>(ctx->data);
    if (c->ctx != ctx) return;  // dropped by us already
    c->ctx = nullptr;
    c->connected = false;
    c->schedule_reconnect();
  }

  static void on_auth(redisAsyncContext*, void*, void*) {}  // a refused AUTH shows on the next call

  static void on_script_loaded(redisAsyncContext* ctx, void* r, void* privdata) {
    auto* reply = static_cast<redisReply*>(r);
    if (!reply || reply->type != REDIS_REPLY_STRING) return;
    auto* c = static_cast<Connection*>(ctx->data);
    c->client->shas_[reinterpret_cast<size_t>(privdata)].assign(reply->str, reply->len);
  }

  static void on_reply(redisAsyncContext* ctx, void* r, void* privdata) {
    auto* call = static_cast<Call*>(privdata);
    Connection* c = call->conn;
    auto it = std::find(c->in_flight.begin(), c->in_flight.end(), call);
    if (it != c->in_flight.end()) c->in_flight.erase(it);
    auto* reply = static_cast<redisReply*>(r);
    ScriptReply out;
    if (!reply) {
      out.error = "redis connection lost or timed out";
    } else if (reply->type == REDIS_REPLY_ERROR) {
      std::string_view err(reply->str, reply->len);
      if (err.rfind("NOSCRIPT", 0) == 0 && !call->as_eval && c->ctx == ctx && !c->closing) {
        call->as_eval = true;  // the server lost the script: EVAL sends and loads it again
        c->client->shas_[static_cast<size_t>(call->script)].clear();
        reload_script(c, call->script);
        c->send(call);
        return;
      }
      out.error = std::string(err);
    } else if (reply->type == REDIS_REPLY_ARRAY) {
      out.ok = true;
      for (size_t i = 0; i < reply->elements; ++i)
        out.values.push_back(reply->element[i]->type == REDIS_REPLY_INTEGER ? reply->element[i]->integer : 0);
    } else {
      out.error = "unexpected reply from redis";
    }
    ScriptCallback cb = std::move(call->cb);
    delete call;
    cb(std::move(out));
  }

  static void reload_script(Connection* c, Script s) {
    std::string_view text = script_text(s);
    const char* argv[] = {"SCRIPT", "LOAD", text.data()};
    size_t lens[] = {6, 4, text.size()};
    redisAsyncCommandArgv(c->ctx, on_script_loaded, reinterpret_cast<void*>(static_cast<size_t>(s)), 3, argv, lens);
  }

  // Frees the context (failing its calls) and the timers; deletes itself.
  void close() {
    closing = true;
    if (ctx) {
      redisAsyncContext* old = ctx;
      ctx = nullptr;
      redisAsyncFree(old);
    }
    auto closed = [](uv_handle_t* h) {
      auto* c = static_cast<Connection*>(h->data);
      if (--c->open_handles == 0) delete c;
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&reconnect_timer), closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline_timer), closed);
  }
};

RedisClient::RedisClient(uv_loop_t* loop, RedisOptions options) : loop_(loop), options_(std::move(options)) {
  for (uint32_t i = 0; i < options_.connections; ++i) {
    connections_.push_back(new Connection(this));
    connections_.back()->connect();
  }
}

RedisClient::~RedisClient() {
  if (t_current == this) t_current = nullptr;
  for (Connection* c : connections_) c->close();
}

bool RedisClient::run(Script script, std::string_view key, const std::vector<std::string>& args, ScriptCallback cb) {
  for (size_t tries = 0; tries < connections_.size(); ++tries) {
    Connection* c = connections_[next_++ % connections_.size()];
    if (!c->ctx) continue;  // waiting to reconnect; while connecting, hiredis queues the call
    c->send(new Call{c, script, std::string(key), args, std::move(cb), false, 0});
    return true;
  }
  return false;
}

RedisClient* RedisClient::current() noexcept { return t_current; }
void RedisClient::set_current(RedisClient* client) noexcept { t_current = client; }

}  // namespace apigw::store
#endif  // APIGW_WITH_REDIS
