// UpstreamConnection: one TCP connection from a worker to an origin, with
// TLS inside it for an upstream with `tls` (the handshake is part of the
// connect, and counts against its timeout).
//
// A pool owns it; while a proxied request uses it, that request (the
// UpstreamUser) gets its events. Idle in the pool it still reads, so that an
// origin closing it is noticed at once and it is never handed out dead.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/tls_client_stream.hpp"

namespace apigw::upstream {

class UpstreamConnection;
class TargetPool;

class UpstreamUser {
 public:
  virtual ~UpstreamUser() = default;
  virtual void on_upstream_connected(UpstreamConnection& c) = 0;
  // Connect failed or timed out; the connection is gone after this returns.
  virtual void on_upstream_connect_failed(int uv_error) = 0;
  virtual void on_upstream_data(std::string_view data) = 0;
  // The origin closed (0) or the connection broke (a uv error); gone after this returns.
  virtual void on_upstream_closed(int uv_error) = 0;
  // Everything written so far has left for the origin.
  virtual void on_upstream_drained() = 0;
  // The deadline set with UpstreamConnection::set_deadline passed.
  virtual void on_upstream_timeout() = 0;
};

class UpstreamConnection {
 public:
  UpstreamConnection(TargetPool& pool, uv_loop_t* loop, char* read_buffer, size_t read_buffer_size);

  void connect(const sockaddr* address, uint32_t timeout_ms);
#if APIGW_WITH_TLS
  // Before connect(): speak TLS, offering the pool's last session if any.
  void use_tls(std::shared_ptr<const net::TlsClientContext> context, const std::string& server_name,
               net::TlsSessionSlot* sessions);
#endif
  void set_user(UpstreamUser* user) noexcept { user_ = user; }

  void write(const std::string_view* bufs, size_t count);
  bool write_pending() const noexcept { return writes_in_flight_ > 0; }
  void pause_reading();
  void resume_reading();
  // Closes and frees (after libuv is done with the handles); no more events.
  void close();
  // Calls the user's on_upstream_timeout() after `ms` (0 clears). Cheap to
  // move on every request: the libuv timer is only touched when it would
  // fire too late.
  void set_deadline(uint64_t ms);

  uint64_t requests_served() const noexcept { return requests_; }
  void count_request() noexcept { ++requests_; }
  bool reused() const noexcept { return requests_ > 1; }

  // Pool bookkeeping: idle list links and when it went idle (loop ms).
  UpstreamConnection* idle_next = nullptr;
  UpstreamConnection* idle_prev = nullptr;
  uint64_t idle_since_ms = 0;

 private:
  ~UpstreamConnection() = default;
  static void on_connect(uv_connect_t* req, int status);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_timer(uv_timer_t* t);
  static void on_closed(uv_handle_t* h);
  void fail(int error);
  void send(const std::string_view* bufs, size_t count);
#if APIGW_WITH_TLS
  void on_tls_bytes(const char* data, size_t len);
  void send_tls_output();
  std::unique_ptr<net::TlsClientStream> tls_;
  net::TlsSessionSlot* sessions_ = nullptr;
#endif

  TargetPool& pool_;
  uv_tcp_t tcp_;
  uv_timer_t timer_;
  uv_connect_t connect_req_;
  UpstreamUser* user_ = nullptr;
  char* read_buffer_;
  size_t read_buffer_size_;
  uint64_t requests_ = 0;
  uint64_t deadline_ = 0;   // loop ms; 0 = none
  uint64_t timer_due_ = 0;  // when the libuv timer fires; 0 = not running
  uint32_t writes_in_flight_ = 0;
  uint8_t open_handles_ = 2;
  uint32_t connect_timeout_ms_ = 0;
  bool tcp_connected_ = false;
  bool connected_ = false;  // and, with TLS, the handshake done
  bool reading_ = false;
  bool closing_ = false;
};

}  // namespace apigw::upstream
