// C ABI: status codes, their names and messages, and the error buffer.
#include <cstring>

#include "internal.hpp"

namespace apigw::capi {

void write_error(char* err, size_t errlen, std::string_view message) noexcept {
  if (!err || errlen == 0) return;
  size_t n = message.size() < errlen - 1 ? message.size() : errlen - 1;
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

int32_t fail(char* err, size_t errlen, const Status& status) noexcept {
  int32_t code = APIGW_E_INTERNAL;
  switch (status.code()) {
    case Code::kOk: return APIGW_OK;
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kAlreadyExists:
    case Code::kUnimplemented: code = APIGW_E_CONFIG; break;
    case Code::kFailedPrecondition: code = APIGW_E_STATE; break;
    case Code::kUnavailable:
    case Code::kPermissionDenied: code = APIGW_E_IO; break;
    case Code::kResourceExhausted: code = APIGW_E_NOMEM; break;
    default: break;
  }
  write_error(err, errlen, status.message());
  return code;
}

}  // namespace apigw::capi

namespace {

struct StatusText {
  int32_t code;
  const char* name;
  const char* text;
};

constexpr StatusText kStatusTexts[] = {
    {APIGW_OK, "APIGW_OK", "ok"},
    {APIGW_E_INVALID, "APIGW_E_INVALID", "invalid argument"},
    {APIGW_E_CONFIG, "APIGW_E_CONFIG", "the configuration does not validate"},
    {APIGW_E_STATE, "APIGW_E_STATE", "not allowed in the gateway's current state"},
    {APIGW_E_IO, "APIGW_E_IO", "cannot listen"},
    {APIGW_E_NOMEM, "APIGW_E_NOMEM", "out of memory"},
    {APIGW_E_INTERNAL, "APIGW_E_INTERNAL", "internal error"},
    {APIGW_E_NOT_FOUND, "APIGW_E_NOT_FOUND", "not found"},
    {APIGW_E_TRUNCATED, "APIGW_E_TRUNCATED", "the buffer is too small"},
};

const StatusText* find(int32_t code) noexcept {
  for (const auto& s : kStatusTexts)
    if (s.code == code) return &s;
  return nullptr;
}

}  // namespace

extern "C" {

APIGW_EXTERN const char* apigw_status_name(int32_t status) {
  const StatusText* s = find(status);
  return s ? s->name : "APIGW_E_UNKNOWN";
}

APIGW_EXTERN const char* apigw_status_str(int32_t status) {
  const StatusText* s = find(status);
  return s ? s->text : "unknown status code";
}

}  // extern "C"
