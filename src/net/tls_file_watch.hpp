// TlsFileWatch: checks the certificate files of TLS listeners on an interval
// and reloads a listener whose files changed (one worker runs it for all).
#pragma once

#include <uv.h>

#include <vector>

#include "net/tls_listener.hpp"

namespace apigw::net {

class TlsFileWatch {
 public:
  // Listeners with reload_check_ms 0 are not watched; none left: no timer.
  TlsFileWatch(uv_loop_t* loop, std::vector<TlsListener*> listeners);
  ~TlsFileWatch();
  TlsFileWatch(const TlsFileWatch&) = delete;
  TlsFileWatch& operator=(const TlsFileWatch&) = delete;

 private:
  static void on_timer(uv_timer_t* t);

  std::vector<TlsListener*> listeners_;
  uv_timer_t* timer_ = nullptr;  // freed by its close callback
};

}  // namespace apigw::net
