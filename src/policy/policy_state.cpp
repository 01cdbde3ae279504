#include "policy/policy_state.hpp"

#include <algorithm>

namespace apigw::policy {

std::string_view decision_name(LimitDecision d) noexcept {
  switch (d) {
    case LimitDecision::kAllowed: return "allowed";
    case LimitDecision::kLimited: return "limited";
    case LimitDecision::kOverflowAllowed: return "overflow_allowed";
    case LimitDecision::kOverflowLimited: return "overflow_limited";
    case LimitDecision::kMissingKeyDenied: return "missing_key_denied";
    case LimitDecision::kStoreErrorAllowed: return "store_error_allowed";
    case LimitDecision::kStoreErrorDenied: return "store_error_denied";
    case LimitDecision::kCount: break;
  }
  return "unknown";
}

std::shared_ptr<RateLimitState> PolicyStateRegistry::rate_limit(const std::string& name, size_t max_keys) {
  std::lock_guard<std::mutex> lock(mu_);
  std::weak_ptr<RateLimitState>& slot = states_[name];
  if (auto live = slot.lock()) return live;
  auto fresh = std::make_shared<RateLimitState>(max_keys);
  if (auto o = overrides_.find(name); o != overrides_.end())
    fresh->override_packed.store(RateLimitState::pack(o->second));
  slot = fresh;
  return fresh;
}

Status PolicyStateRegistry::set_override(std::string_view name, LimitOverride o) {
  constexpr uint64_t kMax = 1000000000;
  if (o.limit < 1 || o.limit > kMax || o.burst > kMax)
    return Status(Code::kInvalidArgument, "override: limit must be 1..1000000000 and burst 0..1000000000");
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(name);
  auto live = it == states_.end() ? nullptr : it->second.lock();
  if (!live) return Status(Code::kNotFound, "no rate_limit policy named \"" + std::string(name) + "\"");
  overrides_.insert_or_assign(std::string(name), o);
  live->override_packed.store(RateLimitState::pack(o), std::memory_order_release);
  return Status();
}

Status PolicyStateRegistry::remove_override(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto o = overrides_.find(name);
  if (o == overrides_.end())
    return Status(Code::kNotFound, "no override for policy \"" + std::string(name) + "\"");
  overrides_.erase(o);
  if (auto it = states_.find(name); it != states_.end())
    if (auto live = it->second.lock()) live->override_packed.store(0, std::memory_order_release);
  return Status();
}

std::vector<std::pair<std::string, std::shared_ptr<RateLimitState>>> PolicyStateRegistry::rate_limits() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, std::shared_ptr<RateLimitState>>> out;
  for (const auto& [name, weak] : states_)
    if (auto live = weak.lock()) out.emplace_back(name, std::move(live));
  return out;
}

std::shared_ptr<AuthFailureState> PolicyStateRegistry::auth_failures(const std::string& name,
                                                                     std::span<const std::string_view> reasons) {
  std::lock_guard<std::mutex> lock(mu_);
  std::weak_ptr<AuthFailureState>& slot = auth_[name];
  auto live = slot.lock();
  // A policy of that name but another type gets counters of its own.
  if (live && live->reasons.data() == reasons.data()) return live;
  live = std::make_shared<AuthFailureState>(reasons.subspan(0, std::min(reasons.size(), AuthFailureState::kMaxReasons)));
  slot = live;
  return live;
}

std::vector<std::pair<std::string, std::shared_ptr<AuthFailureState>>> PolicyStateRegistry::auth_failure_states()
    const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, std::shared_ptr<AuthFailureState>>> out;
  for (const auto& [name, weak] : auth_)
    if (auto live = weak.lock()) out.emplace_back(name, std::move(live));
  return out;
}

std::shared_ptr<JsonBodyCounters> PolicyStateRegistry::json_body(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  std::weak_ptr<JsonBodyCounters>& slot = json_bodies_[name];
  if (auto live = slot.lock()) return live;
  auto fresh = std::make_shared<JsonBodyCounters>();
  slot = fresh;
  return fresh;
}

std::vector<std::pair<std::string, std::shared_ptr<JsonBodyCounters>>> PolicyStateRegistry::json_bodies() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, std::shared_ptr<JsonBodyCounters>>> out;
  for (const auto& [name, weak] : json_bodies_)
    if (auto live = weak.lock()) out.emplace_back(name, std::move(live));
  return out;
}
std::shared_ptr<CacheState> PolicyStateRegistry::cache(const std::string& name, CacheStore::Limits limits) {
  std::lock_guard<std::mutex> lock(mu_);
  std::weak_ptr<CacheState>& slot = caches_[name];
  if (auto live = slot.lock()) {
    live->store.set_limits(limits);
    return live;
  }
  auto fresh = std::make_shared<CacheState>(limits);
  slot = fresh;
  return fresh;
}

size_t PolicyStateRegistry::purge_caches(std::string_view prefix) {
  size_t removed = 0;
  for (const auto& [name, state] : caches()) removed += state->store.purge(prefix);
  return removed;
}

std::vector<std::pair<std::string, std::shared_ptr<CacheState>>> PolicyStateRegistry::caches() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, std::shared_ptr<CacheState>>> out;
  for (const auto& [name, weak] : caches_)
    if (auto live = weak.lock()) out.emplace_back(name, std::move(live));
  return out;
}

std::shared_ptr<jwt::JwksFetcher> PolicyStateRegistry::jwks_fetcher(
    const std::string& name, const std::string& identity,
    const std::function<std::shared_ptr<jwt::JwksFetcher>()>& make) {
  std::lock_guard<std::mutex> lock(mu_);
  Fetcher& slot = jwks_fetchers_[name];
  if (auto live = slot.live.lock(); live && slot.identity == identity) return live;
  // The old one, if any, stops when the last snapshot using it goes.
  auto fresh = make();
  slot = {identity, fresh};
  return fresh;
}

}  // namespace apigw::policy
