#include "upstream/mirror_call.hpp"

#include <vector>

namespace apigw::upstream {

void MirrorCall::start(WorkerUpstreams& workers, const std::shared_ptr<const CompiledUpstream>& upstream,
                       std::string request, std::string_view method) {
  auto* m = new MirrorCall(workers, workers.get(upstream), std::move(request), method);
  std::vector<uint8_t> eligible(upstream->addresses.size());
  if (upstream->shared->health->fill_eligible(eligible.data(), 0) == 0) return m->finish();
  m->target_ = m->entry_->balancer->pick(eligible.data(), workers.random());
  if (m->target_ < 0) return m->finish();
  m->pool_ = m->entry_->pools[static_cast<size_t>(m->target_)].get();
  m->pool_->acquire(*m);
}

MirrorCall::MirrorCall(WorkerUpstreams& workers, std::shared_ptr<WorkerUpstreams::Entry> entry, std::string request,
                       std::string_view method)
    : workers_(workers), entry_(std::move(entry)), request_(std::move(request)), arena_(64 * 1024), parser_(*this) {
  parser_.expect(method);
  workers_.track(this);
}

void MirrorCall::abort() {
  if (pool_ && !conn_) pool_->cancel(*this);
  on_upstream_timeout();
}

void MirrorCall::on_pool_connection(UpstreamConnection& c) {
  conn_ = &c;
  conn_->set_user(this);
  conn_->count_request();
  std::string_view bytes = request_;
  conn_->write(&bytes, 1);
  if (conn_) conn_->set_deadline(entry_->upstream->options.timeouts.response_ms);
}

void MirrorCall::on_upstream_data(std::string_view data) {
  http::ResponseParser::State state;
  size_t n = 0;
  try {
    n = parser_.feed(data.data(), data.size(), &state);
  } catch (...) {
    state = http::ResponseParser::State::kError;
  }
  if (state == http::ResponseParser::State::kNeedMore) return;
  bool reusable = state == http::ResponseParser::State::kComplete && n == data.size() && parser_.keep_alive();
  UpstreamConnection* c = conn_;
  conn_ = nullptr;
  c->set_deadline(0);
  pool_->release(*c, reusable);
  finish();
}

void MirrorCall::on_upstream_closed(int) {
  conn_ = nullptr;  // gone already
  finish();
}

void MirrorCall::on_upstream_timeout() {
  UpstreamConnection* c = conn_;
  conn_ = nullptr;
  if (c) pool_->release(*c, false);
  finish();
}

void MirrorCall::finish() {
  workers_.untrack(this);
  delete this;
}

}  // namespace apigw::upstream
