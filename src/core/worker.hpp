// Worker: one thread's event loop, its listening sockets and its connections.
//
// Share-nothing: each worker accepts on its own SO_REUSEPORT sockets and owns
// every connection it accepted. Other threads reach it only through its
// uv_async handle (resumes, stop).
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/worker_context.hpp"
#include "store/redis_client.hpp"
#include "net/tls_file_watch.hpp"
#include "net/tls_listener.hpp"
#include "telemetry/access_log.hpp"
#include "telemetry/tracing.hpp"
#include "upstream/health_checker.hpp"
#include "upstream/target_resolver.hpp"
#include "upstream/worker_upstreams.hpp"

namespace apigw {

class TcpConnection;

struct ListenerBinding {
  int fd;
  WorkerContext* context;  // the gateway's, or the admin listener's
};

struct ProcessCounters {
  std::atomic<uint64_t> active_requests{0};
  std::atomic<uint64_t> connections{0};
  uint32_t max_connections = 10000;
  // Open connections per listener, in listener order; the admin listener last.
  std::vector<std::string> listener_names;
  std::unique_ptr<std::atomic<int64_t>[]> listener_connections;
  // TLS state per listener, in listener order; null: plain HTTP.
  std::vector<std::unique_ptr<net::TlsListener>> listener_tls;
};

class Worker {
 public:
  // `loop` null: the worker creates and runs its own loop.
  Worker(std::shared_ptr<SnapshotSource> source, std::shared_ptr<SnapshotSource> admin_source,
         ProcessCounters& counters, telemetry::RequestMetrics* metrics, uv_loop_t* loop);
  ~Worker();

  // Loop thread. Takes ownership of the fds.
  Status listen(const std::vector<int>& fds, const std::vector<int>& admin_fds);
  // Runs the loop until the worker has stopped (own loop only).
  void run();
  // Any thread: stop accepting, drain, then close everything.
  void request_stop(int64_t drain_ms);
  void on_stopped(std::function<void()> cb) { on_stopped_ = std::move(cb); }
  // This worker runs the active health checks and host-name re-resolution
  // of every upstream, and watches the TLS listeners' certificate files.
  void run_upstream_checks();
  // This worker keeps connections to Redis for shared stores (before run()).
  void use_redis(const RedisOptions& options);
  // The loop runs on the calling thread from now on (attach): thread-bound
  // services (the Redis client) are found from it.
  void adopt_thread();
  // Requests on this worker are written to `writer` (before listen()).
  void set_access_log(telemetry::AccessLogWriter& writer);
  // Sampled exchanges on this worker export their spans to `exporter`.
  void set_tracer(telemetry::TraceExporter& exporter);

  // TcpConnection bookkeeping (loop thread).
  void add(TcpConnection* c) { connections_.insert(c); }
  void remove(TcpConnection* c);
  ProcessCounters& counters() { return counters_; }
  char* read_buffer() { return read_buffer_.get(); }
  static constexpr size_t kReadBufferSize = 64 * 1024;
  uv_loop_t* loop() { return loop_; }

 private:
  static void on_async(uv_async_t* a);
  static void on_check(uv_check_t* c);
  static void on_connection(uv_stream_t* s, int status);
  static void on_drain_timer(uv_timer_t* t);
  void drain_queue();
  void begin_stop();
  void maybe_finish();
  void close_listeners(bool admin);
  bool public_connections_left() const;

  uv_loop_t own_loop_;
  uv_loop_t* loop_;
  bool owns_loop_;
  ProcessCounters& counters_;
  std::shared_ptr<detail::ResumeQueue> queue_;
  WorkerContext context_;
  WorkerContext admin_context_;
  uv_async_t async_;
  uv_timer_t drain_timer_;
  uv_check_t check_;  // runs the loop's own deferred work after each poll
  struct Listener {
    uv_tcp_t tcp;  // first: the handle's address is the Listener's
    Worker* worker;
    WorkerContext* context;
    bool admin;
    std::atomic<int64_t>* open_connections;
    net::TlsListener* tls;  // null: plain HTTP
  };
  std::vector<Listener*> listeners_;
  std::unordered_set<TcpConnection*> connections_;
  std::unique_ptr<char[]> read_buffer_;
  std::unique_ptr<upstream::WorkerUpstreams> upstreams_;
  std::unique_ptr<telemetry::AccessLogBuffer> access_log_;
  std::unique_ptr<telemetry::TraceBuffer> traces_;
  std::unique_ptr<upstream::HealthChecker> health_checker_;
  std::unique_ptr<upstream::TargetResolver> resolver_;
#ifdef APIGW_WITH_REDIS
  std::unique_ptr<store::RedisClient> redis_;
#endif
  std::unique_ptr<net::TlsFileWatch> tls_watch_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<int64_t> drain_ms_{0};
  bool stopping_ = false;
  bool finished_ = false;
  int handles_open_ = 0;
  std::function<void()> on_stopped_;
};

}  // namespace apigw
