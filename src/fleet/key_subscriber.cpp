#ifdef APIGW_WITH_REDIS
#include "fleet/key_subscriber.hpp"

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <thread>

#include "core/background_thread.hpp"

namespace apigw::fleet {
namespace {

constexpr uint64_t kFirstBackoffMs = 50;
constexpr uint64_t kMaxBackoffMs = 2000;
constexpr uint64_t kPingEveryMs = 3000;

bool reply_is(const redisReply* r, size_t index, std::string_view word) {
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements <= index) return false;
  const redisReply* e = r->element[index];
  return e->type == REDIS_REPLY_STRING && std::string_view(e->str, e->len) == word;
}

}  // namespace

struct KeySubscriber::Loop {
  ConfigSourceOptions options;
  OnValue on_value;
  LogFunction log;
  uv_loop_t loop;
  uv_async_t wake;
  uv_timer_t reconnect_timer;
  uv_timer_t tick_timer;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<bool> refresh_wanted{false};
  bool started = false;

  redisAsyncContext* sub = nullptr;  // SUBSCRIBEd
  redisAsyncContext* cmd = nullptr;  // GET, PING
  bool subscribed = false;
  uint64_t subscribe_sent_ms = 0;
  std::deque<uint64_t> pending;  // send times of the commands waiting on cmd, in order
  uint64_t last_command_ms = 0;
  uint64_t backoff_ms = kFirstBackoffMs;
  bool outage_logged = false;

  Loop(ConfigSourceOptions o, OnValue v, LogFunction l)
      : options(std::move(o)), on_value(std::move(v)), log(std::move(l)) {}

  uint64_t now() { return uv_now(&loop); }

  redisAsyncContext* open() {
    const std::string& a = options.redis.address;
    size_t colon = a.rfind(':');
    std::string host = a.substr(0, colon);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    redisAsyncContext* ctx = redisAsyncConnect(host.c_str(), std::atoi(a.c_str() + colon + 1));
    if (!ctx) return nullptr;
    if (ctx->err || redisLibuvAttach(ctx, &loop) != REDIS_OK) {
      redisAsyncFree(ctx);
      return nullptr;
    }
    ctx->data = this;
    redisAsyncSetConnectCallback(ctx, on_connect);
    redisAsyncSetDisconnectCallback(ctx, on_disconnect);
    // Queued by hiredis until connected; a refused password shows as the
    // error of the next command (SUBSCRIBE, GET), which drops the connection.
    if (!options.redis.password.empty()) {
      const char* argv[] = {"AUTH", options.redis.password.c_str()};
      size_t lens[] = {4, options.redis.password.size()};
      redisAsyncCommandArgv(ctx, nullptr, nullptr, 2, argv, lens);
    }
    return ctx;
  }

  void connect() {
    if (stopping) return;
    sub = open();
    cmd = sub ? open() : nullptr;
    if (!sub || !cmd) return drop("cannot open a connection");
    const char* argv[] = {"SUBSCRIBE", options.channel.c_str()};
    size_t lens[] = {9, options.channel.size()};
    redisAsyncCommandArgv(sub, on_subscription, this, 2, argv, lens);
    subscribe_sent_ms = now();
  }

  // Both connections go; they are made again after the backoff.
  void drop(const std::string& why) {
    redisAsyncContext* s = sub;
    redisAsyncContext* c = cmd;
    sub = cmd = nullptr;  // their callbacks, run by the frees below, see stale contexts
    if (s) redisAsyncFree(s);
    if (c) redisAsyncFree(c);
    pending.clear();
    subscribed = false;
    if (stopping) return;
    if (!outage_logged) {
      log(LogLevel::kWarn, "config_source: redis at " + options.redis.address + ": " + why +
                               "; the running config keeps serving, reconnecting");
      outage_logged = true;
    }
    uv_timer_start(&reconnect_timer, [](uv_timer_t* t) { static_cast<Loop*>(t->data)->connect(); }, backoff_ms, 0);
    backoff_ms = std::min(backoff_ms * 2, kMaxBackoffMs);
  }

  void send(const char* name, void (*cb)(redisAsyncContext*, void*, void*), std::string_view arg) {
    if (!cmd) return;
    const char* argv[] = {name, arg.data()};
    size_t lens[] = {std::strlen(name), arg.size()};
    pending.push_back(now());
    last_command_ms = now();
    redisAsyncCommandArgv(cmd, cb, this, arg.empty() ? 1 : 2, argv, lens);
  }

  void fetch() {
    if (subscribed) send("GET", on_get, options.key);
  }

  // A null reply means the context is being freed: drop() clears `pending`.
  bool take_reply(void* r) {
    if (!r) return false;
    if (!pending.empty()) pending.pop_front();
    return true;
  }

  static void on_get(redisAsyncContext* ctx, void* r, void* privdata) {
    auto* l = static_cast<Loop*>(privdata);
    if (ctx != l->cmd || !l->take_reply(r)) return;
    auto* reply = static_cast<redisReply*>(r);
    if (reply->type == REDIS_REPLY_STRING) return l->on_value(std::string(reply->str, reply->len));
    if (reply->type == REDIS_REPLY_NIL) return l->on_value(std::nullopt);
    std::string why = reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len) : "not a string";
    l->log(LogLevel::kError, "config_source: GET " + l->options.key + ": " + why);
  }

  static void on_ping(redisAsyncContext* ctx, void* r, void* privdata) {
    auto* l = static_cast<Loop*>(privdata);
    if (ctx == l->cmd) l->take_reply(r);
  }

  // Called for the SUBSCRIBE confirmation and for every message.
  static void on_subscription(redisAsyncContext* ctx, void* r, void* privdata) {
    auto* l = static_cast<Loop*>(privdata);
    auto* reply = static_cast<redisReply*>(r);
    if (ctx != l->sub || !reply) return;
    if (reply_is(reply, 0, "subscribe")) {
      l->subscribed = true;
      l->backoff_ms = kFirstBackoffMs;
      l->log(l->outage_logged ? LogLevel::kWarn : LogLevel::kInfo,
             "config_source: subscribed to " + l->options.channel + " at " + l->options.redis.address +
                 ", reading " + l->options.key);
      l->outage_logged = false;
      l->fetch();  // whatever changed while this instance was not listening
    } else if (reply_is(reply, 0, "message")) {
      l->fetch();
    }
  }

  static void on_connect(const redisAsyncContext* ctx, int status) {
    if (status == REDIS_OK) return;
    auto* l = static_cast<Loop*>(ctx->data);
    if (ctx != l->sub && ctx != l->cmd) return;
    // hiredis frees this context after the callback: only the other one is ours to free.
    (ctx == l->sub ? l->sub : l->cmd) = nullptr;
    l->drop(ctx->errstr[0] ? ctx->errstr : "cannot connect");
  }

  static void on_disconnect(const redisAsyncContext* ctx, int) {
    auto* l = static_cast<Loop*>(ctx->data);
    if (ctx != l->sub && ctx != l->cmd) return;  // dropped by us already
    (ctx == l->sub ? l->sub : l->cmd) = nullptr;
    l->drop(ctx->errstr[0] ? ctx->errstr : "connection closed");
  }

  // Late answers drop the connections; an idle command connection is PINGed.
  static void on_tick(uv_timer_t* t) {
    auto* l = static_cast<Loop*>(t->data);
    if (!l->sub || !l->cmd) return;
    uint64_t now = l->now();
    uint64_t limit = l->options.redis.timeout_ms;
    if (!l->pending.empty() && now - l->pending.front() > limit)
      return l->drop("no answer within " + std::to_string(limit) + " ms");
    if (!l->subscribed && now - l->subscribe_sent_ms > limit)
      return l->drop("no subscription within " + std::to_string(limit) + " ms");
    if (l->subscribed && l->pending.empty() && now - l->last_command_ms >= kPingEveryMs)
      l->send("PING", on_ping, {});
  }

  static void on_wake(uv_async_t* a) {
    auto* l = static_cast<Loop*>(a->data);
    if (l->stopping) {
      l->drop("stopping");
      uv_timer_stop(&l->reconnect_timer);
      uv_close(reinterpret_cast<uv_handle_t*>(&l->wake), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&l->reconnect_timer), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&l->tick_timer), nullptr);
      return;
    }
    if (l->refresh_wanted.exchange(false)) l->fetch();  // not subscribed: the resubscription reads it
  }
};

KeySubscriber::KeySubscriber(ConfigSourceOptions options, OnValue on_value, LogFunction log)
    : loop_(std::make_unique<Loop>(std::move(options), std::move(on_value), std::move(log))) {}

KeySubscriber::~KeySubscriber() { stop(); }

Status KeySubscriber::start() {
  Loop& l = *loop_;
  if (l.started) return Status(Code::kFailedPrecondition, "config_source: already watching");
  if (int rc = uv_loop_init(&l.loop); rc != 0)
    return Status(Code::kInternal, std::string("config_source: uv_loop_init: ") + uv_strerror(rc));
  uv_async_init(&l.loop, &l.wake, Loop::on_wake);
  uv_timer_init(&l.loop, &l.reconnect_timer);
  uv_timer_init(&l.loop, &l.tick_timer);
  l.wake.data = l.reconnect_timer.data = l.tick_timer.data = &l;
  uint64_t every = std::clamp<uint64_t>(l.options.redis.timeout_ms / 4, 10, 500);
  uv_timer_start(&l.tick_timer, Loop::on_tick, every, every);
  l.started = true;
  l.thread = start_background_thread([&l] {
    l.connect();
    uv_run(&l.loop, UV_RUN_DEFAULT);
    uv_loop_close(&l.loop);
  });
  return Status();
}

void KeySubscriber::refresh() {
  if (!loop_->started) return;
  loop_->refresh_wanted = true;
  uv_async_send(&loop_->wake);
}

void KeySubscriber::stop() {
  Loop& l = *loop_;
  if (!l.started || l.stopping.exchange(true)) return;
  uv_async_send(&l.wake);
  if (l.thread.joinable()) l.thread.join();
}

}  // namespace apigw::fleet
#endif  // APIGW_WITH_REDIS
