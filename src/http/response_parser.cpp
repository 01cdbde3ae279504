#include "http/response_parser.hpp"

#include <cstring>
#include <utility>

namespace apigw::http {
namespace {

ResponseParser* self(llhttp_t* p) { return static_cast<ResponseParser*>(p->data); }

bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// HeadScanner words its reasons for requests; say the same about a response.
std::string_view response_reason(std::string_view scanner_reason) {
  static constexpr std::pair<std::string_view, std::string_view> kMap[] = {
      {"bare CR in request head", "bare CR in response head"},
      {"bare LF in request head", "bare LF in response head"},
      {"NUL byte in request head", "NUL byte in response head"},
      {"obsolete line folding in request head", "obsolete line folding in response head"},
      {"request line starts with whitespace", "status line starts with whitespace"},
      {"too many empty lines before the request line", "too many empty lines before the status line"},
      {"request header fields too large", "response head too large"},
  };
  for (const auto& [from, to] : kMap)
    if (scanner_reason == from) return to;
  return scanner_reason;
}

// A trailer section has no start line; this stands in for one so that the
// scanner's "empty line ends the head" rule applies from the first byte.
constexpr std::string_view kTrailerStartLine = "T\r\n";

}  // namespace

ResponseParser::ResponseParser(ResponseSink& sink, ResponseLimits limits)
    : scanner_(limits.max_header_bytes), sink_(&sink), limits_(limits) {
  static const llhttp_settings_t callbacks = [] {
    llhttp_settings_t x;
    llhttp_settings_init(&x);
    x.on_message_begin = on_message_begin_cb;
    x.on_status = on_status_cb;
    x.on_header_field = on_header_field_cb;
    x.on_header_value = on_header_value_cb;
    x.on_header_value_complete = on_header_value_complete_cb;
    x.on_headers_complete = on_headers_complete_cb;
    x.on_body = on_body_cb;
    x.on_chunk_header = on_chunk_header_cb;
    x.on_message_complete = on_message_complete_cb;
    return x;
  }();
  llhttp_init(&parser_, HTTP_RESPONSE, &callbacks);
  parser_.data = this;
}

void ResponseParser::expect(std::string_view request_method) noexcept {
  head_request_ = request_method == "HEAD";
  connect_request_ = request_method == "CONNECT";
}

int ResponseParser::fail(std::string_view reason) noexcept {
  if (phase_ != Phase::kError) {
    phase_ = Phase::kError;
    error_ = reason;
    keep_alive_ = false;
  }
  return -1;
}

// Callbacks run inside llhttp's C frames: no exception may unwind through them.
template <class F>
int ResponseParser::guarded(llhttp_t* p, F&& f) noexcept {
  ResponseParser* s = self(p);
  try {
    return f(*s);
  } catch (...) {
    s->pending_ = std::current_exception();
    return s->fail("exception from the arena or the sink while parsing the response");
  }
}

// A new message on the same connection after an interim response, or the
// first one: llhttp, the scanner and the per-message state start over.
void ResponseParser::restart_message() noexcept {
  llhttp_reset(&parser_);
  scanner_.reset();
  scanner_.set_max(limits_.max_header_bytes);
  pause_ = at_end_ = Pause::kNone;
  in_head_ = true;
  in_trailers_ = false;
  close_delimited_ = false;
  keep_alive_ = false;
  field_count_ = 0;
  start_len_ = 0;
  headers_ = trailers_ = nullptr;
  field_ = value_ = {};
  field_done_ = false;
  chunk_end_.reset();
}

void ResponseParser::reset_for_next() noexcept {
  restart_message();
  phase_ = Phase::kIdle;
  interim_count_ = 0;
  error_ = {};
  pending_ = nullptr;
}

// Fragments of one field may arrive in several reads and the read buffer is
// reused, so they are copied into the arena; capacity doubles so that a field
// fed byte by byte costs O(n) arena bytes, not O(n^2).

// Keeps the first bytes of the status line (leading empty lines skipped) for
// the shape check llhttp does not do: it takes "HTTP/1.1 0200" or "HTTP/1.1 20".
void ResponseParser::note_start_line(const char* at, size_t len) noexcept {
  for (size_t i = 0; i < len && start_len_ < sizeof start_line_; ++i) {
    if (start_len_ == 0 && (at[i] == '\r' || at[i] == '\n')) continue;
    start_line_[start_len_++] = at[i];
  }
}

int ResponseParser::on_message_begin_cb(llhttp_t* p) {
  return guarded(p, [](ResponseParser& s) {
    s.phase_ = Phase::kHead;
    Arena& arena = s.sink_->arena();
    s.headers_ = arena.make<HeaderMap>(arena);
    return 0;
  });
}

int ResponseParser::on_status_cb(llhttp_t* p, const char* at, size_t len) {
  // The reason phrase: HTAB, SP, VCHAR, obs-text. No other control bytes.
  for (size_t i = 0; i < len; ++i) {
    auto c = static_cast<unsigned char>(at[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return self(p)->fail("control byte in the reason phrase");
  }
  return 0;
}

int ResponseParser::on_header_field_cb(llhttp_t* p, const char* at, size_t len) {
  return guarded(p, [&](ResponseParser& s) {
    if (s.field_done_) {
      s.field_ = s.value_ = {};
      s.field_done_ = false;
    }
    s.field_.append(s.sink_->arena(), at, len);
    return 0;
  });
}

int ResponseParser::on_header_value_cb(llhttp_t* p, const char* at, size_t len) {
  return guarded(p, [&](ResponseParser& s) {
    s.field_done_ = true;
    s.value_.append(s.sink_->arena(), at, len);
    return 0;
  });
}

int ResponseParser::on_header_value_complete_cb(llhttp_t* p) {
  return guarded(p, [](ResponseParser& s) { return s.add_field(); });
}

// One complete field line, of the head or of the trailer section.
int ResponseParser::add_field() {
  if (++field_count_ > limits_.max_headers)
    return fail(in_trailers_ ? "too many trailer fields" : "too many header fields");
  std::string_view name = field_.view();
  if (name.empty()) return fail("empty header field name");
  for (char c : name)
    if (!is_tchar(static_cast<unsigned char>(c))) return fail("invalid header field name");
  for (char c : value_.view())
    if (c == '\r' || c == '\n') return fail("invalid header field value");
  std::string_view value = trim(value_.view());
  if (!in_trailers_ && iequals(name, "content-length") && value.empty()) return fail("empty Content-Length");
  HeaderMap* to = headers_;
  if (in_trailers_) {
    if (!trailers_) {
      Arena& arena = sink_->arena();
      trailers_ = arena.make<HeaderMap>(arena);
    }
    to = trailers_;
  }
  to->add_view(name, value);
  field_ = value_ = {};
  field_done_ = false;
  return 0;
}

// Return values for llhttp: 0 body follows, 1 no body, 2 no body and the
// connection becomes a tunnel.
int ResponseParser::head_complete() {
  const char* l = start_line_;
  bool shape = start_len_ == sizeof start_line_ && std::memcmp(l, "HTTP/1.", 7) == 0 &&
               (l[7] == '0' || l[7] == '1') && l[8] == ' ' && l[9] >= '1' && l[9] <= '5' &&
               is_digit(l[10]) && is_digit(l[11]) && (l[12] == ' ' || l[12] == '\r');
  if (!shape || parser_.http_major != 1) return fail("invalid status line");
  const int status = parser_.status_code;
  const auto minor = static_cast<uint8_t>(parser_.http_minor);

  if (status / 100 == 1 && status != 101) {
    // Interim: no body, and the final response follows on the same message stream.
    if (++interim_count_ > kMaxInterim) return fail("too many interim (1xx) responses");
    at_end_ = Pause::kInterim;
    sink_->on_interim(status, *headers_);
    return 1;
  }

  const bool tunnel = status == 101 || (connect_request_ && status / 100 == 2);
  const bool no_body = tunnel || head_request_ || status == 204 || status == 304;
  const bool chunked = (parser_.flags & F_CHUNKED) != 0;
  if (!no_body && (parser_.flags & F_TRANSFER_ENCODING)) {
    // RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty
    // framing. Any coding but plain "chunked" would hand the client a body
    // still encoded under a header we pass on; refuse it like nginx does.
    if (minor == 0) return fail("Transfer-Encoding in an HTTP/1.0 response");
    if (!chunked || headers_->count("transfer-encoding") != 1 ||
        !iequals(headers_->get("transfer-encoding"), "chunked"))
      return fail("unsupported Transfer-Encoding");
  }
  if (status == 101 && !headers_->has("upgrade")) return fail("101 response without Upgrade");

  close_delimited_ = !no_body && !chunked && !(parser_.flags & F_CONTENT_LENGTH);
  bool persistent = minor >= 1 ? !(parser_.flags & F_CONNECTION_CLOSE)
                               : (parser_.flags & F_CONNECTION_KEEP_ALIVE) != 0;
  keep_alive_ = persistent && !close_delimited_ && !tunnel;
  at_end_ = tunnel ? Pause::kUpgrade : Pause::kComplete;
  sink_->on_head(status, minor, *headers_);
  phase_ = Phase::kBody;
  if (tunnel) return 2;
  return no_body ? 1 : 0;
}

int ResponseParser::on_headers_complete_cb(llhttp_t* p) {
  return guarded(p, [](ResponseParser& s) { return s.head_complete(); });
}

int ResponseParser::on_chunk_header_cb(llhttp_t* p) {
  // Pause at every chunk-size line: llhttp takes any byte after its CR, and
  // feed() can only see which one it was from the pause position.
  ResponseParser* s = self(p);
  s->chunk_end_.chunk_started(p->content_length);
  s->pause_ = Pause::kChunkHeader;
  return HPE_PAUSED;
}

int ResponseParser::on_body_cb(llhttp_t* p, const char* at, size_t len) {
  return guarded(p, [&](ResponseParser& s) {
    if ((p->flags & F_CHUNKED) && !s.chunk_end_.data(len, at + len, s.exec_end_))
      return s.fail("chunk data not followed by CRLF");
    s.sink_->on_body({at, len});
    return 0;
  });
}

int ResponseParser::on_message_complete_cb(llhttp_t* p) {
  return guarded(p, [](ResponseParser& s) {
    // An interim response, a tunnel's head, or the final response ended.
    s.pause_ = s.at_end_;
    if (s.at_end_ == Pause::kComplete) {
      if (s.trailers_ && !s.trailers_->empty()) s.sink_->on_trailers(*s.trailers_);
      s.sink_->on_complete();
      s.phase_ = Phase::kDone;
    } else if (s.at_end_ == Pause::kUpgrade) {
      s.phase_ = Phase::kUpgraded;
    }
    return static_cast<int>(HPE_PAUSED);
  });
}

size_t ResponseParser::feed(const char* data, size_t len, State* state) {
  switch (phase_) {
    case Phase::kDone: *state = State::kComplete; return 0;
    case Phase::kUpgraded: *state = State::kUpgraded; return 0;
    case Phase::kError: *state = State::kError; return 0;
    default: break;
  }
  auto error_at = [&](size_t off) {
    *state = State::kError;
    if (pending_) std::rethrow_exception(std::exchange(pending_, nullptr));
    return off;
  };
  size_t off = 0;
  while (off < len) {
    size_t chunk = len - off;
    bool head_end = false;
    if (in_head_) {
      HeadScanner::Result r = scanner_.scan(data + off, len - off, &chunk);
      if (r == HeadScanner::Result::kError) {
        fail(response_reason(scanner_.error_reason()));
        return error_at(off);
      }
      head_end = r == HeadScanner::Result::kHeadEnd;
      if (!in_trailers_) note_start_line(data + off, chunk);
    }
    exec_end_ = data + off + chunk;
    if (!chunk_end_.check(data + off, exec_end_)) {
      fail("chunk data not followed by CRLF");
      return error_at(off);
    }
    llhttp_errno_t err = llhttp_execute(&parser_, data + off, chunk);
    if (phase_ == Phase::kError) return error_at(off);
    if (err == HPE_PAUSED) {
      size_t at = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data);
      Pause why = std::exchange(pause_, Pause::kNone);
      switch (why) {
        case Pause::kChunkHeader:
          // The byte llhttp consumed after the chunk-size line's CR.
          if (data[at - 1] != '\n') {
            fail("invalid chunk size line");
            return error_at(at);
          }
          if (chunk_end_.left() == 0) {
            // The last chunk: a trailer section follows, scanned like a head.
            in_head_ = in_trailers_ = true;
            field_count_ = 0;
            scanner_.reset();
            size_t ignored = 0;
            scanner_.scan(kTrailerStartLine.data(), kTrailerStartLine.size(), &ignored);
          }
          llhttp_resume(&parser_);
          off = at;
          continue;
        case Pause::kInterim:
          restart_message();
          phase_ = Phase::kHead;  // the final response is still owed
          off = at;
          continue;
        case Pause::kComplete:
          *state = State::kComplete;
          return at;
        case Pause::kUpgrade:
          *state = State::kUpgraded;
          return at;
        case Pause::kNone:
          break;
      }
      fail("internal error: unexpected pause");
      return error_at(at);
    }
    if (err != HPE_OK) {
      // llhttp's own checks: CL with TE, duplicate or bad Content-Length,
      // bad chunk sizes, invalid tokens and versions.
      const char* why = llhttp_get_error_reason(&parser_);
      fail(why ? why : llhttp_errno_name(err));
      return error_at(off);
    }
    off += chunk;
    if (head_end) in_head_ = false;
  }
  *state = State::kNeedMore;
  return off;
}

ResponseParser::State ResponseParser::on_eof() {
  switch (phase_) {
    case Phase::kDone: return State::kComplete;
    case Phase::kUpgraded: return State::kUpgraded;
    case Phase::kError: return State::kError;
    case Phase::kIdle:
      fail("upstream closed before sending a response");
      return State::kError;
    case Phase::kBody:
      if (close_delimited_) {
        phase_ = Phase::kDone;
        sink_->on_complete();
        return State::kComplete;
      }
      [[fallthrough]];
    case Phase::kHead:
      break;
  }
  fail("upstream closed before the response was complete");
  return State::kError;
}

}  // namespace apigw::http
