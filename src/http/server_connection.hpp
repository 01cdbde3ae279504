// ServerConnection: one client connection speaking HTTP/1.1, over a Transport.
//
// Requests are parsed and answered one at a time, in order: after each
// message the parser stops until its answer has been handed to the transport,
// so pipelined requests are answered in order and a slow handler holds back
// (rather than buffers) what follows. Idle, it holds no request memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/flow.hpp"
#include "core/worker_context.hpp"
#include "http/request_parser.hpp"
#include "net/transport.hpp"

namespace apigw::http {

class ServerConnection final : public RequestSink, public FlowHost, public TransportReceiver {
 public:
  ServerConnection(Transport& transport, WorkerContext& worker);
  ~ServerConnection() override;

  // Transport events.
  void on_read(const char* data, size_t len) override;
  void on_eof() override;
  void on_timeout() override;
  void on_write_done() override;

  // Stop keep-alive; close at once when idle.
  void begin_drain();
  bool idle() const noexcept { return !flow_ && pending_.empty(); }
  bool closing() const noexcept { return closing_; }

 private:
  enum class Timer : uint8_t { kNone, kIdle, kHeader, kBody };

  // RequestSink
  Request& on_message_begin() override;
  Arena& arena() override { return flow_->arena(); }
  void on_head_complete() override;
  void on_body(std::string_view chunk) override;
  void on_message_complete() override;
  // FlowHost
  void on_flow_answer(Flow& flow) override;
  void on_flow_wants_body(Flow& flow) override;
  void on_flow_settled() override;
  void on_flow_wants_input() override;
  void on_flow_flush() override;
  void on_flow_interim(Flow& flow, int status, const HeaderMap& headers) override;
  void start_tunnel(Flow& flow);
  bool on_flow_data(Flow& flow, std::string_view data) override;
  void on_flow_end(Flow& flow) override;
  void on_flow_abort(Flow& flow) override;
  void finish_answer(Flow& flow);
  void send(const std::string_view* bufs, size_t count);
  void log_access(const Flow* flow, int status, int64_t duration_ns, std::string_view error);
  void export_trace(Flow& flow, int64_t duration_ns);

  void process(const char* data, size_t len);
  void continue_pending();
  void protocol_error(int status, std::string_view reason);
  void write_answer(Flow& flow);
  void end_flow();
  void close(bool linger = false);
  void set_timer(Timer timer);

  Transport& transport_;
  WorkerContext& worker_;
  RequestParser parser_;
  std::unique_ptr<Flow> flow_;
  std::string pending_;  // unparsed bytes held while an answer is outstanding
  Timer timer_ = Timer::kNone;
  bool parser_paused_ = false;
  bool message_done_ = false;
  bool head_done_ = false;
  bool keep_alive_ = true;
  bool sent_continue_ = false;
  bool closing_ = false;
  bool in_process_ = false;
  std::string_view held_head_;  // a streamed answer's head, in its flow's arena
  bool tunnel_ = false;    // after a 101: bytes pass both ways untouched
  bool chunked_ = false;   // the answer in progress is a stream: chunked encoding
  uint64_t bytes_out_ = 0;  // of the answer in progress
  bool body_out_ = true;   // the answer in progress may carry body bytes (not HEAD, 204, 304)
};

}  // namespace apigw::http
