#include "core/worker_context.hpp"

#include <ctime>

namespace apigw {

WorkerContext::WorkerContext(std::shared_ptr<SnapshotSource> source,
                             std::shared_ptr<detail::ResumeQueue> queue,
                             std::atomic<uint64_t>* active)
    : active_requests(active), source_(std::move(source)), queue_(std::move(queue)) {}

const std::shared_ptr<const Snapshot>& WorkerContext::snapshot() {
  uint64_t v = source_->version();
  if (v != seen_version_) {
    snapshot_ = source_->load();
    seen_version_ = v;
  }
  return snapshot_;
}

std::string_view WorkerContext::date_header() {
  int64_t now = snapshot()->clock->wall_ns() / 1'000'000'000;
  if (now != date_second_) {
    date_second_ = now;
    time_t t = static_cast<time_t>(now);
    struct tm tm;
    gmtime_r(&t, &tm);
    date_len_ = strftime(date_, sizeof date_, "date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
  }
  return {date_, date_len_};
}

}  // namespace apigw
