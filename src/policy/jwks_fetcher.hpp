// Keeps a JWK Set fetched from an identity provider, on a thread of its own.
//
// Requests read the current set with one atomic shared_ptr load, never a
// lock. The thread fetches at start, every refresh_ms, and sooner when a
// request met an unknown kid (request_refresh: at most once per
// min_refresh_ms, one fetch at a time). A fetch that fails, or a document
// with no usable key, keeps the last good set.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

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

  // Any thread; cheap when rate-limited (one atomic load).
  void request_refresh() noexcept;

  uint64_t fetches_ok() const noexcept { return ok_.load(std::memory_order_relaxed); }
  uint64_t fetches_failed() const noexcept { return failed_.load(std::memory_order_relaxed); }

 private:
  void run();
  bool fetch_once();

  JwksFetchOptions o_;
  std::atomic<KeySetPtr> keys_;
  std::atomic<int64_t> last_asked_ns_{INT64_MIN / 2};
  std::atomic<uint64_t> ok_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  bool asked_ = false;  // under mu_
  std::thread thread_;
};

}  // namespace apigw::policy::jwt
