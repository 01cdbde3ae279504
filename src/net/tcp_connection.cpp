#include "net/tcp_connection.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "core/worker.hpp"
#include "net/stream_write.hpp"

namespace apigw {
namespace {

// A connection closed with unread input still reads (and drops) what the
// client sends for this long, so that unread bytes do not turn into a RST
// that destroys the answer in flight.
constexpr uint64_t kLingerMs = 2000;

}  // namespace

TcpConnection::TcpConnection(Worker& worker, WorkerContext& context, std::atomic<int64_t>* listener_gauge)
    : worker_(worker), context_(context), listener_gauge_(listener_gauge) {
  uv_tcp_init(worker.loop(), &tcp_);
  uv_timer_init(worker.loop(), &timer_);
  tcp_.data = this;
  timer_.data = this;
  open_handles_ = 2;
}

TcpConnection::~TcpConnection() = default;

void TcpConnection::accept(uv_stream_t* server, Worker& worker, WorkerContext& context,
                           std::atomic<int64_t>* listener_gauge, net::TlsListener* tls) {
  auto* c = new TcpConnection(worker, context, listener_gauge);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp_)) != 0) {
    c->abort_now();
    return;
  }
  ProcessCounters& counters = worker.counters();
  if (counters.connections.fetch_add(1, std::memory_order_relaxed) >= counters.max_connections ||
      context.draining) {
    counters.connections.fetch_sub(1, std::memory_order_relaxed);
    c->abort_now();
    return;
  }
  c->start(tls);
}

void TcpConnection::start([[maybe_unused]] net::TlsListener* tls) {
  worker_.add(this);
  listener_gauge_->fetch_add(1, std::memory_order_relaxed);
  uv_tcp_nodelay(&tcp_, 1);
  sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    if (ss.ss_family == AF_INET6)
      uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&ss), peer_ip_, sizeof peer_ip_);
    else
      uv_ip4_name(reinterpret_cast<sockaddr_in*>(&ss), peer_ip_, sizeof peer_ip_);
  }
#if APIGW_WITH_TLS
  if (tls) {
    tls_.emplace(*this, tls->current(), &tls->failures());
    http_.emplace(*tls_, context_);
    tls_->set_receiver(&*http_);
    receiver_ = &*tls_;
  }
#endif
  if (!receiver_) {
    http_.emplace(*this, context_);
    receiver_ = &*http_;
  }
  resume_reading();
}

// Never counted as a connection: closes the handles and frees.
void TcpConnection::abort_now() {
  closing_ = true;
  lingering_ = true;  // no counters to release
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_handle_closed);
}

void TcpConnection::on_handle_closed(uv_handle_t* h) {
  auto* c = static_cast<TcpConnection*>(h->data);
  if (--c->open_handles_ > 0) return;
  delete c;
}

void TcpConnection::pause_reading() {
  if (!reading_) return;
  reading_ = false;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
}

void TcpConnection::resume_reading() {
  if (reading_ || (closing_ && !lingering_)) return;
  reading_ = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&tcp_),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        // One read buffer per worker: every byte kept is copied out of it.
        auto* c = static_cast<TcpConnection*>(h->data);
        buf->base = c->worker_.read_buffer();
        buf->len = Worker::kReadBufferSize;
      },
      on_read);
}

void TcpConnection::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* c = static_cast<TcpConnection*>(s->data);
  if (n == 0) return;
  if (c->lingering_) {
    if (n < 0) c->finish_close();
    return;
  }
  if (c->closing_) return;
  if (n < 0) {
    if (n == UV_EOF) {
      c->pause_reading();
      c->receiver_->on_eof();
    } else {
      c->closing_ = true;
      c->finish_close();
    }
    return;
  }
  c->receiver_->on_read(buf->base, static_cast<size_t>(n));
}

void TcpConnection::write(const std::string_view* bufs, size_t count) {
  if (closing_ && lingering_) return;
  bool queued = false;
  int rc = net::write_or_queue(reinterpret_cast<uv_stream_t*>(&tcp_), bufs, count, writes_in_flight_ == 0, this,
                               on_write, &queued);
  if (rc != 0) {
    closing_ = true;
    finish_close();
    return;
  }
  if (queued) ++writes_in_flight_;
}

void TcpConnection::on_write(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<net::PendingWrite*>(req);
  auto* c = static_cast<TcpConnection*>(w->owner);
  delete w;
  --c->writes_in_flight_;
  if (status != 0) {
    c->closing_ = true;
    if (c->writes_in_flight_ == 0) c->finish_close();
    return;
  }
  if (c->writes_in_flight_ > 0) return;
  if (c->closing_) {
    c->finish_close();
  } else {
    c->receiver_->on_write_done();
  }
}

// Timers move on every request (header, idle ...), so they are lazy: only
// the deadline is recorded, and the libuv timer (a heap operation) is
// touched only when it would fire too late. An early firing re-arms itself.
void TcpConnection::arm_timer(uint64_t ms) {
  if (ms == 0) {
    deadline_ = 0;
    return;
  }
  deadline_ = uv_now(worker_.loop()) + ms;
  if (timer_due_ == 0 || timer_due_ > deadline_) {
    timer_due_ = deadline_;
    uv_timer_start(&timer_, on_timer, ms, 0);
  }
}

void TcpConnection::on_timer(uv_timer_t* t) {
  auto* c = static_cast<TcpConnection*>(t->data);
  c->timer_due_ = 0;
  if (c->lingering_) {
    c->finish_close();
    return;
  }
  if (c->deadline_ == 0) return;
  uint64_t now = uv_now(c->worker_.loop());
  if (now < c->deadline_) {
    c->timer_due_ = c->deadline_;
    uv_timer_start(&c->timer_, on_timer, c->deadline_ - now, 0);
    return;
  }
  c->deadline_ = 0;
  c->receiver_->on_timeout();
}

void TcpConnection::close(bool linger) {
  if (closing_) return;
  closing_ = true;
  linger_wanted_ = linger;
  if (writes_in_flight_ == 0) finish_close();
}

void TcpConnection::force_close() {
  closing_ = true;
  lingering_ = true;
  finish_close();
}

// Writes are out: close, or half-close and linger until the client closes too.
void TcpConnection::finish_close() {
  if (lingering_) {
    if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) return;
    worker_.counters().connections.fetch_sub(1, std::memory_order_relaxed);
    listener_gauge_->fetch_sub(1, std::memory_order_relaxed);
    worker_.remove(this);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_handle_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_handle_closed);
    return;
  }
  lingering_ = true;
  if (!linger_wanted_) {
    finish_close();
    return;
  }
  if (uv_shutdown(&shutdown_, reinterpret_cast<uv_stream_t*>(&tcp_), on_shutdown) != 0) {
    finish_close();
    return;
  }
}

void TcpConnection::on_shutdown(uv_shutdown_t* req, int status) {
  auto* c = static_cast<TcpConnection*>(req->handle->data);
  if (status != 0 || uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->tcp_))) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->tcp_))) c->finish_close();
    return;
  }
  c->timer_due_ = 0;
  uv_timer_start(&c->timer_, on_timer, kLingerMs, 0);
  c->reading_ = false;
  c->resume_reading();
}

}  // namespace apigw
