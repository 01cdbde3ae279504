// Keeps a JWK Set fetched from an identity provider, on a thread of its own.
//
// Requests read the current set with one atomic shared_ptr load, never a
// lock. The thread fetches at start, every refresh_ms, and sooner when a
// request met an unknown kid (wait_for_keys: at most one fetch started per
// min_refresh_ms, one fetch at a time); such requests wait, paused, for
// the fetch to end. A fetch that fails, or a document with no usable key,
// keeps the last good set. The policy state registry keeps a fetcher, and
// so its keys, across config reloads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include <functional>
#include <vector>

#include "apigw/exchange.hpp"
#include "net/http_fetch.hpp"
#include "policy/jwks.hpp"

namespace apigw::policy::jwt {

struct JwksFetchOptions {
  net::HttpUrl url;
  int64_t refresh_ms = 300000;
  int64_t min_refresh_ms = 10000;
  int64_t timeout_ms = 5000;
  AlgMask accepted = 0;
};

class JwksFetcher {
 public:
  explicit JwksFetcher(JwksFetchOptions options);
  ~JwksFetcher();  // stops the thread; an ongoing fetch is cancelled
  JwksFetcher(const JwksFetcher&) = delete;
  JwksFetcher& operator=(const JwksFetcher&) = delete;

  // Null until the first good fetch.
  KeySetPtr keys() const noexcept { return keys_.load(std::memory_order_acquire); }

  // At most this many requests wait for a fetch; more are refused at once.
  static constexpr size_t kMaxWaiters = 1000;

  // Any thread. Parks a token made by `pause` until the fetch in progress,
  // or one started now, ends, then retries it (ResumeToken::retry) whether
  // the fetch brought keys or not. False, without calling `pause`, when no
  // fetch is running and none may start yet (min_refresh_ms since the last
  // one began), or kMaxWaiters already wait.
  bool wait_for_keys(const std::function<ResumeToken()>& pause);

  // A reload that keeps this fetcher may change these; from the next wait.
  void set_timing(int64_t refresh_ms, int64_t min_refresh_ms, int64_t timeout_ms);

  uint64_t fetches_ok() const noexcept { return ok_.load(std::memory_order_relaxed); }
  uint64_t fetches_failed() const noexcept { return failed_.load(std::memory_order_relaxed); }

 private:
  void run();
  bool fetch_once(int64_t timeout_ms);

  JwksFetchOptions o_;  // timings under mu_ (set_timing); url and accepted fixed
  std::atomic<KeySetPtr> keys_;
  std::atomic<uint64_t> ok_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  // Under mu_:
  bool asked_ = false;
  bool fetching_ = false;
  int64_t last_start_ns_ = INT64_MIN / 2;
  std::vector<ResumeToken> waiters_;
  std::thread thread_;
};

}  // namespace apigw::policy::jwt
