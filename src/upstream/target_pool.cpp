#include "upstream/target_pool.hpp"

#include <algorithm>

namespace apigw::upstream {

TargetPool::TargetPool(uv_loop_t* loop, std::shared_ptr<const TargetAddress> address, char* read_buffer,
                       size_t read_buffer_size)
    : loop_(loop), address_(std::move(address)), read_buffer_(read_buffer), read_buffer_size_(read_buffer_size),
      idle_timer_(new uv_timer_t) {
  uv_timer_init(loop_, idle_timer_);
  idle_timer_->data = this;
}

TargetPool::~TargetPool() {
  while (idle_head_) {
    UpstreamConnection* c = idle_head_;
    remove_idle(*c);
    c->close();
  }
  for (PoolWaiter* w : waiters_) w->on_pool_failure(UV_ECANCELED);
  uv_close(reinterpret_cast<uv_handle_t*>(idle_timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void TargetPool::acquire(PoolWaiter& w) {
  if (idle_head_ && waiters_.empty()) {
    UpstreamConnection* c = idle_head_;
    remove_idle(*c);
    w.on_pool_connection(*c);
    return;
  }
  if (waiters_.size() >= limits_.max_pending) {
    w.on_pool_failure(0);
    return;
  }
  waiters_.push_back(&w);
  // One connect per waiter not yet covered by a connect in progress.
  if (connecting_ < waiters_.size() && open_ < limits_.max_connections) open_one();
}

void TargetPool::cancel(PoolWaiter& w) {
  waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), &w), waiters_.end());
}

#if APIGW_WITH_TLS
void TargetPool::set_tls(std::shared_ptr<const net::TlsClientContext> context, std::string server_name) {
  if (context != tls_) tls_sessions_.clear();  // sessions of another context are not offered
  tls_ = std::move(context);
  tls_server_name_ = std::move(server_name);
}
#endif

void TargetPool::open_one() {
  auto* c = new UpstreamConnection(*this, loop_, read_buffer_, read_buffer_size_);
#if APIGW_WITH_TLS
  if (tls_) c->use_tls(tls_, tls_server_name_, &tls_sessions_);
#endif
  ++open_;
  ++connecting_;
  sockaddr_storage address = address_->get();
  c->connect(reinterpret_cast<const sockaddr*>(&address), limits_.connect_timeout_ms);
}

void TargetPool::on_connected(UpstreamConnection& c) {
  --connecting_;
  if (waiters_.empty()) {
    push_idle(c);
    return;
  }
  PoolWaiter* w = waiters_.front();
  waiters_.pop_front();
  w->on_pool_connection(c);
}

void TargetPool::on_connect_failed(UpstreamConnection&, int error) {
  --connecting_;
  --open_;
  // The connect was made for the oldest waiter: it learns of the failure
  // (and may retry elsewhere); the others keep waiting for their connects.
  if (!waiters_.empty()) {
    PoolWaiter* w = waiters_.front();
    waiters_.pop_front();
    w->on_pool_failure(error);
  }
}

void TargetPool::on_connection_lost(UpstreamConnection& c) {
  if (c.idle_prev || c.idle_next || idle_head_ == &c) remove_idle(c);
  --open_;
  serve_waiters();
}

void TargetPool::release(UpstreamConnection& c, bool reusable) {
  c.set_user(nullptr);
  if (!reusable) {
    c.close();
    --open_;
    serve_waiters();
    return;
  }
  if (!waiters_.empty()) {
    PoolWaiter* w = waiters_.front();
    waiters_.pop_front();
    w->on_pool_connection(c);
    return;
  }
  push_idle(c);
}

// Room freed: start connects for waiters that have none in progress.
void TargetPool::serve_waiters() {
  while (connecting_ < waiters_.size() && open_ < limits_.max_connections) open_one();
}

void TargetPool::push_idle(UpstreamConnection& c) {
  c.idle_prev = nullptr;
  c.idle_next = idle_head_;
  if (idle_head_) idle_head_->idle_prev = &c;
  idle_head_ = &c;
  ++idle_count_;
  c.idle_since_ms = uv_now(loop_);
  c.resume_reading();  // notice an origin closing it
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(idle_timer_))) {
    uint64_t every = std::max<uint64_t>(100, std::min<uint64_t>(limits_.idle_timeout_ms / 2, 1000));
    uv_timer_start(idle_timer_, on_idle_timer, every, every);
  }
}

void TargetPool::remove_idle(UpstreamConnection& c) {
  if (c.idle_prev) c.idle_prev->idle_next = c.idle_next;
  else idle_head_ = c.idle_next;
  if (c.idle_next) c.idle_next->idle_prev = c.idle_prev;
  c.idle_prev = c.idle_next = nullptr;
  --idle_count_;
  if (idle_count_ == 0) uv_timer_stop(idle_timer_);
}

void TargetPool::on_idle_timer(uv_timer_t* t) {
  auto* p = static_cast<TargetPool*>(t->data);
  uint64_t now = uv_now(p->loop_);
  // The oldest idle connections are at the tail; walk from the head and close stale ones.
  UpstreamConnection* c = p->idle_head_;
  while (c) {
    UpstreamConnection* next = c->idle_next;
    if (now - c->idle_since_ms >= p->limits_.idle_timeout_ms) {
      p->remove_idle(*c);
      c->close();
      --p->open_;
    }
    c = next;
  }
}

}  // namespace apigw::upstream
