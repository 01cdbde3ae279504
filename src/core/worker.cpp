#include "core/worker.hpp"

#include <unistd.h>

#include "net/tcp_connection.hpp"
#include "telemetry/access_log.hpp"

namespace apigw {

Worker::Worker(std::shared_ptr<SnapshotSource> source, std::shared_ptr<SnapshotSource> admin_source,
               ProcessCounters& counters, telemetry::RequestMetrics* metrics, uv_loop_t* loop)
    : loop_(loop ? loop : &own_loop_),
      owns_loop_(loop == nullptr),
      counters_(counters),
      queue_(std::make_shared<detail::ResumeQueue>([this] { uv_async_send(&async_); })),
      context_(std::move(source), queue_, &counters.active_requests),
      admin_context_(admin_source ? std::move(admin_source) : nullptr, queue_, &counters.active_requests),
      read_buffer_(new char[kReadBufferSize]) {
  context_.metrics = metrics;
  if (owns_loop_) uv_loop_init(&own_loop_);
  uv_async_init(loop_, &async_, on_async);
  async_.data = this;
  uv_timer_init(loop_, &drain_timer_);
  drain_timer_.data = this;
  uv_check_init(loop_, &check_);
  check_.data = this;
  uv_check_start(&check_, on_check);
  handles_open_ = 3;
  upstreams_ = std::make_unique<upstream::WorkerUpstreams>(loop_, read_buffer_.get(), kReadBufferSize);
  context_.upstreams = upstreams_.get();
  upstreams_->metrics = metrics;
}

void Worker::set_access_log(telemetry::AccessLogWriter& writer) {
  access_log_ = std::make_unique<telemetry::AccessLogBuffer>(writer);
  context_.access_log = access_log_.get();
}

void Worker::set_tracer(telemetry::TraceExporter& exporter) {
  traces_ = std::make_unique<telemetry::TraceBuffer>(exporter);
  context_.traces = traces_.get();
}

Worker::~Worker() {
  if (owns_loop_) {
    // Close whatever is left (a worker that never ran) and let the closes finish.
    if (!finished_) {
      health_checker_.reset();
      resolver_.reset();
      tls_watch_.reset();
      upstreams_.reset();
#ifdef APIGW_WITH_REDIS
      redis_.reset();
#endif
      queue_->shut();
      for (Listener* l : listeners_)
        uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp), [](uv_handle_t* h) { delete reinterpret_cast<Listener*>(h); });
      uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&drain_timer_), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
      uv_run(loop_, UV_RUN_DEFAULT);
    }
    uv_loop_close(&own_loop_);
  }
}

Status Worker::listen(const std::vector<int>& fds, const std::vector<int>& admin_fds) {
  size_t index = 0;
  auto add_listener = [this, &index](int fd, WorkerContext* ctx) -> Status {
    net::TlsListener* tls = index < counters_.listener_tls.size() ? counters_.listener_tls[index].get() : nullptr;
    auto* l = new Listener{{}, this, ctx, ctx == &admin_context_, &counters_.listener_connections[index++], tls};
    uv_tcp_init(loop_, &l->tcp);
    listeners_.push_back(l);
    ++handles_open_;
    if (int rc = uv_tcp_open(&l->tcp, fd); rc != 0) {
      ::close(fd);
      return Status(Code::kInternal, std::string("uv_tcp_open: ") + uv_strerror(rc));
    }
    if (int rc = uv_listen(reinterpret_cast<uv_stream_t*>(&l->tcp), 1024, on_connection); rc != 0)
      return Status(Code::kInternal, std::string("uv_listen: ") + uv_strerror(rc));
    return Status();
  };
  for (int fd : fds)
    if (Status st = add_listener(fd, &context_); !st) return st;
  for (int fd : admin_fds)
    if (Status st = add_listener(fd, &admin_context_); !st) return st;
  return Status();
}

void Worker::run() {
  adopt_thread();
  uv_run(loop_, UV_RUN_DEFAULT);
}

void Worker::use_redis(const RedisOptions& options) {
#ifdef APIGW_WITH_REDIS
  redis_ = std::make_unique<store::RedisClient>(loop_, options);
#else
  (void)options;
#endif
}

void Worker::adopt_thread() {
#ifdef APIGW_WITH_REDIS
  store::RedisClient::set_current(redis_.get());
#endif
}

void Worker::run_upstream_checks() {
  auto upstreams = [this]() -> const std::vector<std::shared_ptr<const upstream::CompiledUpstream>>& {
    return context_.snapshot()->upstreams;
  };
  health_checker_ = std::make_unique<upstream::HealthChecker>(loop_, upstreams);
  resolver_ = std::make_unique<upstream::TargetResolver>(loop_, upstreams);
  std::vector<net::TlsListener*> tls;
  for (const auto& l : counters_.listener_tls)
    if (l) tls.push_back(l.get());
  if (!tls.empty()) tls_watch_ = std::make_unique<net::TlsFileWatch>(loop_, std::move(tls));
}

void Worker::on_connection(uv_stream_t* server, int status) {
  if (status != 0) return;
  auto* l = reinterpret_cast<Listener*>(server);
  TcpConnection::accept(server, *l->worker, *l->context, l->open_connections, l->tls);
}

void Worker::request_stop(int64_t drain_ms) {
  drain_ms_.store(drain_ms, std::memory_order_relaxed);
  stop_requested_.store(true, std::memory_order_release);
  uv_async_send(&async_);
}

void Worker::on_async(uv_async_t* a) {
  auto* w = static_cast<Worker*>(a->data);
  w->drain_queue();
  if (w->stop_requested_.load(std::memory_order_acquire) && !w->stopping_) w->begin_stop();
}

void Worker::on_check(uv_check_t* c) {
  auto* w = static_cast<Worker*>(c->data);
  w->queue_->settle_deferred();
  // Once per loop turn, not per request: the lines of this turn go to the writer.
  if (w->access_log_) w->access_log_->flush();
  if (w->traces_) w->traces_->flush();
}

void Worker::drain_queue() { queue_->apply_pushed(); }

// Public listeners close at once; the admin listener stays up (and /readyz
// answers 503) until the last public connection is gone.
void Worker::begin_stop() {
  stopping_ = true;
  context_.draining = true;
  close_listeners(/*admin=*/false);
  // Copy: draining may close (and remove) connections as we go.
  std::vector<TcpConnection*> open(connections_.begin(), connections_.end());
  for (TcpConnection* c : open)
    if (&c->context() == &context_) c->http().begin_drain();
  int64_t ms = drain_ms_.load(std::memory_order_relaxed);
  uv_timer_start(&drain_timer_, on_drain_timer, static_cast<uint64_t>(ms < 0 ? 0 : ms), 0);
  maybe_finish();
}

void Worker::close_listeners(bool admin) {
  std::vector<Listener*> keep;
  for (Listener* l : listeners_) {
    if (l->admin != admin) {
      keep.push_back(l);
      continue;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp), [](uv_handle_t* h) {
      auto* l = reinterpret_cast<Listener*>(h);
      Worker* w = l->worker;
      delete l;
      --w->handles_open_;
      w->maybe_finish();
    });
  }
  listeners_.swap(keep);
}

bool Worker::public_connections_left() const {
  for (TcpConnection* c : connections_)
    if (&c->context() == &context_) return true;
  return false;
}

void Worker::on_drain_timer(uv_timer_t* t) {
  auto* w = static_cast<Worker*>(t->data);
  std::vector<TcpConnection*> open(w->connections_.begin(), w->connections_.end());
  for (TcpConnection* c : open) c->force_close();
}

void Worker::remove(TcpConnection* c) {
  connections_.erase(c);
  if (stopping_) maybe_finish();
}

void Worker::maybe_finish() {
  if (!stopping_ || finished_) return;
  if (!public_connections_left() && !listeners_.empty()) {
    // Public traffic is done: now the admin side goes too.
    close_listeners(/*admin=*/true);
    std::vector<TcpConnection*> open(connections_.begin(), connections_.end());
    for (TcpConnection* c : open) c->force_close();
    return;
  }
  if (!connections_.empty() || !listeners_.empty()) return;
  if (handles_open_ > 3) return;  // listeners still closing
  finished_ = true;
  if (access_log_) access_log_->flush();
  if (traces_) traces_->flush();
  context_.upstreams = nullptr;
  health_checker_.reset();
  resolver_.reset();
  tls_watch_.reset();
  upstreams_.reset();  // closes pooled connections and their timers
#ifdef APIGW_WITH_REDIS
  redis_.reset();  // fails calls still waiting, closes the connections
#endif
  queue_->shut();
  uv_timer_stop(&drain_timer_);
  auto closed = [](uv_handle_t* h) {
    auto* w = static_cast<Worker*>(h->data);
    if (--w->handles_open_ == 0 && w->on_stopped_) w->on_stopped_();
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&drain_timer_), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), closed);
}

}  // namespace apigw
