#include "upstream/upstream_connection.hpp"

#include <string>

#include "net/stream_write.hpp"
#include "upstream/target_pool.hpp"

namespace apigw::upstream {
UpstreamConnection::UpstreamConnection(TargetPool& pool, uv_loop_t* loop, char* read_buffer,
                                       size_t read_buffer_size)
    : pool_(pool), read_buffer_(read_buffer), read_buffer_size_(read_buffer_size) {
  uv_tcp_init(loop, &tcp_);
  uv_timer_init(loop, &timer_);
  tcp_.data = this;
  timer_.data = this;
}

#if APIGW_WITH_TLS
void UpstreamConnection::use_tls(std::shared_ptr<const net::TlsClientContext> context,
                                 const std::string& server_name, net::TlsSessionSlot* sessions) {
  tls_ = std::make_unique<net::TlsClientStream>(std::move(context), server_name);
  sessions_ = sessions;
  if (const mbedtls_ssl_session* s = sessions ? sessions->get() : nullptr) tls_->resume(*s);
}
#endif

void UpstreamConnection::connect(const sockaddr* address, uint32_t timeout_ms) {
  connect_req_.data = this;
  connect_timeout_ms_ = timeout_ms;
  int rc = uv_tcp_connect(&connect_req_, &tcp_, address, on_connect);
  if (rc != 0) {
    // Report on the next loop turn: callers expect the callback, never re-entry.
    timer_.data = this;
    uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<UpstreamConnection*>(t->data)->fail(UV_ECONNREFUSED); },
                   0, 0);
    return;
  }
  uv_timer_start(&timer_, on_timer, timeout_ms, 0);
}

void UpstreamConnection::set_deadline(uint64_t ms) {
  if (ms == 0) {
    deadline_ = 0;
    return;
  }
  uv_loop_t* loop = timer_.loop;
  deadline_ = uv_now(loop) + ms;
  if (timer_due_ == 0 || timer_due_ > deadline_) {
    timer_due_ = deadline_;
    uv_timer_start(&timer_, on_timer, ms, 0);
  }
}

void UpstreamConnection::on_timer(uv_timer_t* t) {
  auto* c = static_cast<UpstreamConnection*>(t->data);
  c->timer_due_ = 0;
  if (c->closing_) return;
  if (!c->connected_) return c->fail(UV_ETIMEDOUT);  // the connect timeout
  if (c->deadline_ == 0) return;
  uint64_t now = uv_now(t->loop);
  if (now < c->deadline_) {
    c->timer_due_ = c->deadline_;
    uv_timer_start(&c->timer_, on_timer, c->deadline_ - now, 0);
    return;
  }
  c->deadline_ = 0;
  if (c->user_) c->user_->on_upstream_timeout();
}

void UpstreamConnection::on_connect(uv_connect_t* req, int status) {
  auto* c = static_cast<UpstreamConnection*>(req->data);
  if (c->closing_) return;
  uv_timer_stop(&c->timer_);
  if (status != 0) return c->fail(status);
  c->tcp_connected_ = true;
  uv_tcp_nodelay(&c->tcp_, 1);
#if APIGW_WITH_TLS
  if (c->tls_) {
    // The handshake gets what is left of the connect timeout's budget, renewed.
    uv_timer_start(&c->timer_, on_timer, c->connect_timeout_ms_, 0);
    c->resume_reading();
    c->on_tls_bytes(nullptr, 0);  // the ClientHello
    return;
  }
#endif
  c->connected_ = true;
  c->resume_reading();
  c->pool_.on_connected(*c);
}

#if APIGW_WITH_TLS
// Records from the origin: the handshake first, then plaintext for the user.
void UpstreamConnection::on_tls_bytes(const char* data, size_t len) {
  tls_->set_input(data, len);
  if (!connected_) {
    int rc = tls_->handshake();
    send_tls_output();
    if (closing_) return;
    if (rc == MBEDTLS_ERR_SSL_WANT_READ) return;
    if (rc != 0) {
      if (sessions_) sessions_->clear();  // a stale session must not fail the next connect too
      return fail(UV_EPROTO);  // untrusted certificate, wrong name, no common suite
    }
    uv_timer_stop(&timer_);
    connected_ = true;
    if (sessions_) (void)tls_->save_session(sessions_->fill());
    pool_.on_connected(*this);
    if (closing_) return;
  }
  char plain[16384];
  for (;;) {
    int n = tls_->read(plain, sizeof plain);
    send_tls_output();
    if (closing_) return;
    if (n == MBEDTLS_ERR_SSL_WANT_READ) return;
    if (n <= 0) return fail(n == 0 ? 0 : UV_EPROTO);
    if (!user_) return fail(UV_EPROTO);  // bytes on an idle connection
    user_->on_upstream_data({plain, static_cast<size_t>(n)});
    if (closing_) return;  // a pause still takes the rest of this read: mbedTLS has consumed it
  }
}

void UpstreamConnection::send_tls_output() {
  std::string& out = tls_->output();
  if (out.empty() || closing_) return;
  std::string_view records = out;
  send(&records, 1);
  out.clear();
}
#endif

// A failure before the connection was handed to a request, or a broken one.
void UpstreamConnection::fail(int error) {
  if (closing_) return;
  UpstreamUser* user = user_;
  bool was_connected = connected_;
  close();
  if (!was_connected) {
    pool_.on_connect_failed(*this, error);
    return;
  }
  pool_.on_connection_lost(*this);
  if (user) user->on_upstream_closed(error);
}

void UpstreamConnection::pause_reading() {
  if (!reading_) return;
  reading_ = false;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
}

void UpstreamConnection::resume_reading() {
  if (reading_ || closing_ || !tcp_connected_) return;
  reading_ = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&tcp_),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* c = static_cast<UpstreamConnection*>(h->data);
        buf->base = c->read_buffer_;
        buf->len = c->read_buffer_size_;
      },
      on_read);
}

void UpstreamConnection::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* c = static_cast<UpstreamConnection*>(s->data);
  if (n == 0 || c->closing_) return;
  if (n < 0) return c->fail(n == UV_EOF ? 0 : static_cast<int>(n));
#if APIGW_WITH_TLS
  if (c->tls_) return c->on_tls_bytes(buf->base, static_cast<size_t>(n));
#endif
  if (!c->user_) {
    // Bytes on an idle connection: the origin is not speaking HTTP we can trust.
    c->fail(UV_EPROTO);
    return;
  }
  c->user_->on_upstream_data({buf->base, static_cast<size_t>(n)});
}

void UpstreamConnection::write(const std::string_view* bufs, size_t count) {
  if (closing_) return;
#if APIGW_WITH_TLS
  if (tls_) {
    if (!tls_->write(bufs, count)) return fail(UV_EPROTO);
    return send_tls_output();
  }
#endif
  send(bufs, count);
}

void UpstreamConnection::send(const std::string_view* bufs, size_t count) {
  bool queued = false;
  int rc = net::write_or_queue(reinterpret_cast<uv_stream_t*>(&tcp_), bufs, count, writes_in_flight_ == 0, this,
                               on_write, &queued);
  if (rc != 0) return fail(rc);
  if (queued) ++writes_in_flight_;
}

void UpstreamConnection::on_write(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<net::PendingWrite*>(req);
  auto* c = static_cast<UpstreamConnection*>(w->owner);
  delete w;
  --c->writes_in_flight_;
  if (c->closing_) {
    if (c->writes_in_flight_ == 0 && c->open_handles_ == 0) delete c;
    return;
  }
  if (status != 0) return c->fail(status);
  if (c->writes_in_flight_ == 0 && c->user_) c->user_->on_upstream_drained();
}

void UpstreamConnection::close() {
  if (closing_) return;
  closing_ = true;
  user_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
}

void UpstreamConnection::on_closed(uv_handle_t* h) {
  auto* c = static_cast<UpstreamConnection*>(h->data);
  // Write callbacks (cancelled by the close) may still come: free after the last.
  if (--c->open_handles_ == 0 && c->writes_in_flight_ == 0) delete c;
}

}  // namespace apigw::upstream
