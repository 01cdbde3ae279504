// RequestParser: HTTP/1.1 requests from bytes, over llhttp, strictly.
//
// Every head byte goes through HeadScanner first (bare CR/LF, NUL, obs-fold,
// max_header_bytes); llhttp then does the grammar, Content-Length and
// Transfer-Encoding rules and chunked bodies. The parser stops after each
// complete message so that the connection answers requests one at a time
// and in order (pipelining), and resumes when told to.
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apigw/arena.hpp"
#include "apigw/exchange.hpp"
#include "apigw/gateway.hpp"
#include "http/chunk_end_check.hpp"
#include "http/field_buffer.hpp"
#include "http/head_scanner.hpp"

namespace apigw::http {

class RequestSink {
 public:
  virtual ~RequestSink() = default;
  // A new message starts: where its request goes (an exchange's request and arena).
  virtual Request& on_message_begin() = 0;
  virtual Arena& arena() = 0;
  // Method, target, version and headers are complete and checked.
  virtual void on_head_complete() = 0;
  virtual void on_body(std::string_view chunk) = 0;
  virtual void on_message_complete() = 0;
};

class RequestParser {
 public:
  enum class State : uint8_t {
    kNeedMore,  // all bytes consumed, the message is not complete
    kPaused,    // a message completed; resume() before feeding more
    kError,     // the stream is not trustworthy: answer error_status() and close
  };

  RequestParser(const Limits& limits, RequestSink& sink);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses from `data`; returns how many bytes were consumed.
  size_t feed(const char* data, size_t len, State* state);
  void resume();

  int error_status() const noexcept { return error_status_; }
  std::string_view error_reason() const noexcept { return error_reason_; }

  // About the last message, valid once its head is complete.
  bool keep_alive() const noexcept;
  bool upgrade() const noexcept { return parser_.upgrade != 0; }
  bool has_body() const noexcept;
  bool in_message() const noexcept { return in_message_; }
  // Bytes of the last message: its head and its body (chunk framing excluded).
  uint64_t message_bytes() const noexcept { return head_bytes_ + body_bytes_; }
  // Bytes of the current message's head seen so far (0 between messages).
  bool head_started() const noexcept { return in_message_ || !in_head_; }

  void set_limits(const Limits& limits) noexcept;

 private:
  static int on_message_begin_cb(llhttp_t* p);
  static int on_url_cb(llhttp_t* p, const char* at, size_t len);
  static int on_header_field_cb(llhttp_t* p, const char* at, size_t len);
  static int on_header_value_cb(llhttp_t* p, const char* at, size_t len);
  static int on_header_value_complete_cb(llhttp_t* p);
  static int on_headers_complete_cb(llhttp_t* p);
  static int on_body_cb(llhttp_t* p, const char* at, size_t len);
  static int on_chunk_header_cb(llhttp_t* p);
  static int on_message_complete_cb(llhttp_t* p);

  int fail(int status, std::string_view reason);
  int finish_head();

  llhttp_t parser_;
  HeadScanner scanner_;
  RequestSink* sink_;
  const Limits* limits_;
  Request* request_ = nullptr;
  FieldBuffer url_, field_, value_;
  bool field_done_ = false;
  bool in_head_ = true;
  bool in_message_ = false;
  uint32_t header_count_ = 0;
  uint64_t body_bytes_ = 0;
  uint64_t head_bytes_ = 0;
  ChunkEndCheck chunk_end_;
  const char* exec_end_ = nullptr;  // end of the input given to llhttp
  int error_status_ = 0;
  std::string_view error_reason_;
};

}  // namespace apigw::http
