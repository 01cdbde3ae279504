// MirrorCall: a fire-and-forget copy of a request to a shadow upstream.
//
// It owns a copy of the request bytes, so the primary request may finish
// (or fail) first; its answer is read and dropped. It never touches the
// primary exchange and frees itself when done, failed or timed out.
#pragma once

#include <memory>
#include <string>

#include "apigw/arena.hpp"
#include "http/response_parser.hpp"
#include "upstream/target_pool.hpp"
#include "upstream/worker_upstreams.hpp"

namespace apigw::upstream {

class MirrorCall final : public PoolWaiter, public UpstreamUser, public http::ResponseSink {
 public:
  // Starts the copy; `request` is the whole forwarded request (head + body).
  static void start(WorkerUpstreams& workers, const std::shared_ptr<const CompiledUpstream>& upstream,
                    std::string request, std::string_view method);
  // The worker is going away: give everything back now.
  void abort();

 private:
  MirrorCall(WorkerUpstreams& workers, std::shared_ptr<WorkerUpstreams::Entry> entry, std::string request,
             std::string_view method);
  ~MirrorCall() override = default;
  void finish();

  void on_pool_connection(UpstreamConnection& c) override;
  void on_pool_failure(int) override { finish(); }
  void on_upstream_connected(UpstreamConnection&) override {}
  void on_upstream_connect_failed(int) override { finish(); }
  void on_upstream_data(std::string_view data) override;
  void on_upstream_closed(int) override;
  void on_upstream_drained() override {}
  void on_upstream_timeout() override;

  Arena& arena() override { return arena_; }
  void on_interim(int, const HeaderMap&) override {}
  void on_head(int, uint8_t, HeaderMap&) override {}
  void on_body(std::string_view) override {}
  void on_trailers(HeaderMap&) override {}
  void on_complete() override { complete_ = true; }

  WorkerUpstreams& workers_;
  std::shared_ptr<WorkerUpstreams::Entry> entry_;
  std::string request_;
  Arena arena_;
  http::ResponseParser parser_;
  UpstreamConnection* conn_ = nullptr;
  TargetPool* pool_ = nullptr;
  int target_ = -1;
  bool complete_ = false;
};

}  // namespace apigw::upstream
