// TargetPool: one worker's keep-alive connections to one target.
//
// At most max_connections open (idle + busy + connecting); beyond that,
// requests wait in a bounded queue. Idle connections are reused newest first
// (warm ones, and the old ones age out) and closed after idle_ms.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "upstream/target_address.hpp"
#include "upstream/upstream_connection.hpp"

namespace apigw::upstream {

class PoolWaiter {
 public:
  virtual ~PoolWaiter() = default;
  // The connection is the waiter's until it calls TargetPool::release.
  virtual void on_pool_connection(UpstreamConnection& c) = 0;
  // No connection: a connect failure (uv error), or 0 when the queue was full.
  virtual void on_pool_failure(int uv_error) = 0;
};

struct PoolLimits {
  uint32_t max_connections = 256;
  uint32_t max_pending = 1024;
  uint32_t connect_timeout_ms = 1000;
  uint32_t idle_timeout_ms = 60000;
};

class TargetPool {
 public:
  TargetPool(uv_loop_t* loop, std::shared_ptr<const TargetAddress> address, char* read_buffer,
             size_t read_buffer_size);
  ~TargetPool();
  TargetPool(const TargetPool&) = delete;
  TargetPool& operator=(const TargetPool&) = delete;

  void set_limits(const PoolLimits& limits) noexcept { limits_ = limits; }
#if APIGW_WITH_TLS
  // New connections speak TLS with `context` (null: plain TCP), naming `server_name`.
  void set_tls(std::shared_ptr<const net::TlsClientContext> context, std::string server_name);
#endif
  // Hands a connection to `w`, now (an idle one) or once one is connected.
  void acquire(PoolWaiter& w);
  // Withdraws a waiter that no longer wants a connection.
  void cancel(PoolWaiter& w);
  // Gives a connection back: kept when `reusable`, else closed.
  void release(UpstreamConnection& c, bool reusable);

  uint32_t open_connections() const noexcept { return open_; }
  uint32_t idle_connections() const noexcept { return idle_count_; }
  size_t pending() const noexcept { return waiters_.size(); }

  // UpstreamConnection events.
  void on_connected(UpstreamConnection& c);
  void on_connect_failed(UpstreamConnection& c, int error);
  void on_connection_lost(UpstreamConnection& c);

 private:
  void open_one();
  void push_idle(UpstreamConnection& c);
  void remove_idle(UpstreamConnection& c);
  void serve_waiters();
  static void on_idle_timer(uv_timer_t* t);

  uv_loop_t* loop_;
  std::shared_ptr<const TargetAddress> address_;  // read at each connect: it may be re-resolved
  char* read_buffer_;
  size_t read_buffer_size_;
  PoolLimits limits_;
  UpstreamConnection* idle_head_ = nullptr;  // newest first
  uint32_t idle_count_ = 0;
  uint32_t open_ = 0;
  uint32_t connecting_ = 0;
  std::deque<PoolWaiter*> waiters_;
  uv_timer_t* idle_timer_;
#if APIGW_WITH_TLS
  std::shared_ptr<const net::TlsClientContext> tls_;
  std::string tls_server_name_;
  net::TlsSessionSlot tls_sessions_;
#endif
};

}  // namespace apigw::upstream
