// C ABI: host handlers and custom policy stages as the C++ core calls them.
//
// A callback gets views of the exchange that live on this stack frame; once
// it has handed the answer over (apigw_response_defer) the exchange waits for
// the deferred response, whatever the callback returned.
#include <algorithm>
#include <cstring>

#include "internal.hpp"

namespace apigw::capi {

namespace {

using apigw::Decision;

class HostPolicy final : public Policy {
 public:
  HostPolicy(std::string name, const apigw_policy_vtable& vtable, void* user) : name_(std::move(name)), user_(user) {
    // Read no further than the host's struct; fields it does not know stay zero.
    std::memcpy(&vtable_, &vtable, std::min<size_t>(vtable.struct_size, sizeof vtable_));
    vtable_.struct_size = sizeof vtable_;
  }

  std::string_view type() const noexcept override { return "custom"; }

  Decision on_request(Exchange& ex) const noexcept override { return call(vtable_.on_request, ex); }
  Decision on_request_body(Exchange& ex) const noexcept override { return call(vtable_.on_request_body, ex); }
  Decision select_upstream(Exchange& ex) const noexcept override { return call(vtable_.select_upstream, ex); }
  Decision on_upstream_request(Exchange& ex) const noexcept override {
    return call(vtable_.on_upstream_request, ex);
  }
  Decision on_upstream_response(Exchange& ex) const noexcept override {
    return call(vtable_.on_upstream_response, ex);
  }
  Decision on_response(Exchange& ex) const noexcept override { return call(vtable_.on_response, ex); }
  Decision on_response_body(Exchange& ex) const noexcept override { return call(vtable_.on_response_body, ex); }
  void on_log(Exchange& ex) const noexcept override {
    if (!vtable_.on_log) return;
    apigw_request req{&ex};
    apigw_response res(&ex);
    res.handed_over = true;  // read only
    vtable_.on_log(user_, &req, &res);
  }
  bool needs_request_body() const noexcept override { return vtable_.needs_request_body != 0; }
  // Zero from a host built before ABI 0.4: its struct ends before the field.
  size_t response_body_limit() const noexcept override { return vtable_.response_body_limit; }

 private:
  Decision call(apigw_phase_fn fn, Exchange& ex) const noexcept {
    if (!fn) return Decision::kContinue;
    try {
      apigw_request req{&ex};
      apigw_response res(&ex);
      int32_t decision = fn(user_, &req, &res);
      if (res.handed_over) return Decision::kPause;
      switch (decision) {
        case APIGW_CONTINUE: return Decision::kContinue;
        case APIGW_RESPOND: return Decision::kRespond;
        case APIGW_PAUSE:
          return ex.fail(Status(Code::kInternal, "policy \"" + name_ + "\" paused without apigw_response_defer"));
        default: return ex.fail(Status(Code::kInternal, "policy \"" + name_ + "\" failed"));
      }
    } catch (...) {
      return ex.fail(Status(Code::kInternal, "policy failed"));
    }
  }

  std::string name_;
  apigw_policy_vtable vtable_{};
  void* user_;
};

}  // namespace

Handler make_handler(apigw_handler_fn fn, void* user) {
  return [fn, user](Exchange& ex) -> Decision {
    apigw_request req{&ex};
    apigw_response res(&ex);
    int32_t rc = fn(user, &req, &res);
    if (res.handed_over) return Decision::kPause;
    if (rc != APIGW_OK)
      return ex.fail(Status(Code::kInternal, std::string("handler failed: ") + apigw_status_name(rc)));
    return Decision::kRespond;
  };
}

PolicyPtr make_policy(std::string name, const apigw_policy_vtable& vtable, void* user) {
  return std::make_shared<HostPolicy>(std::move(name), vtable, user);
}

// The key is written into a buffer on this stack (one call for most keys),
// then copied into the exchange's arena: the policy keeps a view of it.
// Throws only std::bad_alloc (arena cap), which the policy takes as no key.
RateLimitKeyFunction make_rate_limit_key(apigw_rate_limit_key_fn fn, void* user) {
  return [fn, user](Exchange& ex) -> std::string_view {
    apigw_request req{&ex};
    char local[256];
    size_t n = fn(user, &req, local, sizeof local);
    if (n == 0 || n > APIGW_RATE_LIMIT_KEY_MAX) return {};
    char* key = static_cast<char*>(ex.arena().allocate(n, 1));
    if (n <= sizeof local) {
      std::memcpy(key, local, n);
      return {key, n};
    }
    size_t again = fn(user, &req, key, n);  // the key did not fit: once more, with room for it
    return again <= n ? std::string_view(key, again) : std::string_view();
  };
}

}  // namespace apigw::capi
