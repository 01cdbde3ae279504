#include "upstream/target_resolver.hpp"

#include <netdb.h>

#include <cstring>

namespace apigw::upstream {
namespace {

// One lookup; keeps its target alive and frees itself in the callback.
struct Lookup {
  uv_getaddrinfo_t req;
  std::shared_ptr<TargetAddress> target;
};

void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  auto* l = static_cast<Lookup*>(req->data);
  if (status == 0 && res) {
    sockaddr_storage ss{};
    std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
    l->target->set(ss);
  }
  if (res) uv_freeaddrinfo(res);
  delete l;
}

}  // namespace

TargetResolver::TargetResolver(uv_loop_t* loop, UpstreamList current, uint64_t interval_ms)
    : loop_(loop), current_(std::move(current)), timer_(new uv_timer_t) {
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_timer_start(timer_, on_tick, interval_ms, interval_ms);
}

TargetResolver::~TargetResolver() {
  // Lookups in flight finish on libuv's thread pool and free themselves.
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void TargetResolver::on_tick(uv_timer_t* t) {
  auto* self = static_cast<TargetResolver*>(t->data);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  for (const auto& u : self->current_()) {
    for (const auto& target : u->addresses) {
      if (!target->is_name()) continue;
      auto* l = new Lookup{{}, target};
      l->req.data = l;
      if (uv_getaddrinfo(self->loop_, &l->req, on_resolved, target->host().c_str(), target->port().c_str(), &hints) != 0)
        delete l;
      else
        ++self->lookups_;
    }
  }
}

}  // namespace apigw::upstream
