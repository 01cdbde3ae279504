// Flow: one exchange walking through the phases of docs/lifecycle.md.
//
//   route -> on_request* -> (body) -> on_request_body* -> target
//         -> on_response* (reverse) -> [on_response_body* (reverse)] -> answer -> on_log*
//
// on_response_body runs only on routes with a policy that holds the body
// (Policy::response_body_limit); their streamed answers are buffered first.
//
// A phase that pauses stops the walk; the worker resumes it later from the
// ResumeQueue. The connection (FlowHost) feeds the body, writes the answer and
// ends the flow.
#pragma once

#include <memory>
#include <optional>

#include "apigw/exchange.hpp"
#include "core/recycled.hpp"
#include "core/resume_queue.hpp"
#include "core/snapshot.hpp"
#include "telemetry/request_metrics.hpp"
#include "telemetry/tracing.hpp"

namespace apigw {

namespace upstream {
class ProxyCall;
class WorkerUpstreams;
}  // namespace upstream

class Flow;

class FlowHost {
 public:
  virtual ~FlowHost() = default;
  // The answer is final: write it.
  virtual void on_flow_answer(Flow& flow) = 0;
  // The flow waits for the rest of the request body.
  virtual void on_flow_wants_body(Flow& flow) = 0;
  // A paused flow moved on (worker, after apply): write, go on parsing.
  virtual void on_flow_settled() = 0;
  // A tunnel's far side took what it was given: read from the client again.
  virtual void on_flow_wants_input() = 0;
  // The source of a streamed answer is done for now: write what is held back.
  virtual void on_flow_flush() = 0;
  // An interim (1xx) answer to pass on before the final one.
  virtual void on_flow_interim(Flow& flow, int status, const HeaderMap& headers) = 0;
  // A streamed answer: its head went out through on_flow_answer; then
  // bytes, then the end, or an abort (the answer cannot be completed).
  // Returns false while the client is not keeping up: the source should pause
  // until on_client_drained().
  virtual bool on_flow_data(Flow& flow, std::string_view data) = 0;
  virtual void on_flow_end(Flow& flow) = 0;
  virtual void on_flow_abort(Flow& flow) = 0;
};

class Flow final : public Exchange, public Recycled<Flow> {
 public:
  // `upstreams` null: routes to upstreams answer 502 (the in-memory transport).
  Flow(FlowHost& host, std::shared_ptr<const Snapshot> snapshot,
       std::shared_ptr<detail::ResumeQueue> queue, int64_t now_ns, upstream::WorkerUpstreams* upstreams);
  ~Flow();

  // The head is parsed: match the route, run on_request phases.
  // `has_body`: a body follows the head (Content-Length > 0 or chunked).
  void start(bool has_body = false);
  // The whole body has arrived.
  void body_complete();
  // A paused phase was resumed (loop thread).
  void apply(detail::ResumeAction&& action);
  // The answer was handed to the transport: run on_log phases.
  void log() noexcept;

  // The whole answer (a stream's too) has been handed to the host.
  bool answered() const noexcept { return stage_ == Stage::kDone && !stream_open_; }
  // The answer is a stream (its head may be out while its body is not).
  bool streaming() const noexcept { return streaming_; }
  bool stream_open() const noexcept { return stream_open_; }
  bool body_done() const noexcept { return body_done_; }
  bool paused() const noexcept { return paused_; }
  const Snapshot& snapshot() const noexcept { return *snapshot_; }
  FlowHost& host() const noexcept { return host_; }
  // A streamed answer, driven on the loop thread (ResponseStream actions, the
  // proxy). The answer's status and headers are set before it begins;
  // `content_length` -1 when unknown (chunked to HTTP/1.1 clients).
  void stream_begins(int64_t content_length);
  bool stream_data(std::string_view data);  // false: the client lags, pause the source
  void stream_end();
  void stream_abort();
  // The proxy could not get an answer: the error answer goes out instead.
  void proxy_failed(Status status);
  // The client took what was written.
  void on_client_drained();
  // After a 101 answer the connection is a tunnel: client bytes go to the
  // proxy. Returns false while the far side lags (stop reading the client).
  bool tunnel_in(std::string_view data);
  bool is_tunnel() const noexcept { return streaming_ && response_.status == 101; }
  // The request body goes to the upstream as it arrives instead of being
  // buffered: request_body_data() for each piece, then body_complete().
  bool streams_body() const noexcept { return stream_body_; }
  // Returns false while the upstream lags (stop reading the client).
  bool request_body_data(std::string_view data);
  // The link from tokens and streams to this flow, made on first use: most
  // exchanges never pause.
  const std::shared_ptr<detail::ExchangeAnchor>& anchor();
  // Asks the worker to call the host's on_flow_settled() on a fresh stack:
  // for answers that finish inside callbacks which must not see the flow die.
  void request_settle();
  // Trailer fields for a chunked streamed answer (null: none).
  void set_trailers(const HeaderMap* trailers) noexcept { trailers_ = trailers; }
  const HeaderMap* trailers() const noexcept { return trailers_; }
  // The length announced for a streamed answer, -1 when unknown.
  int64_t content_length() const noexcept { return content_length_; }

  // The trace context (ids always when tracing is on; spans when sampled).
  telemetry::ExchangeTrace& trace() noexcept { return trace_; }
  const telemetry::ExchangeTrace& trace() const noexcept { return trace_; }
  // Starts the trace from the request's traceparent (or a new one).
  void begin_trace(const TracingOptions& options);
  // Times each policy phase of this exchange into `metrics`.
  void time_policies(telemetry::RequestMetrics* metrics) noexcept { policy_timing_ = metrics; }
  // The proxy of a route to an upstream (null otherwise), for the access log.
  const upstream::ProxyCall* proxy() const noexcept { return proxy_.get(); }
  // The matched route's label id, 0 when no route matched.
  uint32_t metric_id() const noexcept { return route_ ? route_->metric_id : 0; }


 private:
  enum class Stage : uint8_t { kRequest, kAwaitBody, kRequestBody, kTarget, kResponse, kResponseBody, kDone };
  bool in_response_stage() const noexcept { return stage_ == Stage::kResponse || stage_ == Stage::kResponseBody; }

  void run();
  bool handle(Decision d);
  Decision run_target();
  Decision start_proxy();
  void answer_stream();
  const std::shared_ptr<const upstream::CompiledUpstream>& pick_upstream();
  void fail_with(Status status);
  void set_error_answer(const Status& status);

  FlowHost& host_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::shared_ptr<detail::ResumeQueue> queue_;
  const CompiledRoute* route_ = nullptr;
  Stage stage_ = Stage::kRequest;
  size_t cursor_ = 0;  // next policy (request stages) or policies left (response stage)
  size_t ran_ = 0;     // policies whose on_request ran: their response phases run too
  // Set when a CORS preflight was routed by the method it asks about: the
  // Allow list of its 405, answered unless a policy (cors) answers first.
  std::optional<std::string_view> preflight_allow_;
  bool body_done_ = false;
  bool paused_ = false;
  bool running_ = false;
  bool logged_ = false;
  const HeaderMap* trailers_ = nullptr;
  bool stream_body_ = false;
  bool has_body_ = false;
  bool can_stream_body() const noexcept;
  bool streaming_ = false;
  bool stream_open_ = false;
  // A streamed answer held back until it ends (Policy::response_body_limit).
  bool buffering_ = false;
  int64_t content_length_ = -1;
  upstream::WorkerUpstreams* upstreams_;
  telemetry::ExchangeTrace trace_;
  telemetry::RequestMetrics* policy_timing_ = nullptr;
  bool timing() const noexcept { return trace_.spans || policy_timing_; }
  Decision timed(size_t index, Decision (Policy::*phase)(Exchange&) const noexcept, std::string_view name);
  std::unique_ptr<upstream::ProxyCall> proxy_;
  // A decision the target reached before run_target() returned (a proxy
  // failing synchronously): taken instead of its kPause.
  std::optional<Decision> early_;
  void apply_stream(detail::ResumeAction&& action);
};

}  // namespace apigw
