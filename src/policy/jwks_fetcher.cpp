#ifdef APIGW_WITH_TLS  // mbedTLS does the cryptography
#include "policy/jwks_fetcher.hpp"

#include <chrono>

namespace apigw::policy::jwt {
namespace {

int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

JwksFetcher::JwksFetcher(JwksFetchOptions options) : o_(std::move(options)) {
  thread_ = std::thread([this] { run(); });
}

JwksFetcher::~JwksFetcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_.store(true, std::memory_order_relaxed);
  }
  wake_.notify_one();
  thread_.join();
}

void JwksFetcher::request_refresh() noexcept {
  const int64_t now = now_ns();
  int64_t last = last_asked_ns_.load(std::memory_order_relaxed);
  if (now - last < o_.min_refresh_ms * 1'000'000) return;
  // One request per interval wins; only it takes the lock, to wake the thread.
  if (!last_asked_ns_.compare_exchange_strong(last, now, std::memory_order_relaxed)) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    asked_ = true;
  }
  wake_.notify_one();
}

void JwksFetcher::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_.load(std::memory_order_relaxed)) {
    asked_ = false;
    lock.unlock();
    last_asked_ns_.store(now_ns(), std::memory_order_relaxed);  // a fetch now counts as the asked-for one
    const bool good = fetch_once();
    lock.lock();
    // After a failure, try again as soon as an unknown kid would be allowed to.
    const auto wait = std::chrono::milliseconds(good ? o_.refresh_ms : std::min(o_.refresh_ms, o_.min_refresh_ms));
    wake_.wait_for(lock, wait, [this] { return asked_ || stopping_.load(std::memory_order_relaxed); });
  }
}

bool JwksFetcher::fetch_once() {
  net::FetchRequest request;
  request.timeout_ms = o_.timeout_ms;
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
