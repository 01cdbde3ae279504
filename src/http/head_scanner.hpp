// HeadScanner: the byte-level checks llhttp leaves to us on a request head.
//
// llhttp (8.1, strict) accepts a bare LF ending the request line or the head,
// obs-fold continuation lines and HTTP/0.9-style heads. Smuggling defences
// want all of them refused, so every head byte passes through here first.
// The scanner also finds where the head ends and enforces max_header_bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace apigw::http {

class HeadScanner {
 public:
  enum class Result : uint8_t { kNeedMore, kHeadEnd, kError };

  explicit HeadScanner(uint32_t max_head_bytes) : max_(max_head_bytes) {}

  void reset() noexcept;
  // Takes effect for the head being scanned too; keeps the scan state.
  void set_max(uint32_t max_head_bytes) noexcept { max_ = max_head_bytes; }

  // Scans up to `len` bytes. On kHeadEnd, *consumed counts the bytes up to
  // and including the head's final LF; on kNeedMore, all of them.
  Result scan(const char* data, size_t len, size_t* consumed) noexcept;

  // Head bytes scanned so far (leading empty lines excluded).
  uint32_t head_bytes() const noexcept { return seen_; }
  // Set on kError: the HTTP status to answer (400 or 431) and why.
  int error_status() const noexcept { return error_status_; }
  std::string_view error_reason() const noexcept { return error_reason_; }

 private:
  Result fail(int status, std::string_view reason) noexcept;

  uint32_t max_;
  uint32_t seen_ = 0;        // head bytes so far, leading empty lines excluded
  uint32_t line_len_ = 0;    // bytes on the current line before CR
  uint32_t leading_empty_ = 0;
  bool after_cr_ = false;
  bool any_line_ = false;    // the request line has started
  int error_status_ = 0;
  std::string_view error_reason_;
};

}  // namespace apigw::http
