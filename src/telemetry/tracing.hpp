// Tracing: a trace context per exchange, spans for the request, each policy
// stage and each upstream try, exported in batches as OTLP/HTTP JSON.
//
// Each worker serialises the spans of its sampled exchanges into a buffer of
// its own and hands it to the exporter thread once per loop turn (as the
// access log does). The exporter posts batches to the collector with the
// small blocking HTTP/1.1 client of src/net/http_fetch; spans it cannot queue or deliver are
// dropped and counted, never a request delayed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory_resource>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apigw/gateway.hpp"
#include "apigw/status.hpp"
#include "net/http_fetch.hpp"
#include "telemetry/trace_context.hpp"

namespace apigw::telemetry {

enum class SpanKind : uint8_t { kInternal = 1, kServer = 2, kClient = 3 };

struct SpanRecord {
  SpanId id;
  SpanId parent;
  SpanKind kind;
  std::string_view name;    // lives as long as the snapshot or the arena
  std::string_view detail;  // policy phase, or upstream target
  int64_t start_ns;         // monotonic
  int64_t end_ns;
  int status;  // HTTP status for server and client spans, 0 otherwise
};

// One exchange's trace: ids always (to propagate), spans only when sampled.
struct ExchangeTrace {
  bool enabled = false;  // tracing configured
  bool sampled = false;
  TraceId trace_id{};
  SpanId span_id{};    // the request's span
  SpanId parent_id{};  // the caller's span, when a traceparent came in
  bool has_parent = false;
  std::pmr::vector<SpanRecord>* spans = nullptr;  // in the exchange's arena, when sampled

  // Spans of policy stages and upstream tries, children of the request span.
  void add(const SpanRecord& span) {
    if (spans) spans->push_back(span);
  }
};

class TraceExporter {
 public:
  static Result<std::unique_ptr<TraceExporter>> open(const TracingOptions& options);
  ~TraceExporter();  // sends what is queued (bounded by the timeout), then stops

  // A worker's buffer of `spans` serialised spans, comma-separated; returns
  // an empty buffer to fill next.
  std::string hand_off(std::string&& buffer, uint64_t spans) noexcept;

  const TracingOptions& options() const noexcept { return options_; }
  uint64_t exported_spans() const noexcept { return exported_.load(std::memory_order_relaxed); }
  uint64_t dropped_spans() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  TraceExporter(TracingOptions options, net::HttpUrl endpoint);
  void run();
  bool post(const std::string& body);

  struct Batch {
    std::string spans;
    uint64_t count;
  };
  TracingOptions options_;
  net::HttpUrl endpoint_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Batch> queue_;
  uint64_t queued_spans_ = 0;
  bool stopping_ = false;
  std::atomic<uint64_t> exported_{0};
  std::atomic<uint64_t> dropped_{0};
  std::thread thread_;
};

// One worker's side.
class TraceBuffer {
 public:
  explicit TraceBuffer(TraceExporter& exporter) : exporter_(exporter) {}
  const TracingOptions& options() const noexcept { return exporter_.options(); }

  // Serialises a finished exchange's spans (the request span and its children).
  // `wall_offset_ns` turns the monotonic times into Unix time.
  void add_exchange(const ExchangeTrace& trace, const SpanRecord& request_span, std::string_view method,
                    std::string_view route, int64_t wall_offset_ns);
  void flush() noexcept;

 private:
  void append_span(const ExchangeTrace& trace, const SpanRecord& s, const SpanId* parent, int64_t wall_offset_ns,
                   std::string_view method, std::string_view route);
  TraceExporter& exporter_;
  std::string buffer_;
  uint64_t spans_ = 0;
};

}  // namespace apigw::telemetry
