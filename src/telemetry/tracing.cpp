#include "telemetry/tracing.hpp"

#include <charconv>
#include <chrono>

#include "core/background_thread.hpp"
#include "core/json_text.hpp"

namespace apigw::telemetry {
namespace {

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
  auto endpoint = net::parse_http_url(options.otlp_endpoint, "otlp_endpoint", "/v1/traces");
  if (!endpoint) return endpoint.status();
  return std::unique_ptr<TraceExporter>(new TraceExporter(options, std::move(endpoint.value())));
}

TraceExporter::TraceExporter(TracingOptions options, net::HttpUrl endpoint)
    : options_(std::move(options)), endpoint_(std::move(endpoint)) {
  thread_ = start_background_thread([this] { run(); });
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
    // Only a full batch wakes the exporter (a thread switch); a partial one
    // leaves on the flush interval.
    if (queued_spans_ < options_.batch_spans) {
      buffer.clear();
      return std::move(buffer);
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
  net::FetchRequest request;
  request.method = "POST";
  request.content_type = "application/json";
  request.body = body;
  request.timeout_ms = static_cast<int64_t>(options_.export_timeout_ms);
  request.max_body_bytes = 64 * 1024;  // collectors answer with a small JSON object
  auto answer = net::http_fetch(endpoint_, request);
  return answer && answer->status >= 200 && answer->status < 300;  // a 2xx: the batch was taken
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
