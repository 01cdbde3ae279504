// ProxyCall: one request forwarded to an upstream, with its tries.
//
//   pick a target (balancer, health) -> pooled connection -> send head + body
//   -> response head (may retry: a status listed in retries.on)
//   -> body streamed to the client, upstream reads paused while the client lags
//
// A failed try (connect failure, reset before the head, a listed status) is
// retried on another target when attempts, the retry budget and the method
// allow it, after a jittered backoff. Each try's outcome feeds the target's
// passive health. A Flow owns its ProxyCall; destroying it (the client left)
// gives everything back.
#pragma once

#include <uv.h>

#include <memory>
#include <memory_resource>
#include <vector>

#include "apigw/status.hpp"
#include "core/recycled.hpp"
#include "telemetry/trace_context.hpp"
#include "http/response_parser.hpp"
#include "upstream/compiled_upstream.hpp"
#include "upstream/target_pool.hpp"
#include "upstream/worker_upstreams.hpp"

namespace apigw {
class Flow;
}

namespace apigw::upstream {

class ProxyCall final : public PoolWaiter,
                        public UpstreamUser,
                        public http::ResponseSink,
                        public Recycled<ProxyCall> {
 public:
  ProxyCall(Flow& flow, WorkerUpstreams& workers, std::shared_ptr<const CompiledUpstream> upstream,
            const RewriteOptions& rewrite);
  ~ProxyCall() override;
  ProxyCall(const ProxyCall&) = delete;
  ProxyCall& operator=(const ProxyCall&) = delete;

  void start();
  // For the access log: the target of the last try ("" before one) and the
  // time from the first try to the answer's head (-1 before a head came).
  std::string_view target_name() const noexcept;
  int64_t upstream_ns() const noexcept { return head_ns_ < 0 ? -1 : head_ns_ - first_try_ns_; }
  // The client has taken what was written: read on from the upstream.
  void on_client_drained();
  // Tunnel (after 101): client bytes for the upstream; false while it lags.
  bool tunnel_in(std::string_view data);
  // A streamed request body: a piece (false while the upstream lags), the end.
  bool body_data(std::string_view data);
  void body_end();

 private:
  enum class Failure : uint8_t { kConnect, kReset, kStatus, kTimeout, kProtocol, kNoTarget, kOverloaded };

  // PoolWaiter
  void on_pool_connection(UpstreamConnection& c) override;
  void on_pool_failure(int uv_error) override;
  // UpstreamUser
  void on_upstream_connected(UpstreamConnection&) override {}
  void on_upstream_connect_failed(int uv_error) override { on_pool_failure(uv_error); }
  void on_upstream_data(std::string_view data) override;
  void on_upstream_closed(int uv_error) override;
  void on_upstream_drained() override;
  void on_upstream_timeout() override;
  // ResponseSink
  Arena& arena() override;
  void on_interim(int status, const HeaderMap& headers) override;
  void on_head(int status, uint8_t version_minor, HeaderMap& headers) override;
  void on_body(std::string_view chunk) override;
  void on_trailers(HeaderMap& trailers) override;
  void on_complete() override;

  void next_try();
  void send();
  void end_in_flight() noexcept;  // the try no longer counts in entry_->in_flight
  // `retry_decided`: a retry slot is already held for this failure (a listed status).
  void try_failed(Failure failure, int status = 0, bool retry_decided = false);
  void release_retry_slot();
  void count_try(telemetry::TryOutcome outcome, int status = 0);
  bool may_retry(Failure failure, int status) const;
  void give_back_connection(bool reusable);
  void fail_request(Failure failure, int status);
  void start_backoff(uint64_t ms);
  static void on_backoff_done(uv_timer_t* t);
  void tunnel_out(std::string_view data);

  Flow& flow_;
  WorkerUpstreams& workers_;
  std::shared_ptr<const CompiledUpstream> upstream_;
  std::shared_ptr<WorkerUpstreams::Entry> entry_;
  const RewriteOptions& rewrite_;
  http::ResponseParser parser_;
  std::pmr::vector<uint8_t> tried_;     // per target; in the flow's arena
  std::pmr::vector<uint8_t> eligible_;
  UpstreamConnection* conn_ = nullptr;
  TargetPool* waiting_on_ = nullptr;
  uv_timer_t* backoff_timer_ = nullptr;  // made only when a retry waits
  int target_ = -1;
  int counted_target_ = -1;  // the try counted in entry_->in_flight, until it ends
  uint32_t tries_ = 0;
  int64_t try_start_ns_ = 0;
  bool retry_slot_ = false;
  bool head_sent_ = false;       // the response head went to the client
  bool suppress_body_ = false;   // a retried response's body is dropped
  int suppressed_status_ = 0;
  uint32_t retry_after_ms_ = 0;   // the origin's Retry-After for the next try
  int64_t first_try_ns_ = -1;     // retries stay within one response_ms of it
  int64_t head_ns_ = -1;          // the answer's head arrived (the try that counts)
  telemetry::SpanId try_span_{};  // the current try's span (tracing on)
  bool done_ = false;
  bool counted_ = false;
  bool tunnel_ = false;  // 101 Switching Protocols: bytes flow both ways untouched
  // Streamed request body: held until the head is written, then passed on.
  void write_body(std::string_view data);
  bool streams_body_ = false;
  bool chunked_body_ = false;    // re-chunked to the upstream (the client sent it chunked)
  bool head_written_ = false;
  bool body_ended_ = false;
  bool body_written_ = false;    // some body went out: the request cannot be tried again
  std::string held_body_;
};

}  // namespace apigw::upstream
