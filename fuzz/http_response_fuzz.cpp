// Fuzzes the client-side HTTP/1.1 response parser: arbitrary origin bytes,
// split into reads at fuzzer-chosen sizes, with resets between responses and
// an EOF at the end. Besides crashes and leaks it traps on broken event order
// and on a Content-Length body delivered with the wrong size.
//
// First byte: bits 0-5 the read size - 1, bit 6 the request was HEAD,
// bit 7 the request was CONNECT.
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string_view>

#include "apigw/arena.hpp"
#include "apigw/headers.hpp"
#include "http/response_parser.hpp"

namespace {

using apigw::http::ResponseParser;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

class CheckingSink : public apigw::http::ResponseSink {
 public:
  CheckingSink() : arena_(64 * 1024) {}

  apigw::Arena& arena() override { return arena_; }
  void on_interim(int status, const apigw::HeaderMap&) override {
    require(!head_ && status >= 100 && status < 200 && status != 101);
  }
  void on_head(int status, uint8_t minor, apigw::HeaderMap& headers) override {
    require(!head_ && status >= 100 && status <= 599 && minor <= 1);
    head_ = true;
    body_expected_ = !head_request && status != 204 && status != 304 && status >= 200;
    has_length_ = headers.has("content-length");
    length_ = 0;  // llhttp has checked the digits and the range
    for (char c : headers.get("content-length")) length_ = length_ * 10 + static_cast<uint64_t>(c - '0');
  }
  void on_body(std::string_view chunk) override {
    require(head_ && !done_ && !chunk.empty() && body_expected_);
    body_ += chunk.size();
  }
  void on_trailers(apigw::HeaderMap& trailers) override { require(head_ && !done_ && !trailers.empty()); }
  void on_complete() override {
    require(head_ && !done_);
    if (body_expected_ && has_length_) require(body_ == length_);
    done_ = true;
  }

  // Between responses: the parser no longer points into the arena.
  void next() {
    arena_.reset();
    head_ = done_ = false;
    body_ = 0;
  }

  bool head_request = false;

 private:
  apigw::Arena arena_;
  bool head_ = false, done_ = false, body_expected_ = false, has_length_ = false;
  uint64_t length_ = 0;
  uint64_t body_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t split = (data[0] & 0x3f) + 1;
  const bool head = (data[0] & 0x40) != 0;
  const bool connect = !head && (data[0] & 0x80) != 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  CheckingSink sink;
  sink.head_request = head;
  apigw::http::ResponseLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_headers = 16;
  ResponseParser parser(sink, limits);
  parser.expect(head ? "HEAD" : connect ? "CONNECT" : "GET");

  ResponseParser::State state = ResponseParser::State::kNeedMore;
  try {
    size_t pos = 0;
    while (pos < bytes.size()) {
      size_t n = bytes.size() - pos < split ? bytes.size() - pos : split;
      size_t used = parser.feed(bytes.data() + pos, n, &state);
      require(used <= n);
      pos += used;
      if (state == ResponseParser::State::kNeedMore) {
        require(used == n);
      } else if (state == ResponseParser::State::kComplete) {
        parser.reset_for_next();
        sink.next();
      } else {
        break;  // an error, or the rest belongs to a tunnel
      }
    }
    if (state == ResponseParser::State::kNeedMore) {
      state = parser.on_eof();
      require(state != ResponseParser::State::kNeedMore);
    }
  } catch (const std::bad_alloc&) {
    // The arena's cap: the documented way out of feed().
  }
  if (state == ResponseParser::State::kError) require(!parser.error().empty() && !parser.keep_alive());
  return 0;
}
