// What the C handles are on the C++ side, and the helpers every exported
// function uses to keep exceptions and bad arguments from crossing the ABI.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "apigw/apigw.h"
#include "apigw/exchange.hpp"
#include "apigw/gateway.hpp"

// The request as a callback sees it: a view of the exchange.
struct apigw_request {
  apigw::Exchange* ex;
};

// Inside a callback: a view of the exchange's answer. After
// apigw_response_defer: a heap object the host owns, with an answer of its own
// and the token that hands it back to the worker.
struct apigw_response {
  explicit apigw_response(apigw::Exchange* exchange) : ex(exchange) {}

  apigw::Exchange* ex;          // null for a deferred response
  bool handed_over = false;     // inline: deferred, so no longer usable
  apigw::ResumeToken token;     // deferred only
  apigw::Reply reply;           // deferred only
};

struct apigw_gateway {
  std::mutex mu;  // guards every field; never held while a gateway serves
  apigw::GatewayBuilder config;  // the last config loaded, without host callbacks
  std::map<std::string, apigw::Handler, std::less<>> handlers;
  std::map<std::string, apigw::PolicyPtr, std::less<>> policies;
  std::map<std::string, apigw::RateLimitKeyFunction, std::less<>> rate_limit_keys;
  // Set once by start/run/attach and kept until free, so that stop() and
  // address() may use it from any thread without holding mu.
  std::unique_ptr<apigw::Gateway> running;
  bool stopped = false;

  // The config plus the host's handlers, policies and rate-limit key functions.
  apigw::GatewayBuilder with_host_callbacks(const apigw::GatewayBuilder& config) const;
};

namespace apigw::capi {

// Copies `message` into the caller's buffer (NUL-terminated, truncated); both may be null.
void write_error(char* err, size_t errlen, std::string_view message) noexcept;

inline int32_t fail(char* err, size_t errlen, int32_t code, std::string_view message) noexcept {
  write_error(err, errlen, message);
  return code;
}

// A Status from the C++ core, as a C status code with its message.
int32_t fail(char* err, size_t errlen, const Status& status) noexcept;

// The body of every exported function that can fail: nothing unwinds past it.
template <class F>
int32_t guarded(char* err, size_t errlen, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(err, errlen, APIGW_E_NOMEM, "out of memory");
  } catch (const std::exception& e) {
    return fail(err, errlen, APIGW_E_INTERNAL, e.what());
  } catch (...) {
    return fail(err, errlen, APIGW_E_INTERNAL, "internal error");
  }
}

inline apigw_str borrowed(std::string_view s) noexcept {
  // A present but empty value still gets a non-null pointer.
  return apigw_str{s.data() ? s.data() : "", s.size()};
}
inline apigw_str absent() noexcept { return apigw_str{nullptr, 0}; }

// A name for a handler, policy, listener ...: non-null and non-empty.
inline bool valid_name(const char* name) noexcept { return name && *name; }

Handler make_handler(apigw_handler_fn fn, void* user);
PolicyPtr make_policy(std::string name, const apigw_policy_vtable& vtable, void* user);
RateLimitKeyFunction make_rate_limit_key(apigw_rate_limit_key_fn fn, void* user);

}  // namespace apigw::capi
