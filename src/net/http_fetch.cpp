#include "net/http_fetch.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>

#include "apigw/arena.hpp"
#include "http/response_parser.hpp"

namespace apigw::net {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for `events` on fd until the deadline, in slices so that a cancel
// is seen soon; false on timeout, cancel or error.
bool wait_for(int fd, short events, Clock::time_point deadline, const std::atomic<bool>* cancel) {
  constexpr int kSliceMs = 50;
  for (;;) {
    if (cancel && cancel->load(std::memory_order_relaxed)) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), kSliceMs)));
    if (n > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0;
    if (n < 0 && errno != EINTR) return false;
  }
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Collects the one answer; the body is capped.
class AnswerSink final : public http::ResponseSink {
 public:
  explicit AnswerSink(size_t max_body) : arena_(256 * 1024), max_body_(max_body) {}
  Arena& arena() override { return arena_; }
  void on_interim(int, const HeaderMap&) override {}
  void on_head(int status, uint8_t, HeaderMap&) override { answer.status = status; }
  void on_body(std::string_view chunk) override {
    if (answer.body.size() + chunk.size() > max_body_) too_large = true;
    else answer.body.append(chunk);
  }
  void on_trailers(HeaderMap&) override {}
  void on_complete() override { complete = true; }

  FetchAnswer answer;
  bool complete = false;
  bool too_large = false;

 private:
  Arena arena_;
  size_t max_body_;
};

Status failed(const HttpUrl& url, std::string_view why) {
  return Status(Code::kUnavailable, "http://" + url.host + ":" + std::to_string(url.port) + url.path + ": " +
                                        std::string(why));
}

}  // namespace

Result<HttpUrl> parse_http_url(std::string_view url, std::string_view option, std::string_view default_path) {
  constexpr std::string_view kScheme = "http://";
  const std::string shown = "\"" + std::string(url) + "\"";
  if (url.substr(0, kScheme.size()) != kScheme)
    return Status(Code::kInvalidArgument, std::string(option) + " must be an http:// URL, got " + shown);
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  out.path = slash == std::string_view::npos ? std::string(default_path) : std::string(rest.substr(slash));
  size_t colon = authority.rfind(':');
  std::string_view host = authority;
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    host = authority.substr(0, colon);
    std::string_view p = authority.substr(colon + 1);
    unsigned v = 0;
    auto r = std::from_chars(p.data(), p.data() + p.size(), v);
    if (r.ec != std::errc() || r.ptr != p.data() + p.size() || v == 0 || v > 65535)
      return Status(Code::kInvalidArgument, std::string(option) + " has a bad port: " + shown);
    out.port = static_cast<uint16_t>(v);
  }
  if (host.empty()) return Status(Code::kInvalidArgument, std::string(option) + " has no host: " + shown);
  // Bytes that would end the request line or a header early.
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return Status(Code::kInvalidArgument, std::string(option) + " holds spaces or control characters");
  out.host = std::string(host);
  return out;
}

Result<FetchAnswer> http_fetch(const HttpUrl& url, const FetchRequest& request) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(request.timeout_ms);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(url.port);
  if (::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &res) != 0 || !res)
    return failed(url, "cannot resolve the host");
  Socket s(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  bool ok = s.fd() >= 0;
  if (ok && ::connect(s.fd(), res->ai_addr, res->ai_addrlen) != 0)
    ok = errno == EINPROGRESS && wait_for(s.fd(), POLLOUT, deadline, request.cancel);
  ::freeaddrinfo(res);
  if (ok) {
    int err = 0;
    socklen_t len = sizeof err;
    ok = ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  }
  if (!ok) return failed(url, "cannot connect");

  std::string head = std::string(request.method) + " " + url.path + " HTTP/1.1\r\nhost: " + url.host + ":" + port +
                     "\r\nconnection: close\r\n";
  if (!request.content_type.empty())
    head += "content-type: " + std::string(request.content_type) + "\r\ncontent-length: " +
            std::to_string(request.body.size()) + "\r\n";
  head += "\r\n";
  head.append(request.body);
  for (size_t off = 0; off < head.size();) {
    ssize_t n = ::send(s.fd(), head.data() + off, head.size() - off, MSG_NOSIGNAL);
    if (n > 0) off += static_cast<size_t>(n);
    else if (!(n < 0 && (errno == EAGAIN || errno == EINTR) && wait_for(s.fd(), POLLOUT, deadline, request.cancel)))
      return failed(url, "cannot send the request");
  }

  AnswerSink sink(request.max_body_bytes);
  http::ResponseParser parser(sink);
  parser.expect(request.method);
  http::ResponseParser::State state = http::ResponseParser::State::kNeedMore;
  char buf[16384];
  while (state == http::ResponseParser::State::kNeedMore && !sink.too_large) {
    ssize_t n = ::recv(s.fd(), buf, sizeof buf, 0);
    if (n > 0) {
      try {
        size_t used = 0;
        while (used < static_cast<size_t>(n) && state == http::ResponseParser::State::kNeedMore)
          used += parser.feed(buf + used, static_cast<size_t>(n) - used, &state);
      } catch (...) {
        return failed(url, "the answer is too large");  // the sink's arena cap
      }
    } else if (n == 0) {
      state = parser.on_eof();
    } else if (!((errno == EAGAIN || errno == EINTR) && wait_for(s.fd(), POLLIN, deadline, request.cancel))) {
      return failed(url, "no complete answer in time");
    }
  }
  if (sink.too_large)
    return failed(url, "the answer's body is larger than " + std::to_string(request.max_body_bytes) + " bytes");
  if (state != http::ResponseParser::State::kComplete || !sink.complete)
    return failed(url, "malformed answer: " + std::string(parser.error()));
  return std::move(sink.answer);
}

}  // namespace apigw::net
