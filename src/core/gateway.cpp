// Gateway: listeners bound once, N workers, snapshots swapped on reload.
#include "apigw/gateway.hpp"

#include <algorithm>
#include <set>
#include <mutex>
#include <thread>

#include "admin/admin.hpp"
#include "core/background_thread.hpp"
#include "core/builder_state.hpp"
#include "core/worker.hpp"
#include "net/listen_socket.hpp"

namespace apigw {

struct Gateway::Impl {
  uint32_t workers = 1;
  std::vector<ListenerOptions> listeners;
  AdminOptions admin;
  std::shared_ptr<SnapshotSource> source;
  std::shared_ptr<SnapshotSource> admin_source;
  ProcessCounters counters;
  std::vector<std::vector<int>> fds;  // [worker][listener]
  std::vector<int> admin_fds;
  std::vector<std::string> bound;
  // Before the workers: it outlives them, taking their last lines.
  std::unique_ptr<telemetry::AccessLogWriter> access_log;
  std::unique_ptr<telemetry::TraceExporter> tracer;
  std::vector<std::unique_ptr<Worker>> running;
  std::vector<std::unique_ptr<telemetry::RequestMetrics>> metrics;  // one shard per worker
  std::vector<std::thread> threads;
  std::mutex mu;  // start/stop/reload
  std::atomic<bool> ready{false};
  std::atomic<bool> draining{false};
  std::atomic<bool> started{false};
  bool stop_sent = false;
  std::atomic<uint64_t> next_version{1};
  upstream::UpstreamRegistry upstreams;  // health and budgets, kept across reloads
  policy::PolicyStateRegistry policy_states;  // rate-limit keys and overrides, kept across reloads
  std::mutex reload_mu;                  // one reload at a time
  GatewayBuilder::State current_config;  // what the current snapshot was built from
  std::set<std::string, std::less<>> disabled_routes;  // kill switches, applied over every config
  std::atomic<uint64_t> reloads_ok{0};
  std::atomic<uint64_t> reloads_failed{0};
  std::function<void()> on_stopped;
  int64_t drain_default_ms = 10000;
  std::optional<RedisOptions> redis;  // fixed at start, like the listeners
  std::optional<ConfigSourceOptions> config_source;  // fixed at start too

  Status bind_all(size_t worker_count);
  Status reload_locked(const GatewayBuilder& builder);
  std::unique_ptr<Worker> make_worker(uv_loop_t* loop) {
    metrics.push_back(std::make_unique<telemetry::RequestMetrics>());
    auto w = std::make_unique<Worker>(source, admin_source, counters, metrics.back().get(), loop);
    if (access_log) w->set_access_log(*access_log);
    if (tracer) w->set_tracer(*tracer);
    if (redis) w->use_redis(*redis);
    if (metrics.size() == 1) w->run_upstream_checks();  // the first worker probes and resolves for all
    return w;
  }
};

Status Gateway::Impl::bind_all(size_t worker_count) {
  fds.assign(worker_count, {});
  bound.clear();
  for (const ListenerOptions& l : listeners) {
    auto r = net::bind_listeners(l.address, worker_count);
    if (!r) {
      for (auto& v : fds) net::close_fds(v);
      return r.status();
    }
    bound.push_back(net::socket_address(r.value()[0]));
    for (size_t w = 0; w < worker_count; ++w) fds[w].push_back(r.value()[w]);
  }
  if (!admin.address.empty()) {
    auto r = net::bind_listeners(admin.address, 1);
    if (!r) {
      for (auto& v : fds) net::close_fds(v);
      return r.status();
    }
    admin_fds = r.value();
    bound.push_back(net::socket_address(admin_fds[0]));
  }
  return Status();
}

Result<std::unique_ptr<Gateway>> GatewayBuilder::build() const {
  auto impl = std::make_unique<Gateway::Impl>();
  auto snap = Snapshot::compile(*this, impl->next_version.fetch_add(1), &impl->upstreams, &impl->policy_states);
  if (!snap) return snap.status();
  if (!state_->admin.address.empty()) {
    if (Status st = validate_admin(state_->admin); !st) return st;
  }
  if (state_->access_log) {
    auto log = telemetry::AccessLogWriter::open(*state_->access_log);
    if (!log) return log.status();
    impl->access_log = std::move(log.value());
  }
  if (state_->tracing) {
    auto tracer = telemetry::TraceExporter::open(*state_->tracing);
    if (!tracer) return tracer.status();
    impl->tracer = std::move(tracer.value());
  }
  impl->workers = state_->workers;
  impl->listeners = state_->listeners;
  impl->admin = state_->admin;
  impl->counters.max_connections = state_->limits.max_connections;
  for (const ListenerOptions& l : state_->listeners) impl->counters.listener_names.push_back(l.name);
  impl->counters.listener_names.push_back("admin");
  impl->counters.listener_connections =
      std::make_unique<std::atomic<int64_t>[]>(impl->counters.listener_names.size());
  for (const ListenerOptions& l : state_->listeners) {
    if (!l.tls) {
      impl->counters.listener_tls.emplace_back();
      continue;
    }
#if APIGW_WITH_TLS
#ifndef MBEDTLS_THREADING_C
    // Workers share a listener's keys; without mbedTLS's locks they must not.
    if (state_->workers > 1)
      return Status(Code::kInvalidArgument, "listener \"" + l.name +
                                                "\": tls with more than one worker needs mbedTLS built with "
                                                "MBEDTLS_THREADING_C");
#endif
    auto tls = net::TlsListener::create(l.name, *l.tls);
    if (!tls) return tls.status();
    impl->counters.listener_tls.push_back(std::move(tls.value()));
#else
    return net::check_listener_tls(*l.tls).with_context("listener \"" + l.name + "\"");
#endif
  }
  impl->drain_default_ms = state_->limits.drain_timeout_ms;
  impl->redis = state_->redis;
  impl->config_source = state_->config_source;
  impl->source = std::make_shared<SnapshotSource>(std::move(snap.value()));
  impl->current_config = *state_;
  auto gw = std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
  if (!gw->impl_->admin.address.empty()) {
    auto admin = make_admin_snapshot(*gw, gw->impl_->admin);
    if (!admin) return admin.status();
    gw->impl_->admin_source = std::make_shared<SnapshotSource>(std::move(admin.value()));
  }
  return gw;
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Gateway::~Gateway() {
  stop(0);
  for (auto& v : impl_->fds) net::close_fds(v);
  net::close_fds(impl_->admin_fds);
}

Status Gateway::start() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->started.exchange(true)) return Status(Code::kFailedPrecondition, "the gateway is already running");
  if (Status st = impl_->bind_all(impl_->workers); !st) {
    impl_->started = false;
    return st;
  }
  for (uint32_t i = 0; i < impl_->workers; ++i) {
    auto w = impl_->make_worker(nullptr);
    std::vector<int> admin = i == 0 ? impl_->admin_fds : std::vector<int>();
    if (i == 0) impl_->admin_fds.clear();
    Status st = w->listen(impl_->fds[i], admin);
    impl_->fds[i].clear();
    if (!st) return st;
    impl_->running.push_back(std::move(w));
  }
  for (auto& w : impl_->running)
    impl_->threads.push_back(start_background_thread([worker = w.get()] { worker->run(); }));
  impl_->ready = true;
  return Status();
}

Status Gateway::run() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->started.exchange(true)) return Status(Code::kFailedPrecondition, "the gateway is already running");
    if (Status st = impl_->bind_all(1); !st) {
      impl_->started = false;
      return st;
    }
    auto w = impl_->make_worker(nullptr);
    Status st = w->listen(impl_->fds[0], impl_->admin_fds);
    impl_->fds[0].clear();
    impl_->admin_fds.clear();
    if (!st) return st;
    impl_->running.push_back(std::move(w));
    impl_->ready = true;
  }
  impl_->running[0]->run();
  return Status();
}

Status Gateway::attach(uv_loop_t* loop) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!loop) return Status(Code::kInvalidArgument, "attach: loop is null");
  if (impl_->started.exchange(true)) return Status(Code::kFailedPrecondition, "the gateway is already running");
  if (Status st = impl_->bind_all(1); !st) {
    impl_->started = false;
    return st;
  }
  auto w = impl_->make_worker(loop);
  w->adopt_thread();  // attach() is called on the loop's thread
  w->on_stopped([this] {
    if (impl_->on_stopped) impl_->on_stopped();
  });
  Status st = w->listen(impl_->fds[0], impl_->admin_fds);
  impl_->fds[0].clear();
  impl_->admin_fds.clear();
  if (!st) return st;
  impl_->running.push_back(std::move(w));
  impl_->ready = true;
  return Status();
}

void Gateway::on_stopped(std::function<void()> callback) { impl_->on_stopped = std::move(callback); }

void Gateway::stop(int64_t drain_ms) {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (!impl_->started || impl_->stop_sent) return;
    impl_->stop_sent = true;
    if (drain_ms < 0) drain_ms = impl_->drain_default_ms;
    impl_->draining = true;
    impl_->ready = false;
    for (auto& w : impl_->running) w->request_stop(drain_ms);
    threads.swap(impl_->threads);
  }
  // Workers on threads of their own are joined; run() returns by itself;
  // an attached worker finishes on the host's loop.
  for (auto& t : threads)
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
}

Status Gateway::reload(const GatewayBuilder& builder) {
  std::lock_guard<std::mutex> lock(impl_->reload_mu);
  return impl_->reload_locked(builder);
}

namespace {
bool same_access_log(const std::optional<AccessLogOptions>& a, const std::optional<AccessLogOptions>& b) {
  if (!a || !b) return !a && !b;
  return a->path == b->path && a->sample_ratio == b->sample_ratio && a->max_queued_bytes == b->max_queued_bytes;
}
bool same_tracing(const std::optional<TracingOptions>& a, const std::optional<TracingOptions>& b) {
  if (!a || !b) return !a && !b;
  return a->otlp_endpoint == b->otlp_endpoint && a->sample_ratio == b->sample_ratio &&
         a->service_name == b->service_name && a->max_queued_spans == b->max_queued_spans &&
         a->batch_spans == b->batch_spans && a->flush_interval_ms == b->flush_interval_ms &&
         a->export_timeout_ms == b->export_timeout_ms;
}

bool same_redis(const std::optional<RedisOptions>& a, const std::optional<RedisOptions>& b) {
  if (!a || !b) return !a && !b;
  return a->address == b->address && a->password == b->password && a->timeout_ms == b->timeout_ms &&
         a->connections == b->connections;
}

bool same_config_source(const ConfigSourceOptions& a, const std::optional<ConfigSourceOptions>& b) {
  return b && same_redis(a.redis, b->redis) && a.key == b->key && a.channel == b->channel;
}
}  // namespace

Status Gateway::Impl::reload_locked(const GatewayBuilder& builder) {
  const GatewayBuilder::State& s = builder.state();
  auto refuse = [this](std::string why) {
    reloads_failed.fetch_add(1);
    return Status(Code::kFailedPrecondition, std::move(why));
  };
  if (s.workers != workers) return refuse("changing workers needs a restart");
  if (s.listeners.size() != listeners.size()) return refuse("changing listeners needs a restart");
  for (size_t i = 0; i < s.listeners.size(); ++i) {
    if (s.listeners[i].address != listeners[i].address)
      return refuse("changing listener addresses needs a restart");
    if (s.listeners[i].tls.has_value() != listeners[i].tls.has_value())
      return refuse("turning TLS on or off on a listener needs a restart");
  }
  if (s.admin.address != admin.address) return refuse("changing the admin address needs a restart");
  if (!same_access_log(s.access_log, current_config.access_log))
    return refuse("changing the access log needs a restart");
  if (!same_tracing(s.tracing, current_config.tracing)) return refuse("changing tracing needs a restart");
  if (!same_redis(s.redis, redis)) return refuse("changing redis needs a restart");
  // A config without config_source keeps the running one: a document pushed
  // to a fleet need not repeat it, but cannot point the fleet elsewhere.
  if (s.config_source && !same_config_source(*s.config_source, config_source))
    return refuse("changing config_source needs a restart");
  // Kill switches outlive the configs they were thrown on.
  GatewayBuilder switched;
  const GatewayBuilder* effective = &builder;
  if (!disabled_routes.empty()) {
    GatewayBuilder::State copy = s;
    for (RouteOptions& r : copy.routes)
      if (disabled_routes.count(r.name)) r.enabled = false;
    switched = GatewayBuilder::from_state(copy);
    effective = &switched;
  }
#if APIGW_WITH_TLS
  // New certificates are loaded before anything changes: all or nothing.
  std::vector<std::pair<net::TlsListener*, net::TlsListener::Prepared>> tls;
  for (size_t i = 0; i < s.listeners.size(); ++i) {
    if (!s.listeners[i].tls) continue;
    net::TlsListener* l = counters.listener_tls[i].get();
    auto prepared = l->prepare(*s.listeners[i].tls);
    if (!prepared) {
      reloads_failed.fetch_add(1);
      l->reloads_failed.fetch_add(1, std::memory_order_relaxed);
      return std::move(prepared.status()).with_context("listener \"" + s.listeners[i].name + "\"");
    }
    tls.emplace_back(l, std::move(prepared.value()));
  }
#endif
  auto snap = Snapshot::compile(*effective, next_version.fetch_add(1), &upstreams, &policy_states);
  if (!snap) {
    reloads_failed.fetch_add(1);
    return snap.status();
  }
#if APIGW_WITH_TLS
  for (auto& [l, prepared] : tls) {
    l->commit(std::move(prepared));
    l->reloads_ok.fetch_add(1, std::memory_order_relaxed);
  }
#endif
  source->store(std::move(snap.value()));
  current_config = s;
  reloads_ok.fetch_add(1);
  return Status();
}

Status Gateway::set_upstream_targets(std::string_view name, std::vector<UpstreamTarget> targets) {
  std::lock_guard<std::mutex> lock(impl_->reload_mu);  // read, change and apply as one
  GatewayBuilder::State config = impl_->current_config;
  auto& ups = config.upstreams;
  auto it = std::find_if(ups.begin(), ups.end(), [&](const UpstreamOptions& u) { return u.name == name; });
  if (it == ups.end()) return Status(Code::kNotFound, "no upstream named \"" + std::string(name) + "\"");
  it->targets = std::move(targets);
  return impl_->reload_locked(GatewayBuilder::from_state(config));
}

Status Gateway::set_route_enabled(std::string_view route, bool enabled) {
  std::lock_guard<std::mutex> lock(impl_->reload_mu);
  const auto& routes = impl_->current_config.routes;
  if (std::none_of(routes.begin(), routes.end(), [&](const RouteOptions& r) { return r.name == route; }))
    return Status(Code::kNotFound, "no route named \"" + std::string(route) + "\"");
  auto& off = impl_->disabled_routes;
  std::set<std::string, std::less<>> before = off;
  if (enabled) {
    if (auto it = off.find(route); it != off.end()) off.erase(it);
  } else {
    off.emplace(route);
  }
  Status st = impl_->reload_locked(GatewayBuilder::from_state(impl_->current_config));
  if (!st) off = std::move(before);
  return st;
}

GatewayBuilder Gateway::running_config() const {
  std::lock_guard<std::mutex> lock(impl_->reload_mu);
  return GatewayBuilder::from_state(impl_->current_config);
}

uint64_t Gateway::config_version() const noexcept { return impl_->source->load()->version; }

std::vector<std::string> Gateway::disabled_routes() const {
  std::lock_guard<std::mutex> lock(impl_->reload_mu);
  return {impl_->disabled_routes.begin(), impl_->disabled_routes.end()};
}

Status Gateway::set_rate_limit_override(std::string_view policy, uint64_t limit, uint64_t burst) {
  return impl_->policy_states.set_override(policy, {limit, burst});
}

Status Gateway::remove_rate_limit_override(std::string_view policy) {
  return impl_->policy_states.remove_override(policy);
}

size_t Gateway::purge_cache(std::string_view prefix) { return impl_->policy_states.purge_caches(prefix); }

void Gateway::reopen_access_log() noexcept {
  if (impl_->access_log) impl_->access_log->reopen();
}

void Gateway::count_failed_reload() noexcept { impl_->reloads_failed.fetch_add(1); }

std::vector<std::string> Gateway::bound_addresses() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->bound;
}

uint64_t Gateway::active_requests() const noexcept { return impl_->counters.active_requests.load(); }
bool Gateway::ready() const noexcept { return impl_->ready.load(); }
bool Gateway::draining() const noexcept { return impl_->draining.load(); }

GatewayStats gateway_stats(const Gateway& gw) {
  const Gateway::Impl& i = const_cast<Gateway&>(gw).impl();
  GatewayStats s{i.counters.connections.load(), i.counters.active_requests.load(), i.reloads_ok.load(),
                 i.reloads_failed.load(), i.source->load()->version, {}, {}, {}, {}, {}};
  if (i.access_log) s.access_log = {i.access_log->written_lines(), i.access_log->dropped_lines()};
  if (i.tracer) s.trace_spans = {i.tracer->exported_spans(), i.tracer->dropped_spans()};
  for (size_t k = 0; k < i.counters.listener_names.size(); ++k)
    s.listener_connections.emplace_back(i.counters.listener_names[k], i.counters.listener_connections[k].load());
#if APIGW_WITH_TLS
  for (const auto& l : i.counters.listener_tls) {
    if (!l) continue;
    GatewayStats::TlsListener t{l->name(), {}, l->reloads_ok.load(), l->reloads_failed.load()};
    for (size_t r = 0; r < net::kTlsFailureKinds; ++r)
      t.handshake_failures.emplace_back(net::tls_failure_name(static_cast<net::TlsFailure>(r)),
                                        const_cast<net::TlsListener&>(*l).failures().by_reason[r].load());
    s.tls.push_back(std::move(t));
  }
#endif
  // The shards only grow while the gateway starts; a scrape comes later.
  for (const auto& shard : i.metrics) shard->collect(s.requests);
  int64_t now = i.source->load()->clock->monotonic_ns();  // the clock health times are on
  for (const auto& [name, shared] : i.upstreams.all()) {
    GatewayStats::Upstream u{name, shared->targets, {}, {}, {}, {}, shared->in_flight->count(shared->targets)};
    for (size_t t = 0; t < shared->targets.size(); ++t) {
      u.healthy.push_back(shared->health->available(t, now));
      u.passing_checks.push_back(shared->health->healthy(t));
      u.ejected.push_back(shared->health->ejected(t, now));
      u.ejections.push_back(shared->health->ejections(t));
    }
    s.upstreams.push_back(std::move(u));
  }
  for (const auto& [name, state] : i.policy_states.rate_limits()) {
    GatewayStats::RateLimit r{name, {}};
    for (size_t d = 0; d < r.decisions.size(); ++d) r.decisions[d] = state->counters.get(policy::LimitDecision(d));
    s.rate_limits.push_back(std::move(r));
  }
  for (const auto& [name, state] : i.policy_states.auth_failure_states()) {
    GatewayStats::AuthFailures a{name, {}};
    for (size_t r = 0; r < state->reasons.size(); ++r)
      a.by_reason.emplace_back(std::string(state->reasons[r]), state->counts[r].load(std::memory_order_relaxed));
    s.auth_failures.push_back(std::move(a));
  }
  for (const auto& [name, counters] : i.policy_states.json_bodies()) {
    GatewayStats::JsonBodySkips j{name, {}};
    for (size_t r = 0; r < j.by_reason.size(); ++r) j.by_reason[r] = counters->get(policy::JsonBodySkip(r));
    s.json_body_skips.push_back(std::move(j));
  }
  for (const auto& [name, state] : i.policy_states.caches())
    for (const auto& [route, counts] : state->counters.by_route())
      for (size_t r = 0; r < counts.size(); ++r) s.cache_requests[route][r] += counts[r];
  return s;
}

}  // namespace apigw
