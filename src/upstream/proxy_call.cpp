#include "upstream/proxy_call.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <cstdio>

#include "core/flow.hpp"
#include "upstream/forward_request.hpp"
#include "upstream/request_key.hpp"

namespace apigw::upstream {
namespace {

int64_t parse_length(std::string_view v) {
  int64_t n = -1;
  auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  return r.ec == std::errc() && r.ptr == v.data() + v.size() ? n : -1;
}

}  // namespace

ProxyCall::ProxyCall(Flow& flow, WorkerUpstreams& workers, std::shared_ptr<const CompiledUpstream> upstream,
                     const RewriteOptions& rewrite)
    : flow_(flow),
      workers_(workers),
      upstream_(std::move(upstream)),
      entry_(workers.get(upstream_)),
      rewrite_(rewrite),
      parser_(*this),
      tried_(upstream_->addresses.size(), 0, &flow.arena()),
      eligible_(upstream_->addresses.size(), 0, &flow.arena()) {}

ProxyCall::~ProxyCall() {
  end_in_flight();  // a client that left mid-try ends the try here
  if (waiting_on_) waiting_on_->cancel(*this);
  give_back_connection(false);
  if (retry_slot_) upstream_->shared->budget->release_retry();
  if (counted_) upstream_->shared->budget->request_finished();
  if (backoff_timer_)
    uv_close(reinterpret_cast<uv_handle_t*>(backoff_timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

Arena& ProxyCall::arena() { return flow_.arena(); }

void ProxyCall::end_in_flight() noexcept {
  if (counted_target_ < 0) return;
  entry_->in_flight->finished(static_cast<size_t>(counted_target_));
  counted_target_ = -1;
}

void ProxyCall::start() {
  upstream_->shared->budget->request_started();
  counted_ = true;
  streams_body_ = flow_.streams_body();
  chunked_body_ = streams_body_ && !flow_.request().headers.has("content-length");
  next_try();
}

// Streamed request bodies. Until a connection has the head, pieces are held
// (and the client paused past 64 KiB); after, they go straight out.
bool ProxyCall::body_data(std::string_view data) {
  if (done_ || data.empty()) return true;
  if (!head_written_ || !conn_) {
    held_body_.append(data);
    return held_body_.size() < 64 * 1024;
  }
  write_body(data);
  return !conn_ || !conn_->write_pending();
}

void ProxyCall::write_body(std::string_view data) {
  body_written_ = true;
  if (!chunked_body_) {
    conn_->write(&data, 1);
    return;
  }
  char size[20];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string_view bufs[3] = {{size, static_cast<size_t>(n)}, data, "\r\n"};
  conn_->write(bufs, 3);
}

void ProxyCall::body_end() {
  body_ended_ = true;
  if (done_ || !head_written_ || !conn_) return;
  if (chunked_body_) {
    std::string_view last = "0\r\n\r\n";
    conn_->write(&last, 1);
  }
  if (conn_) conn_->set_deadline(upstream_->options.timeouts.response_ms);
}

void ProxyCall::next_try() {
  int64_t now = flow_.snapshot().clock->monotonic_ns();
  UpstreamHealth& health = *upstream_->shared->health;
  size_t available = health.fill_eligible(eligible_.data(), now);
  if (available == 0) return fail_request(Failure::kNoTarget, 0);
  // A retry goes to a target not tried yet, while there is one.
  bool untried = false;
  for (size_t i = 0; i < eligible_.size(); ++i) untried = untried || (eligible_[i] && !tried_[i]);
  if (untried)
    for (size_t i = 0; i < eligible_.size(); ++i) eligible_[i] = eligible_[i] && !tried_[i];
  uint64_t hash = upstream_->options.balance == Balance::kConsistentHash
                      ? request_key_hash(flow_.request(), upstream_->options.hash_on)
                      : 0;
  target_ = entry_->balancer->pick_for(flow_, eligible_.data(), hash);
  if (target_ < 0) return fail_request(Failure::kNoTarget, 0);
  tried_[static_cast<size_t>(target_)] = 1;
  ++tries_;
  try_start_ns_ = now;
  if (flow_.trace().enabled) try_span_ = telemetry::new_span_id();
  if (first_try_ns_ < 0) first_try_ns_ = now;
  entry_->balancer->on_start(static_cast<uint32_t>(target_));
  entry_->in_flight->started(static_cast<size_t>(target_));
  counted_target_ = target_;
  waiting_on_ = entry_->pools[static_cast<size_t>(target_)].get();
  waiting_on_->acquire(*this);
}

void ProxyCall::on_pool_connection(UpstreamConnection& c) {
  waiting_on_ = nullptr;
  conn_ = &c;
  conn_->set_user(this);
  conn_->count_request();
  send();
}

void ProxyCall::on_pool_failure(int uv_error) {
  waiting_on_ = nullptr;
  try_failed(uv_error == 0 ? Failure::kOverloaded : Failure::kConnect);
}

void ProxyCall::send() {
  std::pmr::string head(&flow_.arena());
  head.reserve(512);
  // The origin's parent span is this try's.
  char traceparent[telemetry::kTraceparentSize];
  std::string_view propagated;
  if (const telemetry::ExchangeTrace& t = flow_.trace(); t.enabled) {
    telemetry::format_traceparent(traceparent, t.trace_id, t.sampled ? try_span_ : t.span_id, t.sampled);
    propagated = {traceparent, sizeof traceparent};
  }
  append_upstream_head(head, flow_, rewrite_, streams_body_, propagated);
  parser_.reset_for_next();
  parser_.expect(flow_.request().method);
  suppress_body_ = false;
  if (streams_body_) {
    std::string_view h = head;
    conn_->write(&h, 1);
    head_written_ = true;
    std::string held;
    held.swap(held_body_);
    if (conn_ && !held.empty()) write_body(held);
    if (conn_ && body_ended_) body_end();
    if (conn_ && held.size() >= 64 * 1024 && !conn_->write_pending()) flow_.host().on_flow_wants_input();
    return;
  }
  std::string_view bufs[2] = {head, flow_.request().body};
  conn_->write(bufs, flow_.request().body.empty() ? 1 : 2);
  if (conn_) conn_->set_deadline(upstream_->options.timeouts.response_ms);
}

void ProxyCall::on_upstream_data(std::string_view data) {
  if (tunnel_) return tunnel_out(data);
  // Whatever this read produced for the client goes out now, in one write
  // where it can (a held head with its first body bytes).
  struct Flush {
    ProxyCall* self;
    ~Flush() {
      if (!self->done_) self->flow_.host().on_flow_flush();
    }
  } flush{this};
  while (!data.empty() && conn_) {
    http::ResponseParser::State state;
    size_t n;
    try {
      n = parser_.feed(data.data(), data.size(), &state);
    } catch (...) {
      return try_failed(Failure::kProtocol);
    }
    data.remove_prefix(n);
    switch (state) {
      case http::ResponseParser::State::kNeedMore:
        break;
      case http::ResponseParser::State::kComplete:
        if (!data.empty()) return try_failed(Failure::kProtocol);  // bytes after the answer: untrustworthy
        break;
      case http::ResponseParser::State::kUpgraded:
        if (!tunnel_) return try_failed(Failure::kProtocol);
        tunnel_out(data);  // bytes the origin sent right after its 101
        return;
      case http::ResponseParser::State::kError:
        return try_failed(Failure::kProtocol);
    }
    if (state == http::ResponseParser::State::kNeedMore) break;
  }
}

std::string_view ProxyCall::target_name() const noexcept {
  return target_ < 0 ? std::string_view() : std::string_view(upstream_->target_names[static_cast<size_t>(target_)]);
}

void ProxyCall::on_head(int status, uint8_t, HeaderMap& headers) {
  if (conn_) conn_->set_deadline(0);
  int64_t now = flow_.snapshot().clock->monotonic_ns();
  head_ns_ = now;
  bool failed = status == 502 || status == 503 || status == 504;
  count_try(status >= 500 ? telemetry::TryOutcome::kErrorStatus : telemetry::TryOutcome::kAnswered, status);
  if (workers_.metrics) workers_.metrics->record_upstream_latency(upstream_->metric_id, now - try_start_ns_);
  auto target = static_cast<size_t>(target_);
  if (failed) upstream_->shared->health->record_failure(target, now);
  else upstream_->shared->health->record_success(target);
  // Retry-After longer than the time left for tries: the origin's answer stands.
  const uint32_t window_ms = upstream_->options.timeouts.response_ms;
  std::optional<uint32_t> retry_after = parse_retry_after_ms(headers.get("retry-after"), window_ms + 1);
  bool wait_fits = !retry_after || *retry_after <= window_ms;
  if (upstream_->retry_on.status(status) && wait_fits && may_retry(Failure::kStatus, status)) {
    retry_after_ms_ = retry_after.value_or(0);
    release_retry_slot();
    if (upstream_->shared->budget->try_acquire_retry()) {
      retry_slot_ = true;
      suppress_body_ = true;  // this answer is read to its end and dropped
      suppressed_status_ = status;
      return;
    }
  }
  if (status == 101 && !wants_upgrade(flow_.request())) return try_failed(Failure::kProtocol);
  Response& res = flow_.response();
  res.status = status;
  res.headers.clear();
  if (status == 101) {
    tunnel_ = true;
    res.headers.add_view("upgrade", headers.get("upgrade"));
    if (conn_) conn_->set_deadline(upstream_->options.timeouts.idle_ms);
  }
  std::string_view connection = headers.get("connection");
  int64_t length = -1;
  for (const Header& h : headers) {
    if (iequals(h.name, "content-length")) {
      length = parse_length(h.value);
      continue;
    }
    if (is_hop_by_hop(h.name, connection)) continue;
    res.headers.add_view(h.name, h.value);
  }
  if (headers.has("transfer-encoding")) length = -1;
  head_sent_ = true;
  flow_.stream_begins(length);
}

// 1xx: 100 Continue is the gateway's own business with its client (it
// already answered Expect); others (103 Early Hints) are passed on.
void ProxyCall::on_interim(int status, const HeaderMap& headers) {
  if (status == 100 || suppress_body_) return;
  flow_.host().on_flow_interim(flow_, status, headers);
}

void ProxyCall::on_trailers(HeaderMap& trailers) {
  if (suppress_body_) return;
  flow_.set_trailers(&trailers);  // in the flow's arena, like the head
}

void ProxyCall::on_body(std::string_view chunk) {
  if (suppress_body_ || done_) return;
  if (!flow_.stream_data(chunk) && conn_) conn_->pause_reading();  // the client lags: backpressure
}

void ProxyCall::on_client_drained() {
  if (conn_ && !done_) conn_->resume_reading();
}

void ProxyCall::tunnel_out(std::string_view data) {
  if (data.empty() || done_) return;
  if (conn_) conn_->set_deadline(upstream_->options.timeouts.idle_ms);
  if (!flow_.stream_data(data) && conn_) conn_->pause_reading();
}

bool ProxyCall::tunnel_in(std::string_view data) {
  if (!tunnel_ || !conn_ || done_) return true;
  conn_->set_deadline(upstream_->options.timeouts.idle_ms);
  conn_->write(&data, 1);
  return !conn_ || !conn_->write_pending();
}

void ProxyCall::on_upstream_drained() {
  if (done_) return;
  if (tunnel_ || (streams_body_ && !body_ended_)) flow_.host().on_flow_wants_input();
}

void ProxyCall::on_upstream_timeout() {
  if (!tunnel_) return try_failed(Failure::kTimeout);
  // A tunnel quiet for idle_ms in both directions ends.
  done_ = true;
  give_back_connection(false);
  flow_.stream_abort();
}

void ProxyCall::on_complete() {
  if (suppress_body_) {
    // The listed status is retried: the connection is fine, the answer unwanted.
    give_back_connection(parser_.keep_alive());
    return try_failed(Failure::kStatus, suppressed_status_, /*retry_decided=*/true);
  }
  entry_->balancer->on_finish(static_cast<uint32_t>(target_), flow_.snapshot().clock->monotonic_ns() - try_start_ns_,
                              flow_.snapshot().clock->monotonic_ns());
  end_in_flight();
  done_ = true;
  release_retry_slot();
  // An origin that answered before the whole body arrived leaves the rest
  // of it in flight: that connection is not reusable.
  give_back_connection(parser_.keep_alive() && (!streams_body_ || body_ended_));
  flow_.stream_end();
}

void ProxyCall::count_try(telemetry::TryOutcome outcome, int status) {
  if (workers_.metrics && target_ >= 0)
    workers_.metrics->record_try(upstream_->metric_id, static_cast<uint32_t>(target_), outcome);
  telemetry::ExchangeTrace& trace = flow_.trace();
  if (trace.spans && target_ >= 0)
    trace.add({try_span_, trace.span_id, telemetry::SpanKind::kClient, upstream_->options.name, target_name(),
               try_start_ns_, flow_.snapshot().clock->monotonic_ns(), status});
}

void ProxyCall::release_retry_slot() {
  if (!retry_slot_) return;
  upstream_->shared->budget->release_retry();
  retry_slot_ = false;
}

void ProxyCall::on_upstream_closed(int) {
  conn_ = nullptr;  // the pool has forgotten it already
  if (done_) return;
  if (tunnel_) {
    // The origin ended the tunnel: the client's side closes too.
    done_ = true;
    flow_.stream_end();
    return;
  }
  http::ResponseParser::State state = parser_.on_eof();
  if (state == http::ResponseParser::State::kComplete) {
    if (suppress_body_) return try_failed(Failure::kStatus, suppressed_status_, /*retry_decided=*/true);
    done_ = true;
    release_retry_slot();
    flow_.stream_end();
    return;
  }
  if (head_sent_) {
    // Mid-body: the client must see a truncated answer, never a complete one.
    done_ = true;
    upstream_->shared->health->record_failure(static_cast<size_t>(target_), flow_.snapshot().clock->monotonic_ns());
    flow_.stream_abort();
    return;
  }
  try_failed(Failure::kReset);
}

void ProxyCall::give_back_connection(bool reusable) {
  if (!conn_) return;
  UpstreamConnection* c = conn_;
  conn_ = nullptr;
  c->set_deadline(0);
  entry_->pools[static_cast<size_t>(target_)]->release(*c, reusable);
}

bool ProxyCall::may_retry(Failure failure, int) const {
  if (tries_ >= upstream_->options.retries.attempts) return false;
  const RetryOn& on = upstream_->retry_on;
  bool listed = (failure == Failure::kConnect && on.connect_failure) || (failure == Failure::kReset && on.reset) ||
                failure == Failure::kStatus;
  if (!listed) return false;
  // A request that may have reached the origin is retried only when repeating it is safe.
  if (failure != Failure::kConnect && !is_idempotent(flow_.request().method)) return false;
  // A streamed body that has started to go out cannot be sent again.
  if (body_written_) return false;
  return true;
}

void ProxyCall::try_failed(Failure failure, int status, bool retry_decided) {
  auto target = static_cast<size_t>(target_);
  int64_t now = flow_.snapshot().clock->monotonic_ns();
  if (!head_sent_) {  // after the head, the try was counted as answered
    switch (failure) {
      case Failure::kConnect: count_try(telemetry::TryOutcome::kConnectFailure); break;
      case Failure::kReset: count_try(telemetry::TryOutcome::kReset); break;
      case Failure::kTimeout: count_try(telemetry::TryOutcome::kTimeout); break;
      case Failure::kProtocol: count_try(telemetry::TryOutcome::kProtocolError); break;
      default: break;  // a listed status was counted with its head; no target, no try
    }
  }
  if (target_ >= 0) {
    entry_->balancer->on_finish(static_cast<uint32_t>(target_), now - try_start_ns_, now);
    end_in_flight();
    if (failure == Failure::kConnect || failure == Failure::kReset || failure == Failure::kTimeout ||
        failure == Failure::kProtocol)
      upstream_->shared->health->record_failure(target, now);
  }
  give_back_connection(false);
  if (head_sent_) {
    done_ = true;
    flow_.stream_abort();
    return;
  }
  bool retry = retry_decided;
  if (!retry) {
    release_retry_slot();
    bool kind_retries = failure == Failure::kConnect || failure == Failure::kReset;
    retry = kind_retries && may_retry(failure, status) && upstream_->shared->budget->try_acquire_retry();
    retry_slot_ = retry;
  }
  if (retry) {
    double r = static_cast<double>(workers_.random() >> 11) / static_cast<double>(1ull << 53);
    uint64_t wait = std::max<uint64_t>(backoff_ms(upstream_->options.retries.backoff_ms, tries_, r), retry_after_ms_);
    retry_after_ms_ = 0;
    // The overall deadline: every try starts within one response_ms of the first.
    int64_t elapsed_ms = (now - first_try_ns_) / 1'000'000;
    if (elapsed_ms + static_cast<int64_t>(wait) <= static_cast<int64_t>(upstream_->options.timeouts.response_ms)) {
      if (workers_.metrics) workers_.metrics->record_retry(upstream_->metric_id);
      start_backoff(wait);
      return;
    }
    release_retry_slot();
  }
  fail_request(failure, status);
}

void ProxyCall::fail_request(Failure failure, int status) {
  done_ = true;
  Status st;
  switch (failure) {
    case Failure::kConnect:
      st = Status::http(502, "upstream_connect_failed", "could not connect to upstream \"" + upstream_->options.name + "\"");
      break;
    case Failure::kReset:
      st = Status::http(502, "upstream_reset", "the upstream closed the connection before answering");
      break;
    case Failure::kProtocol:
      st = Status::http(502, "upstream_protocol_error", "the upstream's answer was not valid HTTP/1.1");
      break;
    case Failure::kTimeout:
      st = Status::http(504, "upstream_timeout", "the upstream did not answer in time");
      break;
    case Failure::kNoTarget:
      st = Status::http(503, "no_healthy_upstream", "no healthy target in upstream \"" + upstream_->options.name + "\"");
      break;
    case Failure::kOverloaded:
      st = Status::http(503, "upstream_overloaded", "too many requests waiting for upstream connections");
      break;
    case Failure::kStatus:
      st = Status::http(status ? status : 502, "upstream_error", "the upstream answered with an error");
      break;
  }
  flow_.proxy_failed(std::move(st).from(ErrorSource::kUpstream));
}

void ProxyCall::start_backoff(uint64_t ms) {
  if (!backoff_timer_) {
    backoff_timer_ = new uv_timer_t;
    uv_timer_init(workers_.loop(), backoff_timer_);
    backoff_timer_->data = this;
  }
  uv_timer_start(backoff_timer_, on_backoff_done, ms, 0);
}

void ProxyCall::on_backoff_done(uv_timer_t* t) { static_cast<ProxyCall*>(t->data)->next_try(); }

}  // namespace apigw::upstream
