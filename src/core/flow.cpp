#include "core/flow.hpp"

#include "core/error_response.hpp"
#include "core/placeholders.hpp"
#include "upstream/forward_request.hpp"
#include "upstream/mirror_call.hpp"
#include "upstream/proxy_call.hpp"
#include "upstream/request_key.hpp"

namespace apigw {
namespace {

// Arena cap per request: room for the head, for a chunked body grown by
// doubling (up to twice its size) plus an answer of that size, and 1 MiB.
// A buffered answer (Policy::response_body_limit) grows by doubling too.
size_t arena_cap(const Snapshot& s) {
  const Limits& l = s.limits;
  return size_t{l.max_header_bytes} * 4 + static_cast<size_t>(l.max_body_bytes) * 3 + s.max_response_body_limit * 3 +
         (1u << 20);
}

bool is_cors_preflight(const Request& r) noexcept {
  return r.method == "OPTIONS" && r.headers.has("origin") && r.headers.has("access-control-request-method");
}

}  // namespace

Flow::Flow(FlowHost& host, std::shared_ptr<const Snapshot> snapshot,
           std::shared_ptr<detail::ResumeQueue> queue, int64_t now_ns, upstream::WorkerUpstreams* upstreams)
    : Exchange(arena_cap(*snapshot)),
      host_(host),
      snapshot_(std::move(snapshot)),
      queue_(std::move(queue)),
      upstreams_(upstreams) {
  start_ns_ = now_ns;
}

Flow::~Flow() {
  if (anchor_) anchor_->detach();
  proxy_.reset();  // before the arena it reads from goes
}

void Flow::start(bool has_body) {
  has_body_ = has_body;
  const Snapshot& s = *snapshot_;
  router::Match m = s.table.match(request_.host, request_.method, request_.path, request_.headers);
  if (m.kind == router::Match::Kind::kMethodNotAllowed && is_cors_preflight(request_)) {
    // A CORS preflight asks about the method it names, so it goes to the
    // route that would serve that method: its cors policy answers. If no
    // policy answers, the target is not called and the 405 stands.
    std::string_view asked = request_.headers.get("access-control-request-method");
    router::Match pm = s.table.match(request_.host, asked, request_.path, request_.headers);
    if (pm.kind == router::Match::Kind::kFound) {
      preflight_allow_ = arena_.dup(m.allow);
      m = std::move(pm);
    }
  }
  if (m.kind == router::Match::Kind::kNotFound) {
    fail_with(Status::http(404, "route_not_found", "no route matches this request"));
  } else if (m.kind == router::Match::Kind::kMethodNotAllowed) {
    fail_with(Status::http(405, "method_not_allowed", "the route does not allow this method"));
    response_.headers.set("allow", m.allow);
  } else {
    route_ = &s.routes[m.route];
    Exchange::route_.name = route_->name;
    for (size_t i = 0; i < m.params.size; ++i)
      params_.push_back({m.params.items[i].name, m.params.items[i].value});
    if (!route_->enabled) {
      fail_with(Status::http(503, "route_disabled", "this route is disabled"));
      response_.headers.set("retry-after", "30");
    }
  }
  run();
}

void Flow::body_complete() {
  body_done_ = true;
  if (stream_body_ && proxy_) proxy_->body_end();
  if (stage_ == Stage::kAwaitBody && !paused_) run();
}

// A proxied route streams its body unless a policy reads it or a mirror
// needs a copy of it.
bool Flow::can_stream_body() const noexcept {
  if (!route_ || !route_->upstream || !upstreams_ || route_->mirror) return false;
  for (const auto& p : route_->policies)
    if (p->needs_request_body()) return false;
  return true;
}

bool Flow::request_body_data(std::string_view data) {
  if (proxy_) return proxy_->body_data(data);
  request_.body.append(data);  // the chain is not at the target yet: keep it
  return true;
}

void Flow::apply(detail::ResumeAction&& action) {
  if (action.kind >= detail::ResumeAction::Kind::kStreamBegin) return apply_stream(std::move(action));
  if (!paused_) return;  // a token used twice, or for a phase that did not pause
  paused_ = false;
  Decision d = Decision::kContinue;
  switch (action.kind) {
    case detail::ResumeAction::Kind::kResume:
      break;
    case detail::ResumeAction::Kind::kRespond:
      response_.status = action.reply.status;
      response_.headers.clear();
      for (auto& [k, v] : action.reply.headers) response_.headers.add(k, v);
      response_.body.assign(action.reply.body);
      d = Decision::kRespond;
      break;
    case detail::ResumeAction::Kind::kFail:
      d = fail(std::move(action.status));
      break;
    case detail::ResumeAction::Kind::kRetry:
      run();  // the cursor still points at the phase that paused
      return;
    default:
      return;  // stream actions: apply_stream
  }
  if (handle(d)) run();
}

void Flow::apply_stream(detail::ResumeAction&& action) {
  using Kind = detail::ResumeAction::Kind;
  switch (action.kind) {
    case Kind::kStreamBegin:
      if (!paused_ || stage_ != Stage::kTarget) return;
      response_.status = action.reply.status;
      response_.headers.clear();
      for (auto& [k, v] : action.reply.headers) response_.headers.add(k, v);
      stream_begins(-1);
      return;
    case Kind::kStreamData:
      stream_data(action.reply.body);
      return;
    case Kind::kStreamEnd:
      stream_end();
      return;
    case Kind::kStreamAbort:
      if (stream_open_) {
        stream_abort();
      } else if (paused_ && stage_ == Stage::kTarget) {
        proxy_failed(Status(Code::kInternal, "response stream dropped before it began"));
      }
      return;
    default:
      return;
  }
}

void Flow::stream_begins(int64_t content_length) {
  if (stage_ != Stage::kTarget) return;
  streaming_ = stream_open_ = true;
  content_length_ = content_length;
  const size_t limit = route_ ? route_->response_body_limit : 0;
  // A HEAD answer has no body to hold, only the length a GET would have.
  if (limit > 0 && response_.status != 101 && request_.method != "HEAD") {
    if (content_length >= 0 && static_cast<uint64_t>(content_length) > limit) {
      response_body_overflowed_ = true;  // announced too long: streams as it comes
    } else {
      buffering_ = true;  // the response phases run once the whole body is here
      return;
    }
  }
  answer_stream();
}

// The response phases run, then the head goes out (and, unless the stream
// has ended meanwhile, the body follows as it comes).
void Flow::answer_stream() {
  if (running_) {  // reached before run_target() returned
    early_ = Decision::kRespond;
    return;
  }
  paused_ = false;
  if (handle(Decision::kRespond)) run();
}

bool Flow::stream_data(std::string_view data) {
  if (!stream_open_) return true;
  // While a response phase is paused, or the answer is being buffered, the
  // head is not out yet: keep the bytes.
  if (stage_ != Stage::kDone) {
    response_.body.append(data);
    if (buffering_ && response_.body.size() > route_->response_body_limit) {
      buffering_ = false;
      response_body_overflowed_ = true;
      answer_stream();
    }
    return true;
  }
  return host_.on_flow_data(*this, data);
}

void Flow::stream_end() {
  if (!stream_open_) return;
  stream_open_ = false;
  if (buffering_) {
    // The whole answer is here: it goes out as one, with its length.
    buffering_ = false;
    streaming_ = false;
    content_length_ = -1;
    return answer_stream();
  }
  if (stage_ == Stage::kDone) host_.on_flow_end(*this);
}

void Flow::stream_abort() {
  if (!stream_open_) return;
  stream_open_ = false;
  if (buffering_) {
    // Nothing has gone out: the client gets an error answer, not half a body.
    buffering_ = false;
    streaming_ = false;
    response_.body.clear();
    return proxy_failed(Status::http(502, "upstream_reset", "the upstream's answer ended before its body was complete"));
  }
  host_.on_flow_abort(*this);
}

void Flow::proxy_failed(Status status) {
  if (stage_ != Stage::kTarget) return;
  Decision d = fail(std::move(status));
  if (running_) {
    early_ = d;
    return;
  }
  paused_ = false;
  if (handle(d)) run();
}

const std::shared_ptr<detail::ExchangeAnchor>& Flow::anchor() {
  if (!anchor_)
    anchor_ = std::allocate_shared<detail::ExchangeAnchor>(RecyclingAllocator<detail::ExchangeAnchor>(), this, queue_);
  return anchor_;
}

void Flow::request_settle() {
  queue_->defer({detail::ResumeAction::Kind::kSettle, anchor(), {}, {}});
}

bool Flow::tunnel_in(std::string_view data) { return proxy_ ? proxy_->tunnel_in(data) : true; }

void Flow::on_client_drained() {
  if (proxy_) proxy_->on_client_drained();
}

// Applies a phase's decision; false when the flow must wait.
bool Flow::handle(Decision d) {
  switch (d) {
    case Decision::kContinue:
      if (stage_ == Stage::kTarget) {
        fail_with(Status(Code::kInternal, "the handler did not answer"));
      } else if (in_response_stage()) {
        --cursor_;
      } else {
        ++cursor_;
      }
      return true;
    case Decision::kRespond:
      if (in_response_stage()) {
        --cursor_;
      } else {
        stage_ = Stage::kResponse;
        cursor_ = ran_;
      }
      return true;
    case Decision::kPause:
      paused_ = true;
      return false;
    case Decision::kFail:
      if (in_response_stage()) {
        // A response phase failed: the error answer replaces the response
        // (and a stream whose head is not out yet); the phases still to run
        // see it.
        set_error_answer(failure_);
        streaming_ = stream_open_ = false;
        content_length_ = -1;  // the origin's announced length is not the error body's
        --cursor_;
      } else {
        fail_with(failure_);
      }
      return true;
  }
  return true;
}

void Flow::set_error_answer(const Status& status) {
  response_.status = error_http_status(status);
  response_.headers.clear();
  response_.headers.add_view("content-type", "application/json");
  response_.body.clear();
  append_error_body(response_.body, status, request_id_);
}

void Flow::fail_with(Status status) {
  const auto& policies = route_ ? route_->policies : std::vector<PolicyPtr>();
  for (size_t i = 0; i < ran_ && i < policies.size(); ++i) policies[i]->on_error(*this, status);
  set_error_answer(status);
  failure_ = std::move(status);
  stage_ = Stage::kResponse;
  cursor_ = ran_;
}

// The route's upstream, or one of its split upstreams for their share.
const std::shared_ptr<const upstream::CompiledUpstream>& Flow::pick_upstream() {
  if (route_->split.empty()) return route_->upstream;
  uint64_t dice = route_->split_on ? upstream::request_key_hash(request_, *route_->split_on) : upstreams_->random();
  uint32_t roll = static_cast<uint32_t>(dice % 100);
  for (const auto& [u, percent] : route_->split) {
    if (roll < percent) return u;
    roll -= percent;
  }
  return route_->upstream;
}

Decision Flow::run_target() {
  if (route_->respond) {
    const StaticResponse& r = *route_->respond;
    response_.status = r.status;
    for (const auto& [k, v] : r.headers) response_.headers.add_view(k, v);
    expand_placeholders(response_.body, r.body, *this);
    return Decision::kRespond;
  }
  // Nothing may unwind into the data plane: not host code, not a failed allocation.
  try {
    if (route_->upstream) return start_proxy();
    return route_->handler(*this);
  } catch (const std::exception& e) {
    return fail(Status(Code::kInternal, std::string(route_->upstream ? "proxy failed: " : "handler threw: ") + e.what()));
  } catch (...) {
    return fail(Status(Code::kInternal, "handler threw"));
  }
}

Decision Flow::start_proxy() {
  if (!upstreams_) return fail(Status::http(502, "no_upstream_transport", "upstreams need a socket worker"));
  if (route_->mirror && upstreams_->random() % 100 < route_->mirror_percent) {
    std::pmr::string head(&arena_);
    upstream::append_upstream_head(head, *this, route_->rewrite);
    std::string copy(head);
    copy.append(request_.body);
    upstream::MirrorCall::start(*upstreams_, route_->mirror, std::move(copy), request_.method);
  }
  proxy_ = std::make_unique<upstream::ProxyCall>(*this, *upstreams_, pick_upstream(), route_->rewrite);
  proxy_->start();
  return Decision::kPause;  // the proxy answers through stream_begins() or proxy_failed()
}

void Flow::begin_trace(const TracingOptions& options) {
  trace_.enabled = true;
  telemetry::TraceParent incoming;
  if (telemetry::parse_traceparent(request_.headers.get("traceparent"), &incoming)) {
    trace_.trace_id = incoming.trace_id;
    trace_.parent_id = incoming.parent_id;
    trace_.has_parent = true;
  } else {
    trace_.trace_id = telemetry::new_trace_id();
  }
  // A sampled caller is always followed; new traces by the ratio.
  trace_.sampled = (trace_.has_parent && incoming.sampled) || telemetry::random_unit() < options.sample_ratio;
  trace_.span_id = telemetry::new_span_id();
  if (trace_.sampled) trace_.spans = arena_.make<std::pmr::vector<telemetry::SpanRecord>>(&arena_);
}

// One policy phase, timed: a span when the exchange is traced, a sample of
// apigw_policy_duration_seconds when it was picked for timing. Two clock
// reads, so only for those exchanges.
Decision Flow::timed(size_t index, Decision (Policy::*phase)(Exchange&) const noexcept, std::string_view name) {
  const Policy& p = *route_->policies[index];
  const Clock& clock = *snapshot_->clock;
  int64_t start = clock.monotonic_ns();
  Decision d = (p.*phase)(*this);
  int64_t end = clock.monotonic_ns();
  if (trace_.spans)
    trace_.add({telemetry::new_span_id(), trace_.span_id, telemetry::SpanKind::kInternal, p.type(), name, start, end, 0});
  if (policy_timing_) policy_timing_->record_policy_latency(route_->policy_metric_ids[index], end - start);
  return d;
}

void Flow::run() {
  // A resume while the walk is on the stack (a token used synchronously from
  // inside a phase) must not re-enter it; the outer loop picks it up.
  if (running_) return;
  running_ = true;
  static const std::vector<PolicyPtr> kNone;
  const auto& policies = route_ ? route_->policies : kNone;
  for (;;) {
    Decision d = Decision::kContinue;
    switch (stage_) {
      case Stage::kRequest:
        if (cursor_ == policies.size() && preflight_allow_) {
          // A preflight no policy answered: the route does not serve OPTIONS.
          fail_with(Status::http(405, "method_not_allowed", "the route does not allow this method"));
          response_.headers.set("allow", *preflight_allow_);
          continue;
        }
        if (cursor_ == policies.size()) {
          stage_ = Stage::kAwaitBody;
          cursor_ = 0;
          continue;
        }
        ran_ = cursor_ + 1;
        d = timing() ? timed(cursor_, &Policy::on_request, "on_request") : policies[cursor_]->on_request(*this);
        break;
      case Stage::kAwaitBody:
        if (!body_done_ && has_body_ && can_stream_body()) {
          stream_body_ = true;
          host_.on_flow_wants_body(*this);  // 100-continue, body timeout
          stage_ = Stage::kRequestBody;
          continue;
        }
        if (!body_done_) {
          running_ = false;
          host_.on_flow_wants_body(*this);
          return;
        }
        stage_ = Stage::kRequestBody;
        continue;
      case Stage::kRequestBody:
        if (cursor_ == policies.size()) {
          stage_ = Stage::kTarget;
          continue;
        }
        d = timing() ? timed(cursor_, &Policy::on_request_body, "on_request_body")
                     : policies[cursor_]->on_request_body(*this);
        break;
      case Stage::kTarget:
        d = run_target();
        if (d == Decision::kPause && early_) {
          d = *early_;
          early_.reset();
        }
        break;
      case Stage::kResponse:
        if (cursor_ == 0 && route_ && route_->response_body_limit > 0) {
          stage_ = Stage::kResponseBody;
          cursor_ = ran_;
          continue;
        }
        if (cursor_ == 0) {
          stage_ = Stage::kDone;
          running_ = false;
          host_.on_flow_answer(*this);
          return;
        }
        d = timing() ? timed(cursor_ - 1, &Policy::on_response, "on_response")
                     : policies[cursor_ - 1]->on_response(*this);
        break;
      case Stage::kResponseBody:
        if (cursor_ == 0) {
          stage_ = Stage::kDone;
          running_ = false;
          host_.on_flow_answer(*this);
          return;
        }
        d = timing() ? timed(cursor_ - 1, &Policy::on_response_body, "on_response_body")
                     : policies[cursor_ - 1]->on_response_body(*this);
        break;
      case Stage::kDone:
        running_ = false;
        return;
    }
    if (!handle(d)) {
      running_ = false;
      return;
    }
  }
}

void Flow::log() noexcept {
  if (logged_ || !route_) return;
  logged_ = true;
  for (size_t i = ran_; i > 0; --i) route_->policies[i - 1]->on_log(*this);
}

}  // namespace apigw
