#include "core/error_response.hpp"

#include <string>

#include "core/json_text.hpp"

namespace apigw {

int error_http_status(const Status& status) noexcept {
  if (int s = status.http_status(); s != 0) return s;
  switch (status.code()) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists: return 409;
    case Code::kResourceExhausted: return 429;
    case Code::kFailedPrecondition: return 412;
    case Code::kUnimplemented: return 501;
    case Code::kDeadlineExceeded: return status.source() == ErrorSource::kUpstream ? 504 : 408;
    case Code::kUnavailable: return status.source() == ErrorSource::kUpstream ? 502 : 503;
    case Code::kCancelled:
    case Code::kInternal: break;
  }
  return status.source() == ErrorSource::kUpstream ? 502 : 500;
}

void append_error_body(std::pmr::string& out, const Status& status, std::string_view request_id) {
  out += "{\"error\":{\"status\":";
  out += std::string_view(std::to_string(error_http_status(status)));
  out += ",\"code\":";
  append_json_string(out, status.reason());
  out += ",\"message\":";
  append_json_string(out, status.message());
  out += ",\"request_id\":";
  append_json_string(out, request_id);
  out += "}}\n";
}

}  // namespace apigw
