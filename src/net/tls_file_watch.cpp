#include "net/tls_file_watch.hpp"

#include <algorithm>

namespace apigw::net {

TlsFileWatch::TlsFileWatch([[maybe_unused]] uv_loop_t* loop, std::vector<TlsListener*> listeners) {
#if APIGW_WITH_TLS
  uint64_t every = 0;
  for (TlsListener* l : listeners) {
    uint32_t ms = l->reload_check_ms();
    if (ms == 0) continue;
    listeners_.push_back(l);
    every = every == 0 ? ms : std::min<uint64_t>(every, ms);
  }
  if (listeners_.empty()) return;
  timer_ = new uv_timer_t;
  uv_timer_init(loop, timer_);
  timer_->data = this;
  uv_timer_start(timer_, on_timer, every, every);
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_));  // never what keeps a loop alive
#else
  (void)listeners;
#endif
}

TlsFileWatch::~TlsFileWatch() {
  if (!timer_) return;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void TlsFileWatch::on_timer([[maybe_unused]] uv_timer_t* t) {
#if APIGW_WITH_TLS
  auto* w = static_cast<TlsFileWatch*>(t->data);
  // A few stat() calls; files are read only when one changed. A broken
  // change keeps the old certificate and is counted as a failed reload.
  for (TlsListener* l : w->listeners_) (void)l->reload_if_changed();
#endif
}

}  // namespace apigw::net
