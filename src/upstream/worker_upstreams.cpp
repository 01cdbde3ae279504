#include "upstream/worker_upstreams.hpp"

#include <vector>

#include "upstream/mirror_call.hpp"

namespace apigw::upstream {

WorkerUpstreams::WorkerUpstreams(uv_loop_t* loop, char* read_buffer, size_t read_buffer_size)
    : loop_(loop), read_buffer_(read_buffer), read_buffer_size_(read_buffer_size), rng_(std::random_device{}()) {}

WorkerUpstreams::~WorkerUpstreams() {
  std::vector<MirrorCall*> live(mirrors_.begin(), mirrors_.end());
  for (MirrorCall* m : live) m->abort();
}

const std::shared_ptr<WorkerUpstreams::Entry>& WorkerUpstreams::get(const std::shared_ptr<const CompiledUpstream>& u) {
  const UpstreamOptions& o = u->options;
  std::shared_ptr<Entry>& slot = entries_[o.name];
  if (slot && slot->upstream == u) return slot;
  // New, or replaced by a reload: a new balancer; pools of kept targets stay.
  slot = std::make_shared<Entry>();
  Entry& e = *slot;
  e.upstream = u;
  std::unique_ptr<Selector> host = o.selector ? o.selector(o.targets) : nullptr;
  e.balancer = host ? make_host_balancer(std::move(host), u->target_names.size())
                    : make_balancer(o.balance, u->weights, u->target_names, rng_());
  e.in_flight = u->shared->in_flight->add_block(u->shared->targets);
  PoolLimits limits{o.max_connections_per_target, o.circuit_breaker.max_pending, o.timeouts.connect_ms,
                    o.timeouts.idle_ms};
  for (size_t i = 0; i < u->addresses.size(); ++i) {
    // TLS or not is part of the key: a reload that turns it on never reuses a plain connection.
    auto& pool = pools_[o.name + "|" + u->target_names[i] + (o.tls ? "|tls" : "")];
    if (!pool) pool = std::make_shared<TargetPool>(loop_, u->addresses[i], read_buffer_, read_buffer_size_);
    pool->set_limits(limits);
#if APIGW_WITH_TLS
    pool->set_tls(u->tls, u->tls ? u->tls_server_names[i] : std::string());
#endif
    e.pools.push_back(pool);
  }
  return slot;
}

}  // namespace apigw::upstream
