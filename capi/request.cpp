// C ABI: reading (and, in policy phases, changing) the request.
#include "internal.hpp"

using apigw::capi::absent;
using apigw::capi::borrowed;

namespace {

const apigw::Request* request_of(const apigw_request* req) noexcept { return req ? &req->ex->request() : nullptr; }

}  // namespace

extern "C" {

APIGW_EXTERN apigw_str apigw_request_method(const apigw_request* req) {
  auto* r = request_of(req);
  return r ? borrowed(r->method) : absent();
}

APIGW_EXTERN apigw_str apigw_request_path(const apigw_request* req) {
  auto* r = request_of(req);
  return r ? borrowed(r->path) : absent();
}

APIGW_EXTERN apigw_str apigw_request_query(const apigw_request* req) {
  auto* r = request_of(req);
  return r ? borrowed(r->query) : absent();
}

APIGW_EXTERN apigw_str apigw_request_body(const apigw_request* req) {
  auto* r = request_of(req);
  return r ? borrowed(r->body) : absent();
}

APIGW_EXTERN apigw_str apigw_request_client_ip(const apigw_request* req) {
  auto* r = request_of(req);
  return r ? borrowed(r->client_ip) : absent();
}

APIGW_EXTERN apigw_str apigw_request_header(const apigw_request* req, const char* name) {
  auto* r = request_of(req);
  if (!r || !name) return absent();
  const apigw::Header* h = r->headers.find(name);
  return h ? borrowed(h->value) : absent();
}

APIGW_EXTERN apigw_str apigw_request_param(const apigw_request* req, const char* name) {
  if (!req || !name) return absent();
  for (const auto& p : req->ex->params())
    if (p.name == name) return borrowed(p.value);
  return absent();
}

APIGW_EXTERN apigw_str apigw_request_consumer(const apigw_request* req) {
  if (!req || req->ex->consumer().empty()) return absent();
  return borrowed(req->ex->consumer());
}

APIGW_EXTERN size_t apigw_request_header_count(const apigw_request* req) {
  auto* r = request_of(req);
  return r ? r->headers.size() : 0;
}

APIGW_EXTERN int32_t apigw_request_header_at(const apigw_request* req, size_t index, apigw_str* name,
                                             apigw_str* value) {
  auto* r = request_of(req);
  if (!r || !name || !value) return APIGW_E_INVALID;
  if (index >= r->headers.size()) return APIGW_E_NOT_FOUND;
  const apigw::Header& h = *(r->headers.begin() + static_cast<std::ptrdiff_t>(index));
  *name = borrowed(h.name);
  *value = borrowed(h.value);
  return APIGW_OK;
}

APIGW_EXTERN size_t apigw_request_param_count(const apigw_request* req) {
  return req ? req->ex->params().size() : 0;
}

APIGW_EXTERN int32_t apigw_request_param_at(const apigw_request* req, size_t index, apigw_str* name,
                                            apigw_str* value) {
  if (!req || !name || !value) return APIGW_E_INVALID;
  const auto& params = req->ex->params();
  if (index >= params.size()) return APIGW_E_NOT_FOUND;
  *name = borrowed(params[index].name);
  *value = borrowed(params[index].value);
  return APIGW_OK;
}

APIGW_EXTERN int32_t apigw_request_set_header(apigw_request* req, const char* name, const char* value) {
  if (!req || !apigw::capi::valid_name(name) || !value) return APIGW_E_INVALID;
  return apigw::capi::guarded(nullptr, 0, [&] {
    req->ex->request().headers.set(name, value);
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_request_set_consumer(apigw_request* req, const char* id) {
  if (!req || !id) return APIGW_E_INVALID;
  return apigw::capi::guarded(nullptr, 0, [&] {
    req->ex->set_consumer(id);
    return APIGW_OK;
  });
}

}  // extern "C"
