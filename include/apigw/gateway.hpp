// GatewayBuilder and Gateway: the primary C++ API.
//
//   auto gw = apigw::GatewayBuilder()
//                 .listener({.name = "public", .address = "127.0.0.1:8080"})
//                 .handler("hello", [](apigw::Exchange& ex) { return ex.respond(200, "hi\n"); })
//                 .route({.name = "hello", .match = {.path = "/hello"}, .handler = "hello"})
//                 .build();
//   if (!gw) { fprintf(stderr, "%s\n", gw.status().to_string().c_str()); }
//   gw.value()->run();   // or start() / attach(loop)
//
// The JSON config (src/config) is only another front end to this builder.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "apigw/clock.hpp"
#include "apigw/exchange.hpp"
#include "apigw/policy.hpp"
#include "apigw/status.hpp"
#include "apigw/tls.hpp"
#include "apigw/upstream.hpp"

typedef struct uv_loop_s uv_loop_t;

namespace apigw {

// A handler answers a request in-process. It either sets the answer and
// returns ex.respond(...) (kRespond), or takes ex.pause() and returns kPause
// to answer later, from any thread, through the ResumeToken.
using Handler = std::function<Decision(Exchange&)>;

// A rate_limit key made by the host ("key": "host:NAME"). Runs on the worker
// thread for each request; returns a view into the request or into
// ex.arena(), or "" when the request has no value for the key.
using RateLimitKeyFunction = std::function<std::string_view(Exchange&)>;

struct Limits {
  uint32_t max_header_bytes = 16384;   // request line + headers; beyond: 431
  uint32_t max_headers = 100;          // beyond: 431
  uint32_t max_uri_bytes = 8192;       // beyond: 414
  uint64_t max_body_bytes = 10485760;  // beyond: 413
  uint32_t header_timeout_ms = 10000;  // from first byte to complete head: 408 and close
  uint32_t body_timeout_ms = 30000;    // between body bytes: 408 and close
  uint32_t idle_timeout_ms = 60000;    // keep-alive idle: close
  uint32_t max_connections = 10000;    // per process; beyond: accepted and closed at once
  uint32_t drain_timeout_ms = 10000;   // on stop: time in-flight requests get to finish
};

struct ListenerOptions {
  std::string name;
  std::string address;  // "IP:PORT" or "[IPv6]:PORT"; port 0 picks a free one
  std::optional<ListenerTlsOptions> tls;  // set: HTTPS
};

// The admin listener (SPEC.md section 3): /healthz, /readyz, /metrics.
struct AdminOptions {
  std::string address;  // "" = no admin listener
  std::string token;    // "" = no token: then only a loopback address is accepted
};

struct RouteMatch {
  std::vector<std::string> hosts;    // exact or "*.example.org"; empty = any host
  std::string path;                  // exact or pattern: /v1/users/{id}, /files/{*rest}
  std::string path_prefix;           // alternative to path
  std::vector<std::string> methods;  // empty = any method
  std::vector<std::pair<std::string, std::string>> headers;  // exact value matches
};

// The access log: one JSON line per request (README lists the fields),
// written by a background thread. Lines the writer cannot take in time are
// dropped and counted; a request is never delayed by the log.
struct AccessLogOptions {
  std::string path = "-";                  // a file (appended to), or "-": standard output
  double sample_ratio = 1.0;               // share of requests logged, 0..1
  uint64_t max_queued_bytes = 8u << 20;    // lines waiting for the writer; beyond: dropped
};

// Tracing (W3C traceparent in, out and generated; OTLP/HTTP JSON export).
struct TracingOptions {
  std::string otlp_endpoint;            // "http://host:port/path" of the collector
  double sample_ratio = 0.1;            // share of new traces recorded; a sampled caller is always followed
  std::string service_name = "apigw";
  uint32_t max_queued_spans = 16384;    // waiting for export; beyond: dropped and counted
  uint32_t batch_spans = 512;           // spans per export request
  uint32_t flush_interval_ms = 1000;    // a partial batch leaves after this
  uint32_t export_timeout_ms = 2000;    // per export request
};

// The Redis server shared stores use (rate_limit and quota with store
// "redis"). Each worker keeps `connections` connections of its own on its
// loop, pipelined; a lost connection is reconnected with backoff.
struct RedisOptions {
  std::string address = "127.0.0.1:6379";  // IP:PORT (no name: hiredis would resolve it blocking)
  std::string password;                    // "" = no AUTH
  uint32_t timeout_ms = 250;               // a reply later than this fails the decision and the connection
  uint32_t connections = 1;                // per worker
};

// Fleet config (SPEC.md `config_source`): the `apigw` executable reads its
// config from a Redis key and follows the announcements of a channel (a
// message means "the key changed: read it"). The library keeps it fixed
// across reloads, like the listeners; it does not watch Redis itself.
struct ConfigSourceOptions {
  RedisOptions redis;                  // address, password, timeout_ms (connections: unused)
  std::string key = "apigw:config";
  std::string channel = "apigw:config";
};

struct StaticResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // {param} placeholders are substituted from the path
};

struct RouteOptions {
  std::string name;
  RouteMatch match;
  std::vector<std::string> policies;  // names given to GatewayBuilder::policy, in order
  // Exactly one target:
  std::optional<StaticResponse> respond;
  std::string handler;
  std::string upstream;
  // With `upstream`:
  RewriteOptions rewrite;
  std::vector<SplitOptions> split;
  // Sticky split: the side is chosen by this part of the request, not at random.
  std::optional<HashOn> split_on;
  std::optional<MirrorOptions> mirror;
  bool enabled = true;
};

class Gateway;

class GatewayBuilder {
 public:
  GatewayBuilder();
  ~GatewayBuilder();
  GatewayBuilder(GatewayBuilder&&) noexcept;
  GatewayBuilder& operator=(GatewayBuilder&&) noexcept;

  GatewayBuilder& workers(uint32_t n);
  GatewayBuilder& limits(const Limits& limits);
  GatewayBuilder& listener(ListenerOptions options);
  GatewayBuilder& admin(AdminOptions options);
  GatewayBuilder& handler(std::string name, Handler handler);
  GatewayBuilder& policy(std::string name, PolicyPtr policy);
  GatewayBuilder& upstream(UpstreamOptions options);
  GatewayBuilder& route(RouteOptions options);
  GatewayBuilder& clock(std::shared_ptr<const Clock> clock);
  GatewayBuilder& access_log(AccessLogOptions options);
  GatewayBuilder& tracing(TracingOptions options);
  // The JSON document this builder was loaded from and the directory its
  // relative *_file paths resolve against (set by the config loader): the
  // admin API shows it (secrets redacted) and replaces it (PUT /config).
  GatewayBuilder& config_document(std::string json, std::string base_dir);
  GatewayBuilder& rate_limit_key(std::string name, RateLimitKeyFunction fn);
  GatewayBuilder& redis(RedisOptions options);
  GatewayBuilder& config_source(ConfigSourceOptions options);

  // Checks everything; never aborts. The builder may be reused afterwards.
  Result<std::unique_ptr<Gateway>> build() const;

  // The same checks as build(), without creating anything.
  Status validate() const;

  struct State;
  const State& state() const { return *state_; }
  // A builder holding a copy of `state` (for reloads made from a running config).
  static GatewayBuilder from_state(const State& state);

 private:
  std::unique_ptr<State> state_;
};

class Gateway {
 public:
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds the listeners and runs the workers on threads of their own.
  Status start();
  // Binds and runs one worker on the calling thread until stop() is called
  // (from another thread or a handler).
  Status run();
  // Binds and runs one worker on a loop the host owns and runs; apigw never
  // runs that loop itself. Call stop() on the loop's thread, then keep running
  // the loop until on_stopped is called.
  Status attach(uv_loop_t* loop);

  // Stops accepting, lets in-flight requests finish for up to drain_ms
  // (the configured drain_timeout_ms when negative), then closes everything.
  // Safe from any thread. With start(), blocks until the workers have exited.
  void stop(int64_t drain_ms = -1);
  // Called on the worker thread once an attached gateway has stopped.
  void on_stopped(std::function<void()> callback);

  // Swaps in a new routing/policy/handler snapshot atomically. Requests in
  // flight finish on the snapshot they started with. Listeners and workers
  // are fixed at start; a builder that changes them is refused.
  Status reload(const GatewayBuilder& builder);
  // Discovery hook: replaces the targets of upstream `name` (from any thread),
  // as a reload of the running config would. Targets that stay keep their
  // health and warm connections. A host runs its own discovery (DNS SRV, a
  // registry, Kubernetes endpoints) and pushes what it finds here.
  Status set_upstream_targets(std::string_view name, std::vector<UpstreamTarget> targets);

  // The kill switch: a disabled route answers 503 with Retry-After on every
  // worker at once. It stays disabled across reloads until enabled again.
  Status set_route_enabled(std::string_view route, bool enabled);
  // A builder holding the running config (host handlers included): read it,
  // change it, reload() it. Any thread.
  GatewayBuilder running_config() const;
  // Increases with every applied config (the first is 1).
  uint64_t config_version() const noexcept;
  // Routes disabled through set_route_enabled, in name order.
  std::vector<std::string> disabled_routes() const;
  // Emergency override of rate_limit policy `policy`: a new limit and burst
  // (window unchanged) for every worker at once, kept across reloads until
  // removed. Any thread. NotFound when the running config has no such policy.
  Status set_rate_limit_override(std::string_view policy, uint64_t limit, uint64_t burst);
  Status remove_rate_limit_override(std::string_view policy);
  // Removes the answers whose path starts with `prefix` from every cache
  // policy's store ("/" empties them); the count removed. Any thread.
  size_t purge_cache(std::string_view prefix);

  // Opens the access log file again (after it was rotated away); any thread.
  void reopen_access_log() noexcept;

  // For front ends that refuse a new config before it reaches reload() (a
  // config file that does not parse): counts it as a failed reload.
  void count_failed_reload() noexcept;

  // Addresses the listeners are bound to, in listener order ("127.0.0.1:8080").
  std::vector<std::string> bound_addresses() const;
  // Number of requests in flight across all workers.
  uint64_t active_requests() const noexcept;
  bool ready() const noexcept;
  bool draining() const noexcept;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  friend class GatewayBuilder;
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace apigw
