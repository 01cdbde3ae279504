// MemoryTransport: a Transport that keeps written bytes in memory.
// Used by apigw::testing and by the fuzz targets.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "core/worker_context.hpp"
#include "http/server_connection.hpp"
#include "net/transport.hpp"

namespace apigw::testing {

class MemoryTransport final : public Transport {
 public:
  void write(const std::string_view* bufs, size_t count) override {
    for (size_t i = 0; i < count; ++i) output.append(bufs[i]);
  }
  bool write_pending() const noexcept override { return false; }
  void pause_reading() override { reading = false; }
  void resume_reading() override { reading = true; }
  void arm_timer(uint64_t ms) override { timer_ms = ms; }
  void close(bool) override { closed = true; }
  std::string_view peer_ip() const noexcept override { return "127.0.0.1"; }

  std::string output;
  uint64_t timer_ms = 0;
  bool reading = true;
  bool closed = false;
};

// A worker without a loop: the caller drives it.
class MemoryWorker {
 public:
  explicit MemoryWorker(std::shared_ptr<const Snapshot> snapshot);

  // Feeds `bytes` to a new connection and settles everything that can be
  // settled, waiting up to `wait_ms` for answers from other threads.
  void run_connection(std::string_view bytes, MemoryTransport& transport, int64_t wait_ms);
  // Feeds `bytes` in reads of `chunk` bytes, then fires the connection's
  // timer once; never waits (for the fuzz targets).
  void run_chunks(std::string_view bytes, size_t chunk, MemoryTransport& transport);

 private:
  void drain();

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  std::atomic<uint64_t> active_{0};
  std::shared_ptr<SnapshotSource> source_;
  std::shared_ptr<detail::ResumeQueue> queue_;
  WorkerContext context_;
};

}  // namespace apigw::testing
