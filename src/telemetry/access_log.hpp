// Access log: one JSON line per request, written off the request path.
//
// Each worker formats its lines into a buffer of its own (no lock per
// request) and, once per loop turn, hands the filled buffer to the writer
// thread, which writes it to stdout or a file: woken once 64 KiB wait, else
// within 200 ms, so a busy worker does not pay a thread switch per turn. When the writer falls behind
// by more than max_queued_bytes, a handed-off buffer is dropped and its lines
// counted instead: a slow disk never delays a request. reopen() (SIGUSR1)
// makes the writer open the file again before its next write, for rotation.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "apigw/gateway.hpp"
#include "apigw/status.hpp"

namespace apigw::telemetry {

// What one line says (SPEC.md section 4). Views stay valid while it is written.
struct AccessRecord {
  int64_t wall_ns = 0;  // when the request head was complete
  std::string_view request_id, trace_id, route, method, path;
  int status = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
  double duration_ms = 0;
  double upstream_ms = -1;  // < 0: no upstream was tried
  std::string_view upstream_target, consumer, client_ip, error;
};

// "YYYY-MM-DDTHH:MM:SS" of the second last formatted: lines within one
// second reuse it instead of calling gmtime and strftime again.
struct SecondText {
  int64_t second = -1;
  char text[20] = {};
};

// Appends the record as one JSON object and a newline.
void append_access_line(std::string& out, const AccessRecord& r, SecondText& second);

class AccessLogWriter {
 public:
  static Result<std::unique_ptr<AccessLogWriter>> open(const AccessLogOptions& options);
  ~AccessLogWriter();  // writes what is queued, then stops the thread

  // A worker's filled buffer of `lines` lines; returns an empty buffer to fill next.
  std::string hand_off(std::string&& buffer, uint64_t lines) noexcept;
  // Any thread: the file is opened again before the next write.
  void reopen() noexcept { reopen_.store(true, std::memory_order_release); }

  uint64_t written_lines() const noexcept { return written_.load(std::memory_order_relaxed); }
  uint64_t dropped_lines() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  const AccessLogOptions& options() const noexcept { return options_; }

 private:
  AccessLogWriter(AccessLogOptions options, int fd);
  void run();
  void write_all(const std::string& data);
  void reopen_file();

  struct Batch {
    std::string data;
    uint64_t lines;
  };
  // The writer is woken once this much waits, else every kMaxDelay.
  static constexpr uint64_t kWakeBytes = 64 * 1024;
  static constexpr std::chrono::milliseconds kMaxDelay{200};
  static constexpr size_t kMaxSpares = 16;  // buffers handed back to workers
  AccessLogOptions options_;
  int fd_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Batch> queue_;
  uint64_t queued_bytes_ = 0;
  std::vector<std::string> spare_;  // written buffers, handed back to workers
  bool stopping_ = false;
  std::atomic<bool> reopen_{false};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> dropped_{0};
  std::thread thread_;
};

// One worker's side: lines gathered during a loop turn, handed off at its end.
class AccessLogBuffer {
 public:
  explicit AccessLogBuffer(AccessLogWriter& writer) : writer_(writer) { buffer_.reserve(kReserve); }

  // Whether this request is logged (sample_ratio), decided per request.
  bool sampled() noexcept;
  void add(const AccessRecord& r) {
    append_access_line(buffer_, r, second_);
    ++lines_;
  }
  // Loop turn's end: hand what was gathered to the writer.
  void flush() noexcept {
    if (lines_ == 0) return;
    buffer_ = writer_.hand_off(std::move(buffer_), lines_);
    lines_ = 0;
  }

 private:
  static constexpr size_t kReserve = 64 * 1024;
  AccessLogWriter& writer_;
  std::string buffer_;
  uint64_t lines_ = 0;
  SecondText second_;
  uint64_t rng_ = 0x9e3779b97f4a7c15ULL;
};

}  // namespace apigw::telemetry
