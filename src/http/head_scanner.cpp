#include "http/head_scanner.hpp"

namespace apigw::http {

void HeadScanner::reset() noexcept {
  seen_ = 0;
  line_len_ = 0;
  leading_empty_ = 0;
  after_cr_ = false;
  any_line_ = false;
  error_status_ = 0;
  error_reason_ = {};
}

HeadScanner::Result HeadScanner::fail(int status, std::string_view reason) noexcept {
  error_status_ = status;
  error_reason_ = reason;
  return Result::kError;
}

HeadScanner::Result HeadScanner::scan(const char* data, size_t len, size_t* consumed) noexcept {
  for (size_t i = 0; i < len; ++i) {
    // The common case first, as one tight loop: the rest of a line's text
    // (printable bytes, spaces and tabs after its first byte).
    if (line_len_ > 0 && !after_cr_) {
      const auto* p = reinterpret_cast<const unsigned char*>(data);
      size_t k = i;
      while (k < len && (p[k] >= 0x20 || p[k] == '\t')) ++k;
      if (k > i) {
        seen_ += static_cast<uint32_t>(k - i);
        line_len_ += static_cast<uint32_t>(k - i);
        if (any_line_ && seen_ > max_) return fail(431, "request header fields too large");
        i = k;
        if (i == len) break;
      }
    }
    const char c = data[i];
    if (any_line_ && ++seen_ > max_) return fail(431, "request header fields too large");
    if (after_cr_) {
      if (c != '\n') return fail(400, "bare CR in request head");
      after_cr_ = false;
      if (line_len_ == 0) {
        // An empty line: before the request line it is tolerated (RFC 9112
        // section 2.2), after it the head is complete.
        if (any_line_) {
          *consumed = i + 1;
          return Result::kHeadEnd;
        }
        if (++leading_empty_ > 8) return fail(400, "too many empty lines before the request line");
      }
      line_len_ = 0;
      continue;
    }
    switch (c) {
      case '\r':
        after_cr_ = true;
        break;
      case '\n':
        return fail(400, "bare LF in request head");
      case '\0':
        return fail(400, "NUL byte in request head");
      case ' ':
      case '\t':
        // Whitespace opening a header line is obs-fold (or a smuggling attempt).
        if (line_len_ == 0 && any_line_) return fail(400, "obsolete line folding in request head");
        if (line_len_ == 0) return fail(400, "request line starts with whitespace");
        ++line_len_;
        break;
      default:
        if (!any_line_) {
          any_line_ = true;
          seen_ = 1;
        }
        ++line_len_;
    }
  }
  *consumed = len;
  return Result::kNeedMore;
}

}  // namespace apigw::http
