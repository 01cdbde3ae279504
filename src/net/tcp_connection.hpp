// TcpConnection: the libuv TCP transport under one ServerConnection, with a
// TLS layer between the two on a TLS listener.
#pragma once

#include <uv.h>

#include <optional>

#include "http/server_connection.hpp"
#include "net/tls_listener.hpp"
#include "net/tls_server_transport.hpp"
#include "net/transport.hpp"

namespace apigw {

class Worker;

class TcpConnection final : public Transport {
 public:
  // Accepts one pending connection from `server`; closes it at once when the
  // process is over max_connections. `tls` null: plain HTTP.
  static void accept(uv_stream_t* server, Worker& worker, WorkerContext& context,
                     std::atomic<int64_t>* listener_gauge, net::TlsListener* tls);

  void write(const std::string_view* bufs, size_t count) override;
  bool write_pending() const noexcept override { return writes_in_flight_ > 0; }
  void pause_reading() override;
  void resume_reading() override;
  void arm_timer(uint64_t ms) override;
  void close(bool linger = false) override;
  std::string_view peer_ip() const noexcept override { return peer_ip_; }

  http::ServerConnection& http() { return *http_; }
  const WorkerContext& context() const { return context_; }
  // Closes now, without lingering and without waiting for writes (drain deadline).
  void force_close();

 private:
  TcpConnection(Worker& worker, WorkerContext& context, std::atomic<int64_t>* listener_gauge);
  ~TcpConnection() override;

  void start(net::TlsListener* tls);
  void finish_close();
  void abort_now();
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void on_timer(uv_timer_t* t);
  static void on_write(uv_write_t* req, int status);
  static void on_shutdown(uv_shutdown_t* req, int status);
  static void on_handle_closed(uv_handle_t* h);

  Worker& worker_;
  WorkerContext& context_;
  std::atomic<int64_t>* listener_gauge_;
  uv_tcp_t tcp_;
  uv_timer_t timer_;
  uv_shutdown_t shutdown_;
#if APIGW_WITH_TLS
  std::optional<net::TlsServerTransport> tls_;  // before http_: outlives it
#endif
  std::optional<http::ServerConnection> http_;
  TransportReceiver* receiver_ = nullptr;  // the TLS layer or the HTTP connection
  uint64_t deadline_ = 0;   // loop ms when the connection's timeout is due; 0 = none
  uint64_t timer_due_ = 0;  // when the libuv timer fires; 0 = not running
  uint32_t writes_in_flight_ = 0;
  uint8_t open_handles_ = 0;
  bool reading_ = false;
  bool closing_ = false;
  bool lingering_ = false;
  bool linger_wanted_ = false;
  char peer_ip_[46] = "";
};

}  // namespace apigw
