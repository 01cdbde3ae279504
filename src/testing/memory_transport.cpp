#include "testing/memory_transport.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

namespace apigw::testing {

MemoryWorker::MemoryWorker(std::shared_ptr<const Snapshot> snapshot)
    : source_(std::make_shared<SnapshotSource>(std::move(snapshot))),
      queue_(std::make_shared<detail::ResumeQueue>([this] {
        std::lock_guard<std::mutex> lock(mu_);
        woken_ = true;
        cv_.notify_all();
      })),
      context_(source_, queue_, &active_) {}

void MemoryWorker::drain() {
  queue_->apply_pushed();
  queue_->settle_deferred();
}

void MemoryWorker::run_connection(std::string_view bytes, MemoryTransport& transport, int64_t wait_ms) {
  std::optional<http::ServerConnection> conn;
  conn.emplace(transport, context_);
  // Bytes arrive only while the connection reads, as from a socket.
  size_t fed = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    if (transport.closed) break;
    if (fed < bytes.size() && transport.reading) {
      conn->on_read(bytes.data() + fed, bytes.size() - fed);
      fed = bytes.size();
      continue;
    }
    drain();
    if (transport.closed || (conn->idle() && fed == bytes.size())) break;
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_until(lock, deadline, [this] { return woken_; })) break;
    woken_ = false;
  }
  conn.reset();
  drain();  // late resumes for the dead connection are dropped here
}

void MemoryWorker::run_chunks(std::string_view bytes, size_t chunk, MemoryTransport& transport) {
  std::optional<http::ServerConnection> conn;
  conn.emplace(transport, context_);
  size_t fed = 0;
  while (fed < bytes.size() && !transport.closed) {
    size_t n = std::min(chunk, bytes.size() - fed);
    conn->on_read(bytes.data() + fed, n);
    fed += n;
    drain();
  }
  if (!transport.closed && transport.timer_ms) conn->on_timeout();
  conn.reset();
  drain();
}

}  // namespace apigw::testing
