// rate_limit (store "local"): GCRA, exact across the workers of one process.
//
// One TAT per key, updated with compare-and-swap. Keys live in shards; a
// shard's lock is held only to find or insert a key, never for the decision.
#include <algorithm>
#include <charconv>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"
#include "policy/gcra.hpp"

namespace apigw::policy {
namespace {

// A number's decimal digits, without a temporary string.
class Digits {
 public:
  explicit Digits(int64_t v) : len_(static_cast<size_t>(std::to_chars(buf_, buf_ + sizeof buf_, v).ptr - buf_)) {}
  std::string_view view() const { return {buf_, len_}; }

 private:
  char buf_[24];
  size_t len_;
};

struct Outcome {
  bool decided = false;
  GcraDecision d{};
};

class KeyStore {
 public:
  explicit KeyStore(size_t max_keys) : per_shard_(std::max<size_t>(1, max_keys / kShards)) {}

  std::atomic<int64_t>* slot(std::string_view key, int64_t now) {
    Shard& s = shards_[std::hash<std::string_view>()(key) % kShards];
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.map.find(std::string(key));
    if (it != s.map.end()) return it->second.get();
    if (s.map.size() >= per_shard_) {
      // Forget keys whose bucket is full again: they carry no state.
      for (auto i = s.map.begin(); i != s.map.end();)
        i = i->second->load(std::memory_order_relaxed) <= now ? s.map.erase(i) : std::next(i);
      if (s.map.size() >= per_shard_) return nullptr;
    }
    auto [pos, ok] = s.map.emplace(std::string(key), std::make_unique<std::atomic<int64_t>>(0));
    return pos->second.get();
  }

 private:
  static constexpr size_t kShards = 64;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, std::unique_ptr<std::atomic<int64_t>>> map;
  };
  size_t per_shard_;
  Shard shards_[kShards];
};

class RateLimit final : public Policy {
 public:
  explicit RateLimit(RateLimitOptions o)
      : o_(std::move(o)),
        params_{static_cast<int64_t>(o_.window_ms * 1'000'000 / std::max<uint64_t>(o_.limit, 1)),
                static_cast<int64_t>(o_.limit + o_.burst)},
        store_(std::make_shared<KeyStore>(o_.max_keys)) {
    // The header values that do not change, made once.
    std::string window = std::to_string((o_.window_ms + 999) / 1000);
    limit_text_ = std::to_string(o_.limit);
    policy_text_ = o_.headers == RateLimitOptions::HeadersMode::kIetf
                       ? "\"" + o_.name + "\";q=" + limit_text_ + ";w=" + window
                       : limit_text_ + ";w=" + window;
  }

  std::string_view type() const noexcept override { return "rate_limit"; }

  Decision on_request(Exchange& ex) const noexcept override {
    std::string_view key;
    switch (o_.key) {
      case RateLimitOptions::Key::kIp: key = ex.request().client_ip; break;
      case RateLimitOptions::Key::kRoute: key = ex.route().name; break;
      case RateLimitOptions::Key::kConsumer: key = ex.consumer(); break;
      case RateLimitOptions::Key::kHeader: key = ex.request().headers.get(o_.key_header); break;
    }
    int64_t now = ex.start_ns();
    std::atomic<int64_t>* tat = store_->slot(key, now);
    if (!tat) return Decision::kContinue;  // key table full of active keys: fail open
    Outcome& out = ex.ctx<Outcome>();
    out.decided = true;
    int64_t current = tat->load(std::memory_order_acquire);
    for (;;) {
      out.d = gcra_decide(params_, current, now);
      if (!out.d.allowed) break;
      if (tat->compare_exchange_weak(current, out.d.new_tat, std::memory_order_acq_rel)) break;
    }
    if (out.d.allowed) return Decision::kContinue;
    return ex.fail(Status::http(429, "rate_limited", "rate limit exceeded"));
  }

  Decision on_response(Exchange& ex) const noexcept override {
    const Outcome& out = ex.ctx<Outcome>();
    if (!out.decided || o_.headers == RateLimitOptions::HeadersMode::kNone) {
      if (out.decided && !out.d.allowed) add_retry_after(ex, out);
      return Decision::kContinue;
    }
    HeaderMap& h = ex.response().headers;
    Digits reset(seconds_up(out.d.reset_ns));
    Digits remaining(out.d.remaining);
    if (o_.headers == RateLimitOptions::HeadersMode::kLegacy) {
      // The policy outlives the request: its own texts go in as views.
      h.set_view("ratelimit-limit", limit_text_);
      h.set("ratelimit-remaining", remaining.view());
      h.set("ratelimit-reset", reset.view());
      h.set_view("ratelimit-policy", policy_text_);
    } else {
      std::pmr::string v(&ex.arena());
      v.append("\"").append(o_.name).append("\";r=").append(remaining.view()).append(";t=").append(reset.view());
      h.set("ratelimit", v);
      h.set_view("ratelimit-policy", policy_text_);
    }
    if (!out.d.allowed) add_retry_after(ex, out);
    return Decision::kContinue;
  }

 private:
  static int64_t seconds_up(int64_t ns) { return ns <= 0 ? 0 : (ns + 999'999'999) / 1'000'000'000; }
  static void add_retry_after(Exchange& ex, const Outcome& out) {
    ex.response().headers.set("retry-after", std::to_string(std::max<int64_t>(1, seconds_up(out.d.retry_after_ns))));
  }

  RateLimitOptions o_;
  std::string limit_text_;
  std::string policy_text_;
  GcraParams params_;
  std::shared_ptr<KeyStore> store_;
};

}  // namespace

PolicyPtr make_rate_limit(RateLimitOptions options) { return std::make_shared<RateLimit>(std::move(options)); }

}  // namespace apigw::policy
