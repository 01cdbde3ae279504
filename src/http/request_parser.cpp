#include "http/request_parser.hpp"

#include <array>
#include <cstring>

namespace apigw::http {
namespace {

const llhttp_settings_t& settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t x;
    llhttp_settings_init(&x);
    return x;
  }();
  return s;
}

RequestParser* self(llhttp_t* p) { return static_cast<RequestParser*>(p->data); }

// RFC 9110 token characters, as a table: checked for every header name byte.
constexpr auto kTchar = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 32] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool is_tchar(unsigned char c) { return kTchar[c]; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

RequestParser::RequestParser(const Limits& limits, RequestSink& sink)
    : scanner_(limits.max_header_bytes), sink_(&sink), limits_(&limits) {
  static const llhttp_settings_t callbacks = [] {
    llhttp_settings_t x = settings();
    x.on_message_begin = on_message_begin_cb;
    x.on_url = on_url_cb;
    x.on_header_field = on_header_field_cb;
    x.on_header_value = on_header_value_cb;
    x.on_header_value_complete = on_header_value_complete_cb;
    x.on_headers_complete = on_headers_complete_cb;
    x.on_body = on_body_cb;
    x.on_chunk_header = on_chunk_header_cb;
    x.on_message_complete = on_message_complete_cb;
    return x;
  }();
  llhttp_init(&parser_, HTTP_REQUEST, &callbacks);
  parser_.data = this;
}

void RequestParser::set_limits(const Limits& limits) noexcept {
  limits_ = &limits;
  scanner_.set_max(limits.max_header_bytes);
}

int RequestParser::fail(int status, std::string_view reason) {
  if (error_status_ == 0) {
    error_status_ = status;
    error_reason_ = reason;
  }
  return -1;
}

int RequestParser::on_message_begin_cb(llhttp_t* p) {
  RequestParser* s = self(p);
  s->request_ = &s->sink_->on_message_begin();
  s->in_message_ = true;
  s->url_.clear();
  s->field_.clear();
  s->value_.clear();
  s->field_done_ = false;
  s->header_count_ = 0;
  s->body_bytes_ = 0;
  return 0;
}

int RequestParser::on_url_cb(llhttp_t* p, const char* at, size_t len) {
  RequestParser* s = self(p);
  if (s->url_.size + len > s->limits_->max_uri_bytes) return s->fail(414, "request target too long");
  s->url_.append(s->sink_->arena(), at, len);
  return 0;
}

int RequestParser::on_header_field_cb(llhttp_t* p, const char* at, size_t len) {
  RequestParser* s = self(p);
  if (s->field_done_) {
    s->field_.clear();
    s->value_.clear();
    s->field_done_ = false;
  }
  s->field_.append(s->sink_->arena(), at, len);
  return 0;
}

int RequestParser::on_header_value_cb(llhttp_t* p, const char* at, size_t len) {
  RequestParser* s = self(p);
  s->field_done_ = true;
  s->value_.append(s->sink_->arena(), at, len);
  return 0;
}

int RequestParser::on_header_value_complete_cb(llhttp_t* p) {
  RequestParser* s = self(p);
  if (++s->header_count_ > s->limits_->max_headers) return s->fail(431, "too many header fields");
  std::string_view field = s->field_.view();
  if (field.empty()) return s->fail(400, "empty header field name");
  for (char c : field)
    if (!is_tchar(static_cast<unsigned char>(c))) return s->fail(400, "invalid header field name");
  for (char c : s->value_.view())
    if (c == '\r' || c == '\n') return s->fail(400, "invalid header field value");
  std::string_view value = trim(s->value_.view());
  if (iequals(field, "host")) {
    if (s->request_->headers.has("host")) return s->fail(400, "more than one Host header");
  } else if (iequals(field, "content-length") && value.empty()) {
    return s->fail(400, "empty Content-Length");
  }
  s->request_->headers.add_view(field, value);
  s->field_.clear();
  s->value_.clear();
  s->field_done_ = false;
  return 0;
}

int RequestParser::finish_head() {
  Request& r = *request_;
  if (parser_.http_major != 1) {
    return parser_.http_major == 0 ? fail(400, "HTTP/0.9 is not supported")
                                   : fail(505, "HTTP version not supported");
  }
  r.version_minor = static_cast<uint8_t>(parser_.http_minor);
  r.method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
  std::string_view url = url_.view();
  r.target = url;
  size_t q = url.find('?');
  r.path = url.substr(0, q);
  r.query = q == std::string_view::npos ? std::string_view() : url.substr(q + 1);
  if (r.path.empty() || (r.path.front() != '/' && r.method != std::string_view("OPTIONS") &&
                         r.method != std::string_view("CONNECT")))
    return fail(400, "request target must be an absolute path");

  const Header* host = r.headers.find("host");
  if (!host && r.version_minor >= 1) return fail(400, "missing Host header");
  if (host) {
    std::string_view h = host->value;
    // Strip the port (keeping IPv6 brackets intact) and lower-case the name.
    size_t colon = h.rfind(':');
    if (colon != std::string_view::npos && h.find(']', colon) == std::string_view::npos) h = h.substr(0, colon);
    char* lower = static_cast<char*>(sink_->arena().allocate(h.size() + 1, 1));
    for (size_t i = 0; i < h.size(); ++i) {
      char c = h[i];
      lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    r.host = {lower, h.size()};
  }
  if (parser_.flags & F_CONTENT_LENGTH) {
    if (parser_.content_length > limits_->max_body_bytes) return fail(413, "request body too large");
    r.body.reserve(parser_.content_length);  // one allocation in the arena, not a doubling series
  }
  return 0;
}

int RequestParser::on_headers_complete_cb(llhttp_t* p) {
  RequestParser* s = self(p);
  if (int rc = s->finish_head(); rc != 0) return rc;
  s->sink_->on_head_complete();
  return 0;
}

int RequestParser::on_chunk_header_cb(llhttp_t* p) {
  self(p)->chunk_end_.chunk_started(p->content_length);
  return 0;
}

int RequestParser::on_body_cb(llhttp_t* p, const char* at, size_t len) {
  RequestParser* s = self(p);
  s->body_bytes_ += len;
  // The request's own limit is a route's (size_limit), set once its head was seen.
  if (s->body_bytes_ > s->limits_->max_body_bytes || s->body_bytes_ > s->request_->max_body_bytes)
    return s->fail(413, "request body too large");
  if ((p->flags & F_CHUNKED) && !s->chunk_end_.data(len, at + len, s->exec_end_))
    return s->fail(400, "chunk data not followed by CRLF");
  s->sink_->on_body({at, len});
  return 0;
}

int RequestParser::on_message_complete_cb(llhttp_t* p) {
  RequestParser* s = self(p);
  s->in_message_ = false;
  s->sink_->on_message_complete();
  return HPE_PAUSED;
}

bool RequestParser::keep_alive() const noexcept {
  return llhttp_should_keep_alive(&parser_) != 0 && !upgrade();
}

bool RequestParser::has_body() const noexcept {
  return (parser_.flags & (F_CHUNKED | F_CONTENT_LENGTH)) != 0 &&
         ((parser_.flags & F_CHUNKED) || parser_.content_length > 0);
}

void RequestParser::resume() {
  llhttp_resume(&parser_);
  in_head_ = true;
  scanner_.reset();
}

size_t RequestParser::feed(const char* data, size_t len, State* state) {
  size_t off = 0;
  while (off < len) {
    size_t chunk = len - off;
    bool head_end = false;
    if (in_head_) {
      HeadScanner::Result r = scanner_.scan(data + off, len - off, &chunk);
      if (r == HeadScanner::Result::kError) {
        fail(scanner_.error_status(), scanner_.error_reason());
        *state = State::kError;
        return off;
      }
      head_end = r == HeadScanner::Result::kHeadEnd;
      head_bytes_ = scanner_.head_bytes();
    }
    exec_end_ = data + off + chunk;
    if (!chunk_end_.check(data + off, exec_end_)) {
      fail(400, "chunk data not followed by CRLF");
      *state = State::kError;
      return off;
    }
    llhttp_errno_t err = llhttp_execute(&parser_, data + off, chunk);
    if (error_status_ != 0) {
      *state = State::kError;
      return off;
    }
    if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
      const char* pos = llhttp_get_error_pos(&parser_);
      off = pos ? static_cast<size_t>(pos - data) : off + chunk;
      *state = State::kPaused;
      return off;
    }
    if (err != HPE_OK) {
      // llhttp's own grammar checks: CL with TE, duplicate or bad
      // Content-Length, bad chunk sizes, invalid tokens.
      fail(400, llhttp_errno_name(err));
      *state = State::kError;
      return off;
    }
    off += chunk;
    if (head_end) in_head_ = false;
  }
  *state = State::kNeedMore;
  return off;
}

}  // namespace apigw::http
