// ResponseParser: HTTP/1.1 responses from an origin's bytes, over llhttp, strictly.
//
// The client-side twin of RequestParser. Every head byte (and every trailer
// byte) goes through HeadScanner first (bare CR/LF, NUL, obs-fold,
// max_header_bytes); llhttp does the grammar, Content-Length and chunked
// framing. On top of llhttp 8.1 (loose mode) this class checks what it lets
// through: the exact status-line shape, the byte after CR on a chunk-size
// line, the CRLF after chunk data, control bytes in the reason phrase, and a
// Transfer-Encoding other than exactly "chunked".
//
// Body rules: 1xx, 204, 304 and answers to HEAD have no body whatever their
// framing headers say; chunked and Content-Length bodies are delimited;
// anything else is read until the origin closes (on_eof()).
//
// Known llhttp 8.1 limit: a chunk extension after one with a value
// ("5;a=b;c") is refused as an invalid chunk size. Refused, never misread.
// Trailer fields are handed over as received: the sink must not merge
// framing or routing fields (Content-Length, Transfer-Encoding, ...) from them.
//
// Exceptions: the parser itself never throws. An exception from the arena
// (std::bad_alloc past its cap) or from a sink callback is caught before it
// reaches llhttp's C frames, and rethrown from feed() once llhttp has
// returned; the parser is then in kError. Nothing else is allocated: header
// fields live in the sink's arena.
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "apigw/arena.hpp"
#include "apigw/headers.hpp"
#include "http/chunk_end_check.hpp"
#include "http/field_buffer.hpp"
#include "http/head_scanner.hpp"

namespace apigw::http {

class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // Where header fields are copied; asked again at each response.
  virtual Arena& arena() = 0;
  // 1xx other than 101 (e.g. 100 Continue, 103 Early Hints).
  virtual void on_interim(int status, const HeaderMap& headers) = 0;
  // The final head (also for 101 and a 2xx answer to CONNECT, before kUpgraded).
  virtual void on_head(int status, uint8_t version_minor, HeaderMap& headers) = 0;
  virtual void on_body(std::string_view chunk) = 0;  // de-chunked body bytes
  virtual void on_trailers(HeaderMap& trailers) = 0;  // chunked bodies with trailer fields only
  virtual void on_complete() = 0;
};

struct ResponseLimits {
  uint32_t max_header_bytes = 65536;  // per head, and per trailer section
  uint32_t max_headers = 200;         // fields per head, and per trailer section
};

class ResponseParser {
 public:
  enum class State : uint8_t {
    kNeedMore,  // all bytes consumed, the response is not complete
    kComplete,  // a response ended; reset_for_next() before feeding the next
    kUpgraded,  // 101 (or 2xx to CONNECT): bytes from the returned count on belong to the tunnel
    kError,     // the origin's stream is not trustworthy: error() says why; close it
  };

  // An origin may send this many 1xx responses before the final one.
  static constexpr uint32_t kMaxInterim = 32;

  explicit ResponseParser(ResponseSink& sink, ResponseLimits limits = {});
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  // The method of the request this response answers (HEAD: no body; CONNECT:
  // a 2xx opens a tunnel). Stays in effect until the next expect().
  void expect(std::string_view request_method) noexcept;

  // Parses from `data`; returns how many bytes were consumed. After kComplete
  // or kUpgraded the rest is not consumed. See the top of the file for throws.
  size_t feed(const char* data, size_t len, State* state);

  // The origin closed. Completes a close-delimited body (kComplete); before
  // any response byte or mid-message it is kError.
  State on_eof();

  // Ready for the next response. After a kComplete with keep_alive() this is
  // the same connection; in any other case it starts over as for a new one.
  void reset_for_next() noexcept;

  std::string_view error() const noexcept { return error_; }
  // May the connection carry another request after this response? False
  // until the final head is parsed, and after errors and upgrades.
  bool keep_alive() const noexcept { return keep_alive_; }

 private:
  enum class Phase : uint8_t { kIdle, kHead, kBody, kDone, kUpgraded, kError };
  enum class Pause : uint8_t { kNone, kChunkHeader, kInterim, kComplete, kUpgrade };


  static int on_message_begin_cb(llhttp_t* p);
  static int on_status_cb(llhttp_t* p, const char* at, size_t len);
  static int on_header_field_cb(llhttp_t* p, const char* at, size_t len);
  static int on_header_value_cb(llhttp_t* p, const char* at, size_t len);
  static int on_header_value_complete_cb(llhttp_t* p);
  static int on_headers_complete_cb(llhttp_t* p);
  static int on_body_cb(llhttp_t* p, const char* at, size_t len);
  static int on_chunk_header_cb(llhttp_t* p);
  static int on_message_complete_cb(llhttp_t* p);
  template <class F>
  static int guarded(llhttp_t* p, F&& f) noexcept;

  int fail(std::string_view reason) noexcept;
  void restart_message() noexcept;
  void note_start_line(const char* at, size_t len) noexcept;
  int add_field();
  int head_complete();

  llhttp_t parser_;
  HeadScanner scanner_;
  ResponseSink* sink_;
  ResponseLimits limits_;

  bool head_request_ = false;
  bool connect_request_ = false;

  Phase phase_ = Phase::kIdle;
  Pause pause_ = Pause::kNone;   // why llhttp last paused
  Pause at_end_ = Pause::kNone;  // what the end of this message means (set with its head)
  bool in_head_ = true;        // bytes go through the scanner (head or trailers)
  bool in_trailers_ = false;
  bool close_delimited_ = false;
  bool keep_alive_ = false;
  uint32_t interim_count_ = 0;
  uint32_t field_count_ = 0;

  // The first 13 bytes of the status line: "HTTP/1.1 200 " or "HTTP/1.1 200\r".
  char start_line_[13] = {};
  uint8_t start_len_ = 0;

  HeaderMap* headers_ = nullptr;   // in the sink's arena
  HeaderMap* trailers_ = nullptr;  // in the sink's arena, made at the first trailer field
  FieldBuffer field_, value_;
  bool field_done_ = false;

  // llhttp 8.1 skips the two bytes after chunk data without looking at them;
  // they must be CRLF, so we check them ourselves (as RequestParser does).
  ChunkEndCheck chunk_end_;
  const char* exec_end_ = nullptr;  // end of the input given to llhttp

  std::string_view error_;
  std::exception_ptr pending_;  // thrown inside a callback, rethrown by feed()
};

}  // namespace apigw::http
