#include "http/server_connection.hpp"

#include "core/error_response.hpp"
#include "http/response_head.hpp"
#include "telemetry/access_log.hpp"
#include "upstream/proxy_call.hpp"

namespace apigw::http {

ServerConnection::ServerConnection(Transport& transport, WorkerContext& worker)
    : transport_(transport), worker_(worker), parser_(worker.snapshot()->limits, *this) {
  set_timer(Timer::kIdle);
}

ServerConnection::~ServerConnection() {
  if (flow_) worker_.active_requests->fetch_sub(1, std::memory_order_relaxed);
}

// Parsing

Request& ServerConnection::on_message_begin() {
  const auto& snapshot = worker_.snapshot();
  parser_.set_limits(snapshot->limits);
  flow_ = std::make_unique<Flow>(*this, snapshot, worker_.queue(), worker_.now_ns(), worker_.upstreams);
  Request& request = flow_->request();
  request.client_ip = transport_.peer_ip();
  if (const TlsPeer* peer = transport_.tls_peer()) {
    request.tls = true;
    request.client_cert_subject = peer->subject;
    request.client_cert_san = peer->san;
  }
  worker_.active_requests->fetch_add(1, std::memory_order_relaxed);
  head_done_ = message_done_ = sent_continue_ = false;
  bytes_out_ = 0;
  set_timer(Timer::kHeader);
  return flow_->request();
}

void ServerConnection::on_head_complete() {
  head_done_ = true;
  if (const TlsPeer* peer = transport_.tls_peer(); peer && !peer->forward_header.empty()) {
    // Only the gateway may say who the client is: a value the client sent goes.
    Request& r = flow_->request();
    r.headers.remove(peer->forward_header);
    if (peer->verified) r.headers.add_view(peer->forward_header, peer->subject);
  }
  set_timer(Timer::kNone);
  if (worker_.traces) flow_->begin_trace(worker_.traces->options());
  // One request in 16 times its policy phases (two clock reads each).
  if (worker_.metrics && (++worker_.requests_started & 15) == 0) flow_->time_policies(worker_.metrics);
  flow_->start(parser_.has_body());
}

void ServerConnection::on_body(std::string_view chunk) {
  if (flow_->streams_body()) {
    if (!flow_->request_body_data(chunk)) transport_.pause_reading();  // the upstream lags
  } else {
    flow_->request().body.append(chunk);
  }
  if (timer_ == Timer::kBody) set_timer(Timer::kBody);  // between body bytes
}

void ServerConnection::on_message_complete() {
  message_done_ = true;
  keep_alive_ = keep_alive_ && parser_.keep_alive();
  if (timer_ == Timer::kBody) set_timer(Timer::kNone);
  flow_->body_complete();
}

void ServerConnection::on_read(const char* data, size_t len) {
  if (closing_) return;
  if (tunnel_) {
    if (flow_ && !flow_->tunnel_in({data, len})) transport_.pause_reading();
    return;
  }
  if (!pending_.empty() || (parser_paused_ && flow_)) {
    // Still answering an earlier request: keep the bytes, stop reading.
    pending_.append(data, len);
    transport_.pause_reading();
    return;
  }
  if (timer_ == Timer::kIdle) set_timer(Timer::kNone);
  process(data, len);
  if (!closing_ && !flow_ && pending_.empty()) set_timer(Timer::kIdle);
}

void ServerConnection::process(const char* data, size_t len) {
  in_process_ = true;
  while (len > 0 && !closing_) {
    if (parser_paused_) {
      if (flow_ && !flow_->answered()) break;  // an async answer is outstanding
      if (transport_.write_pending()) break;   // the client is not reading: stop too
      end_flow();
      if (!keep_alive_) {
        close();
        break;
      }
      parser_.resume();
      parser_paused_ = false;
    }
    RequestParser::State state;
    size_t n;
    try {
      n = parser_.feed(data, len, &state);
    } catch (const std::bad_alloc&) {
      // The request's arena cap was hit.
      in_process_ = false;
      protocol_error(431, "request too large for its memory budget");
      return;
    }
    data += n;
    len -= n;
    if (state == RequestParser::State::kError) {
      in_process_ = false;
      protocol_error(parser_.error_status(), parser_.error_reason());
      return;
    }
    if (state == RequestParser::State::kPaused) parser_paused_ = true;
  }
  in_process_ = false;
  if (closing_) return;
  if (len > 0) {
    pending_.append(data, len);
    transport_.pause_reading();
  }
  // The last request's answer may already be out: release it now.
  if (parser_paused_ && flow_ && flow_->answered() && !transport_.write_pending()) {
    end_flow();
    if (!keep_alive_) {
      close();
      return;
    }
    parser_.resume();
    parser_paused_ = false;
  }
}

// Bytes that arrived while an answer was outstanding.
void ServerConnection::continue_pending() {
  if (closing_ || in_process_) return;
  std::string bytes;
  bytes.swap(pending_);
  process(bytes.data(), bytes.size());  // also releases an answered flow
  if (closing_ || !pending_.empty()) return;
  if (parser_paused_ && flow_) return;  // still waiting for an answer or the client
  transport_.resume_reading();
  if (!flow_) set_timer(Timer::kIdle);
}

// Answers

void ServerConnection::on_flow_wants_body(Flow& flow) {
  set_timer(Timer::kBody);
  // The head has passed every on_request check: now invite the body.
  const Request& r = flow.request();
  if (!sent_continue_ && r.version_minor >= 1 && iequals(r.headers.get("expect"), "100-continue")) {
    sent_continue_ = true;
    std::string_view line = "HTTP/1.1 100 Continue\r\n\r\n";
    send(&line, 1);
  }
}

void ServerConnection::on_flow_answer(Flow& flow) {
  // An answer before the whole request arrived ends the connection: the
  // rest of the body would otherwise be read as the next request.
  bool unread_body = !message_done_ && parser_.has_body();
  if (unread_body || worker_.draining) keep_alive_ = false;
  // An HTTP/1.0 client learns where a streamed body ends from the close.
  if (flow.streaming() && flow.content_length() < 0 && flow.request().version_minor == 0) keep_alive_ = false;
  write_answer(flow);
  if (unread_body) close(/*linger=*/true);
  if (flow.is_tunnel()) return start_tunnel(flow);
  if (!flow.streaming()) return finish_answer(flow);
  if (!flow.response().body.empty()) on_flow_data(flow, flow.response().body);  // bytes that came early
  if (!flow.stream_open()) on_flow_end(flow);
}

// 101 is out: from now on the connection carries the upgraded protocol.
void ServerConnection::start_tunnel(Flow& flow) {
  tunnel_ = true;
  set_timer(Timer::kNone);  // the proxy's idle timeout governs a tunnel
  std::string early;
  early.swap(pending_);  // bytes the client sent right after its upgrade request
  if (!early.empty() && !flow.tunnel_in(early)) return;
  transport_.resume_reading();
}

void ServerConnection::on_flow_wants_input() {
  if (closing_) return;
  if (tunnel_ || (flow_ && flow_->streams_body() && !message_done_)) transport_.resume_reading();
}

void ServerConnection::finish_answer(Flow& flow) {
  // Finished inside someone else's callback (the proxy's): go on parsing
  // from a fresh stack, where the flow may be released.
  if (!in_process_) flow.request_settle();
  int64_t duration_ns = worker_.now_ns() - flow.start_ns();
  if (worker_.metrics)
    worker_.metrics->record(flow.metric_id(), telemetry::method_class(flow.request().method),
                            flow.response().status, duration_ns);
  if (worker_.access_log) log_access(&flow, flow.response().status, duration_ns, {});
  if (worker_.traces && flow.trace().sampled) export_trace(flow, duration_ns);
  flow.log();
}

void ServerConnection::export_trace(Flow& flow, int64_t duration_ns) {
  const telemetry::ExchangeTrace& t = flow.trace();
  const Clock& clock = *flow.snapshot().clock;
  int64_t end = flow.start_ns() + duration_ns;
  std::string_view name = flow.route().name.empty() ? std::string_view("unrouted") : flow.route().name;
  telemetry::SpanRecord request{t.span_id, t.parent_id, telemetry::SpanKind::kServer, name, {},
                                flow.start_ns(), end, flow.response().status};
  worker_.traces->add_exchange(t, request, flow.request().method, flow.route().name,
                               clock.wall_ns() - clock.monotonic_ns());
}

// Bytes of one answer, counted for the access log.
void ServerConnection::send(const std::string_view* bufs, size_t count) {
  for (size_t i = 0; i < count; ++i) bytes_out_ += bufs[i].size();
  transport_.write(bufs, count);
}

void ServerConnection::log_access(const Flow* flow, int status, int64_t duration_ns, std::string_view error) {
  if (!worker_.access_log->sampled()) return;
  const Snapshot& snap = flow ? flow->snapshot() : *worker_.snapshot();
  telemetry::AccessRecord r;
  r.wall_ns = snap.clock->wall_ns() - duration_ns;
  r.status = status;
  r.bytes_in = parser_.message_bytes();
  r.bytes_out = bytes_out_;
  r.duration_ms = static_cast<double>(duration_ns) / 1e6;
  r.client_ip = transport_.peer_ip();
  r.error = error;
  char trace_id[32];
  if (flow && flow->trace().enabled) {
    telemetry::append_hex(trace_id, flow->trace().trace_id.data(), flow->trace().trace_id.size());
    r.trace_id = {trace_id, sizeof trace_id};
  }
  if (flow) {
    const Request& req = flow->request();
    r.request_id = flow->request_id();
    r.route = flow->route().name;
    r.method = req.method;
    r.path = req.path;
    r.consumer = flow->consumer();
    if (r.error.empty() && !flow->failure().is_ok()) r.error = flow->failure().reason();
    if (const upstream::ProxyCall* proxy = flow->proxy()) {
      r.upstream_target = proxy->target_name();
      if (int64_t ns = proxy->upstream_ns(); ns >= 0) r.upstream_ms = static_cast<double>(ns) / 1e6;
    }
  }
  worker_.access_log->add(r);
}

bool ServerConnection::on_flow_data(Flow&, std::string_view data) {
  if (closing_) return true;
  if (!body_out_ || data.empty()) {
    on_flow_flush();
    return !transport_.write_pending();
  }
  std::string_view bufs[4];
  size_t count = 0;
  if (!held_head_.empty()) bufs[count++] = held_head_;
  held_head_ = {};
  char size[20];
  if (chunked_) {
    int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    bufs[count++] = {size, static_cast<size_t>(n)};
  }
  bufs[count++] = data;
  if (chunked_) bufs[count++] = "\r\n";
  send(bufs, count);
  return !transport_.write_pending();
}

void ServerConnection::on_flow_end(Flow& flow) {
  if (closing_) return;
  if (tunnel_) {
    finish_answer(flow);
    return close();  // the origin ended the tunnel
  }
  std::string_view bufs[2];
  size_t count = 0;
  if (!held_head_.empty()) bufs[count++] = held_head_;
  held_head_ = {};
  std::pmr::string last(&flow.arena());
  if (chunked_ && body_out_) {
    // The last chunk, with the origin's trailer fields minus framing ones.
    last = "0\r\n";
    if (const HeaderMap* trailers = flow.trailers())
      for (const Header& h : *trailers) {
        if (iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding") ||
            iequals(h.name, "host") || iequals(h.name, "connection") || iequals(h.name, "trailer"))
          continue;
        last.append(h.name).append(": ").append(h.value).append("\r\n");
      }
    last += "\r\n";
    bufs[count++] = last;
  }
  if (count) send(bufs, count);
  finish_answer(flow);
}

void ServerConnection::on_flow_abort(Flow& flow) {
  held_head_ = {};  // a head not out yet: the client sees the connection close
  // The answer cannot be completed: closing without the last chunk tells the
  // client it is truncated.
  keep_alive_ = false;
  finish_answer(flow);
  close();
}

void ServerConnection::write_answer(Flow& flow) {
  const Request& req = flow.request();
  Response& res = flow.response();
  bool head = req.method == std::string_view("HEAD");
  std::pmr::string out(&flow.arena());
  out.reserve(256 + res.headers.size() * 48);
  bool stream = flow.streaming();
  int64_t length = flow.content_length();
  append_response_head(out, res, {head, keep_alive_, req.version_minor, worker_.date_header(), stream, length});
  body_out_ = res.status == 101 || (!head && status_allows_body(res.status));
  chunked_ = stream && length < 0 && req.version_minor >= 1 && res.status != 101;
  if (stream && res.status != 101) {
    // Held back to go out with the first body bytes in one write; the
    // source flushes it at the end of its read if no bytes came.
    held_head_ = flow.arena().dup(out);
    return;
  }
  std::string_view bufs[2] = {out, res.body};
  size_t count = (stream || !body_out_ || res.body.empty()) ? 1 : 2;
  send(bufs, count);
}

void ServerConnection::on_flow_interim(Flow& flow, int status, const HeaderMap& headers) {
  if (closing_ || flow.request().version_minor < 1 || !held_head_.empty()) return;  // 1.0 clients get no 1xx
  std::pmr::string out(&flow.arena());
  out += "HTTP/1.1 ";
  out += std::string_view(std::to_string(status));
  out += ' ';
  out += reason_phrase(status);
  out += "\r\n";
  for (const Header& h : headers) {
    if (iequals(h.name, "connection") || iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding"))
      continue;
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  out += "\r\n";
  std::string_view bytes = out;
  send(&bytes, 1);
}

void ServerConnection::on_flow_flush() {
  if (held_head_.empty() || closing_) return;
  send(&held_head_, 1);
  held_head_ = {};
}

void ServerConnection::on_flow_settled() {
  on_flow_flush();
  if (flow_ && flow_->answered() && !in_process_) continue_pending();
}

void ServerConnection::on_write_done() {
  if (flow_ && flow_->stream_open()) flow_->on_client_drained();
  continue_pending();
}

void ServerConnection::end_flow() {
  if (!flow_) return;
  flow_.reset();
  worker_.active_requests->fetch_sub(1, std::memory_order_relaxed);
}

void ServerConnection::protocol_error(int status, std::string_view reason) {
  if (closing_) return;
  // Once the stream is not trustworthy, answer (if no answer went out yet) and close.
  keep_alive_ = false;
  bool answered = flow_ && flow_->answered();
  if (!answered) {
    Arena arena(64 * 1024);
    Response res(arena);
    res.status = status;
    res.headers.add_view("content-type", "application/json");
    Status st = Status::http(status, status == 431   ? "header_fields_too_large"
                                     : status == 414 ? "uri_too_long"
                                     : status == 413 ? "payload_too_large"
                                     : status == 408 ? "request_timeout"
                                                     : "bad_request",
                             std::string(reason));
    append_error_body(res.body, st, {});
    std::pmr::string out(&arena);
    append_response_head(out, res, {false, false, 1, worker_.date_header()});
    std::string_view bufs[2] = {out, res.body};
    send(bufs, 2);
    int64_t duration_ns = flow_ ? worker_.now_ns() - flow_->start_ns() : 0;
    if (worker_.metrics) {
      auto method = flow_ ? telemetry::method_class(flow_->request().method) : telemetry::Method::kOther;
      worker_.metrics->record(0, method, status, duration_ns);
    }
    if (worker_.access_log) log_access(flow_.get(), status, duration_ns, st.reason());
  }
  close(/*linger=*/true);
}

void ServerConnection::on_eof() {
  // A client that half-closes after its last request still gets its answer.
  if (flow_ && !flow_->answered() && message_done_) {
    keep_alive_ = false;
    return;
  }
  close();
}

void ServerConnection::on_timeout() {
  switch (timer_) {
    case Timer::kHeader:
    case Timer::kBody:
      timer_ = Timer::kNone;
      protocol_error(408, "request timed out");
      return;
    case Timer::kIdle:
    case Timer::kNone:
      close();
      return;
  }
}

void ServerConnection::begin_drain() {
  keep_alive_ = false;
  if (idle() && !parser_.in_message()) close();
}

void ServerConnection::close(bool linger) {
  if (closing_) return;
  closing_ = true;
  set_timer(Timer::kNone);
  transport_.close(linger);
}

void ServerConnection::set_timer(Timer timer) {
  timer_ = timer;
  const Limits& l = worker_.snapshot()->limits;
  switch (timer) {
    case Timer::kNone: transport_.arm_timer(0); break;
    case Timer::kIdle: transport_.arm_timer(l.idle_timeout_ms); break;
    case Timer::kHeader: transport_.arm_timer(l.header_timeout_ms); break;
    case Timer::kBody: transport_.arm_timer(l.body_timeout_ms); break;
  }
}

}  // namespace apigw::http
