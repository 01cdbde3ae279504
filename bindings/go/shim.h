#ifndef APIGW_GO_SHIM_H
#define APIGW_GO_SHIM_H

#include <apigw/apigw.h>
#include <stdint.h>

// Register a Go handler / policy / rate-limit key function; handle is a runtime/cgo.Handle.
int32_t apigw_go_add_handler(apigw_gateway *gw, const char *name, uintptr_t handle, char *err, size_t errlen);
int32_t apigw_go_add_policy(apigw_gateway *gw, const char *name, uintptr_t handle, char *err, size_t errlen);
// A policy with only on_response_body, holding answers up to `limit` bytes (ABI 0.4).
int32_t apigw_go_add_response_body_policy(apigw_gateway *gw, const char *name, uintptr_t handle, size_t limit,
                                          char *err, size_t errlen);
int32_t apigw_go_add_rate_limit_key(apigw_gateway *gw, const char *name, uintptr_t handle, char *err, size_t errlen);

#endif
