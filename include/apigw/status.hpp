// apigw::Status and apigw::Result<T>: the one error type of the library.
//
// The OK path costs one pointer. An error carries a canonical code, where it
// came from, whether a retry may help, and a message. Turning a Status into
// an HTTP answer happens in exactly one place (src/core/error_response.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace apigw {

enum class Code : uint8_t {
  kOk = 0,
  kInvalidArgument,     // the caller (config, request, C ABI argument) is wrong
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kUnauthenticated,
  kResourceExhausted,   // a limit was hit: retry later or with less
  kFailedPrecondition,  // the system is not in a state that allows this
  kUnavailable,         // transient: the caller may retry
  kDeadlineExceeded,
  kUnimplemented,       // not supported (yet)
  kInternal,
  kCancelled,
};

enum class ErrorSource : uint8_t { kUnset, kDownstream, kUpstream, kInternal };

std::string_view code_name(Code code) noexcept;

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(Code code, std::string message);

  static Status ok() noexcept { return Status(); }

  // A status that already knows its HTTP answer, e.g. 413 "payload_too_large".
  static Status http(int http_status, std::string_view reason, std::string message);

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  bool is_ok() const noexcept { return rep_ == nullptr; }
  explicit operator bool() const noexcept { return is_ok(); }

  Code code() const noexcept;
  ErrorSource source() const noexcept;
  bool retryable() const noexcept;
  int http_status() const noexcept;      // 0 when not set explicitly
  std::string_view reason() const noexcept;  // short machine word, e.g. "not_found"
  std::string_view message() const noexcept;

  Status& from(ErrorSource source) &;
  Status&& from(ErrorSource source) &&;
  Status&& with_retryable(bool retryable) &&;
  // Prefixes context: "loading config: " + message.
  Status&& with_context(std::string_view context) &&;

  std::string to_string() const;

 private:
  struct Rep {
    Code code;
    ErrorSource source;
    bool retryable;
    uint16_t http_status;
    std::string reason;
    std::string message;
  };
  std::unique_ptr<Rep> rep_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                 // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}          // NOLINT: implicit by design

  bool is_ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return is_ok(); }

  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }

  Status status() const { return is_ok() ? Status() : std::get<1>(v_); }
  Status&& take_status() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace apigw
