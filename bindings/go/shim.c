// C side of the cgo binding: adapts the C ABI's callback types to the Go
// exports (which cgo declares without const) and carries a cgo.Handle as
// the callbacks' user pointer.
#include "shim.h"

#include "_cgo_export.h"

static int32_t handler_trampoline(void *user, const apigw_request *req, apigw_response *res) {
  return goHandler((uintptr_t)user, (apigw_request *)req, res);
}

static int32_t policy_trampoline(void *user, apigw_request *req, apigw_response *res) {
  return goPolicy((uintptr_t)user, req, res);
}

int32_t apigw_go_add_handler(apigw_gateway *gw, const char *name, uintptr_t handle, char *err, size_t errlen) {
  return apigw_gateway_add_handler(gw, name, handler_trampoline, (void *)handle, err, errlen);
}

int32_t apigw_go_add_policy(apigw_gateway *gw, const char *name, uintptr_t handle, char *err, size_t errlen) {
  apigw_policy_vtable vt = {0};
  vt.struct_size = sizeof vt;
  vt.on_request = policy_trampoline;
  return apigw_gateway_add_policy(gw, name, &vt, (void *)handle, err, errlen);
}

static int32_t response_body_trampoline(void *user, apigw_request *req, apigw_response *res) {
  return goResponseBody((uintptr_t)user, req, res);
}

int32_t apigw_go_add_response_body_policy(apigw_gateway *gw, const char *name, uintptr_t handle, size_t limit,
                                          char *err, size_t errlen) {
  apigw_policy_vtable vt = {0};
  vt.struct_size = sizeof vt;
  vt.on_response_body = response_body_trampoline;
  vt.response_body_limit = limit;
  return apigw_gateway_add_policy(gw, name, &vt, (void *)handle, err, errlen);
}

static size_t rate_limit_key_trampoline(void *user, const apigw_request *req, char *buf, size_t buflen) {
  return goRateLimitKey((uintptr_t)user, (apigw_request *)req, buf, buflen);
}

int32_t apigw_go_add_rate_limit_key(apigw_gateway *gw, const char *name, uintptr_t handle, char *err, size_t errlen) {
  return apigw_gateway_add_rate_limit_key(gw, name, rate_limit_key_trampoline, (void *)handle, err, errlen);
}
