#include "telemetry/tracing.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include "core/json_text.hpp"

namespace apigw::telemetry {
namespace {

// "http://host:port/path"; https needs TLS on the client side, not in this build.
Result<std::pair<std::string, std::pair<uint16_t, std::string>>> parse_endpoint(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.compare(0, kScheme.size(), kScheme) != 0)
    return Status(Code::kInvalidArgument, "otlp_endpoint must be an http:// URL, got \"" + url + "\"");
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string path = slash == std::string_view::npos ? "/v1/traces" : std::string(rest.substr(slash));
  size_t colon = authority.rfind(':');
  uint16_t port = 80;
  std::string_view host = authority;
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    host = authority.substr(0, colon);
    std::string_view p = authority.substr(colon + 1);
    unsigned v = 0;
    auto r = std::from_chars(p.data(), p.data() + p.size(), v);
    if (r.ec != std::errc() || r.ptr != p.data() + p.size() || v == 0 || v > 65535)
      return Status(Code::kInvalidArgument, "otlp_endpoint has a bad port: \"" + url + "\"");
    port = static_cast<uint16_t>(v);
  }
  if (host.empty()) return Status(Code::kInvalidArgument, "otlp_endpoint has no host: \"" + url + "\"");
  return std::make_pair(std::string(host), std::make_pair(port, path));
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return (p.revents & (events | POLLHUP)) != 0;
    if (n < 0 && errno != EINTR) return false;
  }
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

void append_id(std::string& out, const uint8_t* bytes, size_t n) {
  char hex[32];
  append_hex(hex, bytes, n);
  out.push_back('"');
  out.append(hex, 2 * n);
  out.push_back('"');
}

void string_attribute(std::string& out, bool& first, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  out.append(first ? "" : ",");
  first = false;
  out.append("{\"key\":\"").append(key).append("\",\"value\":{\"stringValue\":");
  append_json_string(out, value);
  out.append("}}");
}

}  // namespace

Result<std::unique_ptr<TraceExporter>> TraceExporter::open(const TracingOptions& options) {
  auto parsed = parse_endpoint(options.otlp_endpoint);
  if (!parsed) return parsed.status();
  auto& [host, port_path] = parsed.value();
  Endpoint e{host, port_path.first, port_path.second};
  return std::unique_ptr<TraceExporter>(new TraceExporter(options, std::move(e)));
}

TraceExporter::TraceExporter(TracingOptions options, Endpoint endpoint)
    : options_(std::move(options)), endpoint_(std::move(endpoint)) {
  thread_ = std::thread([this] { run(); });
}

TraceExporter::~TraceExporter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

std::string TraceExporter::hand_off(std::string&& buffer, uint64_t spans) noexcept {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queued_spans_ + spans > options_.max_queued_spans) {
      dropped_.fetch_add(spans, std::memory_order_relaxed);
    } else {
      try {
        queue_.push_back({std::move(buffer), spans});
        queued_spans_ += spans;
      } catch (...) {
        dropped_.fetch_add(spans, std::memory_order_relaxed);
      }
    }
  }
  wake_.notify_one();
  buffer.clear();
  return std::move(buffer);
}

void TraceExporter::run() {
  const auto interval = std::chrono::milliseconds(options_.flush_interval_ms);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // A batch leaves when it is full, when the interval passed, or at the end.
    wake_.wait_for(lock, interval, [this] { return stopping_ || queued_spans_ >= options_.batch_spans; });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    std::string spans;
    uint64_t count = 0;
    while (!queue_.empty() && count < options_.batch_spans) {
      Batch& b = queue_.front();
      if (!spans.empty()) spans.push_back(',');
      spans += b.spans;
      count += b.count;
      queued_spans_ -= b.count;
      queue_.pop_front();
    }
    lock.unlock();
    std::string body = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[";
    bool first = true;
    string_attribute(body, first, "service.name", options_.service_name);
    body += "]},\"scopeSpans\":[{\"scope\":{\"name\":\"apigw\"},\"spans\":[" + spans + "]}]}]}";
    (post(body) ? exported_ : dropped_).fetch_add(count, std::memory_order_relaxed);
    lock.lock();
  }
}

bool TraceExporter::post(const std::string& body) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.export_timeout_ms);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(endpoint_.port);
  if (::getaddrinfo(endpoint_.host.c_str(), port.c_str(), &hints, &res) != 0 || !res) return false;
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  bool ok = fd >= 0;
  if (ok && ::connect(fd, res->ai_addr, res->ai_addrlen) != 0)
    ok = errno == EINPROGRESS && wait_for(fd, POLLOUT, deadline);
  ::freeaddrinfo(res);
  if (ok) {
    int err = 0;
    socklen_t len = sizeof err;
    ok = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  }
  std::string request = "POST " + endpoint_.path + " HTTP/1.1\r\nhost: " + endpoint_.host + ":" + port +
                        "\r\ncontent-type: application/json\r\ncontent-length: " + std::to_string(body.size()) +
                        "\r\nconnection: close\r\n\r\n" + body;
  for (size_t off = 0; ok && off < request.size();) {
    ssize_t n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n > 0) off += static_cast<size_t>(n);
    else ok = n < 0 && (errno == EAGAIN || errno == EINTR) && wait_for(fd, POLLOUT, deadline);
  }
  // The collector's answer: a 2xx status line means the batch was taken.
  char status[16] = {};
  size_t got = 0;
  while (ok && got < 12) {
    ssize_t n = ::recv(fd, status + got, 12 - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
    else ok = n < 0 && (errno == EAGAIN || errno == EINTR) && wait_for(fd, POLLIN, deadline);
  }
  if (fd >= 0) ::close(fd);
  return ok && std::memcmp(status, "HTTP/1.", 7) == 0 && status[9] == '2';
}

void TraceBuffer::append_span(const ExchangeTrace& trace, const SpanRecord& s, const SpanId* parent,
                              int64_t wall_offset_ns, std::string_view method, std::string_view route) {
  if (spans_ > 0 || !buffer_.empty()) buffer_.push_back(',');
  buffer_ += "{\"traceId\":";
  append_id(buffer_, trace.trace_id.data(), trace.trace_id.size());
  buffer_ += ",\"spanId\":";
  append_id(buffer_, s.id.data(), s.id.size());
  if (parent) {
    buffer_ += ",\"parentSpanId\":";
    append_id(buffer_, parent->data(), parent->size());
  }
  buffer_ += ",\"name\":";
  append_json_string(buffer_, s.name);
  buffer_ += ",\"kind\":";
  append_uint(buffer_, static_cast<uint64_t>(s.kind));
  buffer_ += ",\"startTimeUnixNano\":\"";
  append_uint(buffer_, static_cast<uint64_t>(s.start_ns + wall_offset_ns));
  buffer_ += "\",\"endTimeUnixNano\":\"";
  append_uint(buffer_, static_cast<uint64_t>(s.end_ns + wall_offset_ns));
  buffer_ += "\",\"attributes\":[";
  bool first = true;
  if (s.kind == SpanKind::kServer) {
    string_attribute(buffer_, first, "http.request.method", method);
    string_attribute(buffer_, first, "http.route", route);
  } else if (s.kind == SpanKind::kClient) {
    string_attribute(buffer_, first, "server.address", s.detail);
  } else {
    string_attribute(buffer_, first, "apigw.phase", s.detail);
  }
  if (s.status > 0) {
    buffer_ += first ? "" : ",";
    buffer_ += "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"";
    append_uint(buffer_, static_cast<uint64_t>(s.status));
    buffer_ += "\"}}";
  }
  buffer_ += "]";
  if (s.status >= 500 || (s.kind == SpanKind::kClient && s.status == 0)) buffer_ += ",\"status\":{\"code\":2}";
  buffer_ += "}";
  ++spans_;
}

void TraceBuffer::add_exchange(const ExchangeTrace& trace, const SpanRecord& request_span, std::string_view method,
                               std::string_view route, int64_t wall_offset_ns) {
  append_span(trace, request_span, trace.has_parent ? &trace.parent_id : nullptr, wall_offset_ns, method, route);
  if (trace.spans)
    for (const SpanRecord& s : *trace.spans) append_span(trace, s, &s.parent, wall_offset_ns, method, route);
}

void TraceBuffer::flush() noexcept {
  if (spans_ == 0) return;
  buffer_ = exporter_.hand_off(std::move(buffer_), spans_);
  spans_ = 0;
}

}  // namespace apigw::telemetry
