// C ABI: setting the answer, inside a callback or later from any thread.
#include <cstring>

#include "internal.hpp"

using apigw::capi::absent;
using apigw::capi::borrowed;
using apigw::capi::guarded;

namespace {

// A response a callback may still write to: inline and not handed over, or deferred.
bool writable(const apigw_response* res) noexcept { return res && !res->handed_over; }

bool is_deferred(const apigw_response* res) noexcept { return res->ex == nullptr; }

}  // namespace

extern "C" {

APIGW_EXTERN int32_t apigw_response_set_status(apigw_response* res, int32_t status) {
  if (!writable(res) || status < 100 || status > 599) return APIGW_E_INVALID;
  if (is_deferred(res))
    res->reply.status = status;
  else
    res->ex->response().status = status;
  return APIGW_OK;
}

APIGW_EXTERN int32_t apigw_response_set_header(apigw_response* res, const char* name, const char* value) {
  if (!writable(res) || !apigw::capi::valid_name(name) || !value) return APIGW_E_INVALID;
  return guarded(nullptr, 0, [&] {
    if (!is_deferred(res)) {
      res->ex->response().headers.set(name, value);
      return APIGW_OK;
    }
    auto& headers = res->reply.headers;
    std::erase_if(headers, [&](const auto& h) { return apigw::iequals(h.first, name); });
    headers.emplace_back(name, value);
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_response_set_body(apigw_response* res, const void* body, size_t len) {
  if (!writable(res) || (!body && len)) return APIGW_E_INVALID;
  // The rest of an overflowed answer still streams after what is held.
  if (!is_deferred(res) && res->ex->response_body_overflowed()) return APIGW_E_STATE;
  return guarded(nullptr, 0, [&] {
    const char* p = static_cast<const char*>(body);
    if (is_deferred(res))
      res->reply.body.assign(p ? p : "", len);
    else
      res->ex->response().body.assign(p ? p : "", len);
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_response_status(const apigw_response* res) {
  if (!res) return APIGW_E_INVALID;
  return is_deferred(res) ? res->reply.status : res->ex->response().status;
}

APIGW_EXTERN apigw_str apigw_response_header(const apigw_response* res, const char* name) {
  if (!res || !name || is_deferred(res)) return absent();
  const apigw::Header* h = res->ex->response().headers.find(name);
  return h ? borrowed(h->value) : absent();
}

APIGW_EXTERN apigw_str apigw_response_body(const apigw_response* res) {
  if (!res || is_deferred(res)) return absent();
  return borrowed(res->ex->response().body);
}

APIGW_EXTERN int32_t apigw_response_body_overflowed(const apigw_response* res) {
  if (!res || is_deferred(res)) return APIGW_E_INVALID;
  return res->ex->response_body_overflowed() ? 1 : 0;
}

APIGW_EXTERN apigw_response* apigw_response_defer(apigw_response* res) {
  if (!writable(res) || is_deferred(res)) return nullptr;
  try {
    auto later = std::make_unique<apigw_response>(nullptr);
    later->token = res->ex->pause();
    res->handed_over = true;
    return later.release();
  } catch (...) {
    return nullptr;
  }
}

APIGW_EXTERN int32_t apigw_response_complete(apigw_response* deferred) {
  if (!deferred || !is_deferred(deferred)) return APIGW_E_INVALID;
  std::unique_ptr<apigw_response> owned(deferred);
  // respond() is noexcept; a client that has gone makes it a no-op.
  owned->token.respond(std::move(owned->reply));
  return APIGW_OK;
}

APIGW_EXTERN int32_t apigw_response_resume(apigw_response* deferred) {
  if (!deferred || !is_deferred(deferred)) return APIGW_E_INVALID;
  std::unique_ptr<apigw_response> owned(deferred);
  owned->token.resume();
  return APIGW_OK;
}

}  // extern "C"
