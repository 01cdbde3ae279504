#ifdef APIGW_WITH_TLS  // mbedTLS does the cryptography
#include "policy/jwks_fetcher.hpp"

#include <chrono>

#include "core/background_thread.hpp"

namespace apigw::policy::jwt {
namespace {

int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

JwksFetcher::JwksFetcher(JwksFetchOptions options) : o_(std::move(options)) {
  thread_ = start_background_thread([this] { run(); });
}

JwksFetcher::~JwksFetcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_.store(true, std::memory_order_relaxed);
  }
  wake_.notify_one();
  thread_.join();
  // Waiters hold the snapshot that holds this fetcher, so none should be
  // left; any that is decides again rather than failing with a 500.
  for (ResumeToken& t : waiters_) t.retry();
}

bool JwksFetcher::wait_for_keys(const std::function<ResumeToken()>& pause) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_.load(std::memory_order_relaxed) || waiters_.size() >= kMaxWaiters) return false;
    if (!fetching_ && !asked_) {
      const int64_t now = now_ns();
      if (now - last_start_ns_ < o_.min_refresh_ms * 1'000'000) return false;
      asked_ = wake = true;
      last_start_ns_ = now;  // counts from here, so a slow wake-up cannot let a second one in
    }
    try {
      waiters_.push_back(pause());
    } catch (...) {
      return false;  // a pause that could not be recorded was not begun
    }
  }
  if (wake) wake_.notify_one();
  return true;
}

void JwksFetcher::set_timing(int64_t refresh_ms, int64_t min_refresh_ms, int64_t timeout_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  o_.refresh_ms = refresh_ms;
  o_.min_refresh_ms = min_refresh_ms;
  o_.timeout_ms = timeout_ms;
}

void JwksFetcher::run() {
  std::vector<ResumeToken> done;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_.load(std::memory_order_relaxed)) {
    asked_ = false;
    fetching_ = true;
    last_start_ns_ = now_ns();
    const int64_t timeout_ms = o_.timeout_ms;
    lock.unlock();
    const bool good = fetch_once(timeout_ms);
    lock.lock();
    fetching_ = false;
    // The new set is stored before the waiters run again, on their workers.
    done.swap(waiters_);
    lock.unlock();
    for (ResumeToken& t : done) t.retry();
    done.clear();
    lock.lock();
    // After a failure, try again as soon as an unknown kid would be allowed to.
    const auto wait = std::chrono::milliseconds(good ? o_.refresh_ms : std::min(o_.refresh_ms, o_.min_refresh_ms));
    wake_.wait_for(lock, wait, [this] { return asked_ || stopping_.load(std::memory_order_relaxed); });
  }
}

bool JwksFetcher::fetch_once(int64_t timeout_ms) {
  net::FetchRequest request;
  request.timeout_ms = timeout_ms;
  request.max_body_bytes = 1 << 20;
  request.cancel = &stopping_;
  auto answer = net::http_fetch(o_.url, request);
  bool good = answer && answer->status == 200;
  if (good) {
    auto set = parse_jwks(answer->body, o_.accepted, nullptr);
    good = set && !set.value()->keys.empty();
    if (good) keys_.store(std::move(set.value()), std::memory_order_release);
  }
  (good ? ok_ : failed_).fetch_add(1, std::memory_order_relaxed);
  return good;
}

}  // namespace apigw::policy::jwt
#endif  // APIGW_WITH_TLS
