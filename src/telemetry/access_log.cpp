#include "telemetry/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

#include "core/background_thread.hpp"
#include "core/json_text.hpp"

namespace apigw::telemetry {
namespace {

// "2026-11-30T10:41:07.123Z"
void append_timestamp(std::string& out, int64_t wall_ns, SecondText& second) {
  int64_t secs = wall_ns / 1'000'000'000;
  if (secs != second.second) {
    auto t = static_cast<time_t>(secs);
    tm utc{};
    gmtime_r(&t, &utc);
    std::strftime(second.text, sizeof second.text, "%Y-%m-%dT%H:%M:%S", &utc);
    second.second = secs;
  }
  char buf[32];
  std::memcpy(buf, second.text, 19);
  size_t n = 19;
  int ms = static_cast<int>((wall_ns / 1'000'000) % 1000);
  buf[n++] = '.';
  buf[n++] = static_cast<char>('0' + ms / 100);
  buf[n++] = static_cast<char>('0' + ms / 10 % 10);
  buf[n++] = static_cast<char>('0' + ms % 10);
  buf[n++] = 'Z';
  out.push_back('"');
  out.append(buf, n);
  out.push_back('"');
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

// Milliseconds with three decimals (microsecond resolution).
void append_ms(std::string& out, double ms) {
  auto us = static_cast<uint64_t>(ms * 1000 + 0.5);
  append_uint(out, us / 1000);
  char frac[4] = {'.', static_cast<char>('0' + us / 100 % 10), static_cast<char>('0' + us / 10 % 10),
                  static_cast<char>('0' + us % 10)};
  out.append(frac, 4);
}

void field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  append_json_string(out, value);
}

}  // namespace

void append_access_line(std::string& out, const AccessRecord& r, SecondText& second) {
  out.append("{\"ts\":");
  append_timestamp(out, r.wall_ns, second);
  field(out, ",\"request_id\":", r.request_id);
  field(out, ",\"trace_id\":", r.trace_id);
  field(out, ",\"route\":", r.route);
  field(out, ",\"method\":", r.method);
  field(out, ",\"path\":", r.path);
  out.append(",\"status\":");
  append_uint(out, static_cast<uint64_t>(r.status < 0 ? 0 : r.status));
  out.append(",\"bytes_in\":");
  append_uint(out, r.bytes_in);
  out.append(",\"bytes_out\":");
  append_uint(out, r.bytes_out);
  out.append(",\"duration_ms\":");
  append_ms(out, r.duration_ms < 0 ? 0 : r.duration_ms);
  out.append(",\"upstream_ms\":");
  if (r.upstream_ms < 0) out.append("null");
  else append_ms(out, r.upstream_ms);
  field(out, ",\"upstream_target\":", r.upstream_target);
  field(out, ",\"consumer\":", r.consumer);
  field(out, ",\"client_ip\":", r.client_ip);
  field(out, ",\"error\":", r.error);
  out.append("}\n");
}

namespace {
int open_log(const std::string& path) {
  if (path == "-") return STDOUT_FILENO;
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}
}  // namespace

Result<std::unique_ptr<AccessLogWriter>> AccessLogWriter::open(const AccessLogOptions& options) {
  int fd = open_log(options.path);
  if (fd < 0)
    return Status(Code::kInvalidArgument, "cannot open access log \"" + options.path + "\": " + std::strerror(errno));
  return std::unique_ptr<AccessLogWriter>(new AccessLogWriter(options, fd));
}

AccessLogWriter::AccessLogWriter(AccessLogOptions options, int fd) : options_(std::move(options)), fd_(fd) {
  thread_ = start_background_thread([this] { run(); });
}

AccessLogWriter::~AccessLogWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  if (fd_ != STDOUT_FILENO && fd_ >= 0) ::close(fd_);
}

std::string AccessLogWriter::hand_off(std::string&& buffer, uint64_t lines) noexcept {
  std::string next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queued_bytes_ + buffer.size() > options_.max_queued_bytes) {
      dropped_.fetch_add(lines, std::memory_order_relaxed);
      buffer.clear();
      return std::move(buffer);
    }
    queued_bytes_ += buffer.size();
    try {
      queue_.push_back({std::move(buffer), lines});
    } catch (...) {
      dropped_.fetch_add(lines, std::memory_order_relaxed);
    }
    if (!spare_.empty()) {
      next = std::move(spare_.back());
      spare_.pop_back();
    }
    // Waking the writer is a context switch (on a pinned process, the
    // worker's own core): only for a good batch; the rest waits kMaxDelay.
    if (queued_bytes_ < kWakeBytes) return next;
  }
  wake_.notify_one();
  return next;  // empty with its old capacity, or a new string that grows on first use
}

void AccessLogWriter::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait_for(lock, kMaxDelay, [this] { return stopping_ || queued_bytes_ >= kWakeBytes; });
    if (queue_.empty() && stopping_) return;  // everything written
    // Once awake, write everything that waits.
    while (!queue_.empty()) {
      Batch batch = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= batch.data.size();
      lock.unlock();
      if (reopen_.exchange(false, std::memory_order_acq_rel)) reopen_file();
      write_all(batch.data);
      written_.fetch_add(batch.lines, std::memory_order_relaxed);
      batch.data.clear();
      lock.lock();
      if (spare_.size() < kMaxSpares) spare_.push_back(std::move(batch.data));
    }
  }
}

void AccessLogWriter::write_all(const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk or a closed stdout: the lines are lost, the gateway goes on
    off += static_cast<size_t>(n);
  }
}

void AccessLogWriter::reopen_file() {
  if (options_.path == "-") return;
  int fd = open_log(options_.path);
  if (fd < 0) return;  // keep writing to the old file rather than nowhere
  ::close(fd_);
  fd_ = fd;
}

bool AccessLogBuffer::sampled() noexcept {
  double ratio = writer_.options().sample_ratio;
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  rng_ ^= rng_ << 13;  // xorshift64: a per-worker stream, no shared state
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  return static_cast<double>(rng_ >> 11) * 0x1.0p-53 < ratio;
}

}  // namespace apigw::telemetry
