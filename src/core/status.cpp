#include "apigw/status.hpp"

namespace apigw {

std::string_view code_name(Code code) noexcept {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kAlreadyExists: return "already_exists";
    case Code::kPermissionDenied: return "permission_denied";
    case Code::kUnauthenticated: return "unauthenticated";
    case Code::kResourceExhausted: return "resource_exhausted";
    case Code::kFailedPrecondition: return "failed_precondition";
    case Code::kUnavailable: return "unavailable";
    case Code::kDeadlineExceeded: return "deadline_exceeded";
    case Code::kUnimplemented: return "unimplemented";
    case Code::kInternal: return "internal";
    case Code::kCancelled: return "cancelled";
  }
  return "unknown";
}

Status::Status(Code code, std::string message) {
  if (code == Code::kOk) return;
  rep_ = std::make_unique<Rep>(Rep{code, ErrorSource::kUnset, code == Code::kUnavailable, 0,
                                   std::string(code_name(code)), std::move(message)});
}

Status Status::http(int http_status, std::string_view reason, std::string message) {
  Code code = http_status >= 500 ? Code::kInternal : Code::kInvalidArgument;
  if (http_status == 503) code = Code::kUnavailable;
  if (http_status == 504 || http_status == 408) code = Code::kDeadlineExceeded;
  if (http_status == 401) code = Code::kUnauthenticated;
  if (http_status == 403) code = Code::kPermissionDenied;
  if (http_status == 404) code = Code::kNotFound;
  if (http_status == 413 || http_status == 414 || http_status == 429 || http_status == 431)
    code = Code::kResourceExhausted;
  Status s(code, std::move(message));
  s.rep_->http_status = static_cast<uint16_t>(http_status);
  s.rep_->reason = std::string(reason);
  return s;
}

Status::Status(const Status& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  return *this;
}

Code Status::code() const noexcept { return rep_ ? rep_->code : Code::kOk; }
ErrorSource Status::source() const noexcept { return rep_ ? rep_->source : ErrorSource::kUnset; }
bool Status::retryable() const noexcept { return rep_ && rep_->retryable; }
int Status::http_status() const noexcept { return rep_ ? rep_->http_status : 0; }
std::string_view Status::reason() const noexcept { return rep_ ? std::string_view(rep_->reason) : "ok"; }
std::string_view Status::message() const noexcept { return rep_ ? std::string_view(rep_->message) : ""; }

Status& Status::from(ErrorSource source) & {
  if (rep_) rep_->source = source;
  return *this;
}
Status&& Status::from(ErrorSource source) && {
  if (rep_) rep_->source = source;
  return std::move(*this);
}
Status&& Status::with_retryable(bool retryable) && {
  if (rep_) rep_->retryable = retryable;
  return std::move(*this);
}
Status&& Status::with_context(std::string_view context) && {
  if (rep_) rep_->message = std::string(context) + ": " + rep_->message;
  return std::move(*this);
}

std::string Status::to_string() const {
  if (!rep_) return "ok";
  return std::string(code_name(rep_->code)) + ": " + rep_->message;
}

}  // namespace apigw
