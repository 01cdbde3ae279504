// State of stateful policies kept outside the config snapshot, by policy
// name, so that a reload keeps it (like upstream::UpstreamRegistry).
//
// The Gateway owns one registry; Snapshot::compile binds each stateful
// policy to its state (StatefulPolicy::bind).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apigw/gateway.hpp"
#include "apigw/status.hpp"
#include "policy/json_body_counters.hpp"
#include "policy/cache_state.hpp"
#include "policy/key_table.hpp"

namespace apigw::policy {

namespace jwt {
class JwksFetcher;
}

// What a rate_limit decided for one request (the `decision` label).
enum class LimitDecision : uint8_t {
  kAllowed,
  kLimited,
  kOverflowAllowed,    // key table full: judged by the shared overflow bucket
  kOverflowLimited,
  kMissingKeyDenied,   // no value for the key and missing_key "deny"
  kStoreErrorAllowed,  // the store failed and on_store_error "allow"
  kStoreErrorDenied,   // the store failed and on_store_error "deny"
  kCount
};
std::string_view decision_name(LimitDecision d) noexcept;

// A runtime change of a rate limit (Gateway::set_rate_limit_override).
struct LimitOverride {
  uint64_t limit;
  uint64_t burst;
};

class LimitCounters {
 public:
  void add(LimitDecision d) noexcept { counts_[static_cast<size_t>(d)].fetch_add(1, std::memory_order_relaxed); }
  uint64_t get(LimitDecision d) const noexcept { return counts_[static_cast<size_t>(d)].load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<uint64_t>, static_cast<size_t>(LimitDecision::kCount)> counts_{};
};

// One rate_limit policy's state: its keys, its override, its counters.
struct RateLimitState {
  explicit RateLimitState(size_t max_keys) : keys(max_keys) {}

  // The override, packed into one word so every worker sees limit and burst
  // change together: 0 = none, else kSet | limit << 31 | burst.
  static constexpr uint64_t kSet = 1ull << 63;
  static uint64_t pack(LimitOverride o) { return kSet | (o.limit << 31) | o.burst; }
  static LimitOverride unpack(uint64_t v) { return {(v & ~kSet) >> 31, v & ((1ull << 31) - 1)}; }

  KeyTable keys;
  alignas(64) std::atomic<uint64_t> override_packed{0};
  LimitCounters counters;
};

// Failed authentications of one policy, by reason, for
// apigw_auth_failures_total{policy,reason}. The policy names its reasons.
struct AuthFailureState {
  static constexpr size_t kMaxReasons = 16;
  explicit AuthFailureState(std::span<const std::string_view> names) : reasons(names) {}
  void add(size_t reason) noexcept { counts[reason].fetch_add(1, std::memory_order_relaxed); }

  std::span<const std::string_view> reasons;  // static storage
  std::array<std::atomic<uint64_t>, kMaxReasons> counts{};
};

class PolicyStateRegistry {
 public:
  // The state of rate_limit `name`: the one a running snapshot already uses,
  // else a new one (with the override set for that name, if any).
  std::shared_ptr<RateLimitState> rate_limit(const std::string& name, size_t max_keys);

  // Overrides apply at once to every worker, and to the policy of that name
  // in later configs until removed. Limits are 1..1,000,000,000.
  Status set_override(std::string_view name, LimitOverride o);
  Status remove_override(std::string_view name);

  // The live states, by name (for metrics).
  std::vector<std::pair<std::string, std::shared_ptr<RateLimitState>>> rate_limits() const;

  // The failure counters of authentication policy `name`, kept across
  // reloads while a snapshot uses them. `reasons` has static storage.
  std::shared_ptr<AuthFailureState> auth_failures(const std::string& name, std::span<const std::string_view> reasons);
  std::vector<std::pair<std::string, std::shared_ptr<AuthFailureState>>> auth_failure_states() const;
  // The skip counters of json_body `name`, kept while a snapshot uses them.
  std::shared_ptr<JsonBodyCounters> json_body(const std::string& name);
  std::vector<std::pair<std::string, std::shared_ptr<JsonBodyCounters>>> json_bodies() const;
  // The state of cache `name`, kept across reloads like a rate limit's (its
  // entries survive); a reload's new bounds apply to it from the next store.
  std::shared_ptr<CacheState> cache(const std::string& name, CacheStore::Limits limits);
  // Removes the entries whose path starts with `prefix` from every live
  // cache; the count removed.
  size_t purge_caches(std::string_view prefix);
  std::vector<std::pair<std::string, std::shared_ptr<CacheState>>> caches() const;
  // The JWKS fetcher of jwt `name`: the one a running snapshot uses while
  // `identity` (what its key set depends on) is unchanged, else `make`'s.
  // A reload thus keeps the last good keys even while the provider is down.
  std::shared_ptr<jwt::JwksFetcher> jwks_fetcher(const std::string& name, const std::string& identity,
                                                 const std::function<std::shared_ptr<jwt::JwksFetcher>()>& make);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::weak_ptr<RateLimitState>, std::less<>> states_;
  std::map<std::string, LimitOverride, std::less<>> overrides_;
  std::map<std::string, std::weak_ptr<AuthFailureState>, std::less<>> auth_;
  std::map<std::string, std::weak_ptr<JsonBodyCounters>, std::less<>> json_bodies_;
  std::map<std::string, std::weak_ptr<CacheState>, std::less<>> caches_;
  struct Fetcher {
    std::string identity;
    std::weak_ptr<jwt::JwksFetcher> live;
  };
  std::map<std::string, Fetcher, std::less<>> jwks_fetchers_;
};

// Handed to StatefulPolicy::bind while a snapshot is compiled.
struct BindContext {
  PolicyStateRegistry& states;
  const std::map<std::string, RateLimitKeyFunction, std::less<>>& key_functions;
  bool redis_configured = false;  // GatewayBuilder::redis was given
  std::shared_ptr<const Clock> clock;  // the gateway's (quota windows)
};

// A policy whose running instance needs state or host functions from the
// gateway: the snapshot holds the bound copy, never the builder's object.
class StatefulPolicy {
 public:
  virtual ~StatefulPolicy() = default;
  // `name` is the name the policy was registered under.
  virtual Result<PolicyPtr> bind(BindContext& ctx, const std::string& name) const = 0;
};

}  // namespace apigw::policy
