// quota: requests per key per UTC day or month, counted in Redis.
//
// One round trip per request (a Lua script: read, compare, increment), so
// the count is exact across every gateway sharing the server. The window
// comes from the gateway's wall clock, the counter's expiry from Redis's.
#include <algorithm>
#include <memory>
#include <string>

#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"
#include "policy/policy_state.hpp"
#include "policy/quota_window.hpp"
#include "policy/rate_limit_key.hpp"
#include "store/redis_client.hpp"

namespace apigw::policy {
namespace {

struct QuotaResult {
  bool decided = false;
  bool allowed = false;
  int64_t remaining = 0;
  int64_t reset_s = 0;
};

struct QuotaOutcome {
  std::shared_ptr<QuotaResult> result;
};

class Quota final : public Policy, public StatefulPolicy {
 public:
  Quota(QuotaOptions o, std::string name, std::shared_ptr<RateLimitState> state,
        std::vector<RateLimitKeyFunction> functions, std::shared_ptr<const Clock> clock)
      : o_(std::move(o)),
        name_(o_.name.empty() ? std::move(name) : o_.name),
        key_(o_.key, std::move(functions)),
        state_(std::move(state)),
        clock_(std::move(clock)),
        limit_text_(std::to_string(o_.limit)) {}

  std::string_view type() const noexcept override { return "quota"; }

  Result<PolicyPtr> bind(BindContext& ctx, const std::string& name) const override {
    if (!ctx.redis_configured)
      return Status(Code::kInvalidArgument, "policy \"" + name + "\": quota needs the top-level redis section");
    std::vector<RateLimitKeyFunction> functions;
    for (const RateLimitKeyPart& p : o_.key) {
      functions.emplace_back();
      if (p.kind != RateLimitKeyPart::Kind::kHost) continue;
      auto f = ctx.key_functions.find(p.name);
      if (f == ctx.key_functions.end())
        return Status(Code::kInvalidArgument, "policy \"" + name + "\": no rate-limit key function \"" + p.name + "\"");
      functions.back() = f->second;
    }
    return PolicyPtr(std::make_shared<Quota>(o_, name, ctx.states.rate_limit(name, 1), std::move(functions),
                                             ctx.clock));
  }

  Decision on_request(Exchange& ex) const noexcept override {
    std::optional<std::string_view> key = key_.of(ex);
    if (!key && o_.missing_key == RateLimitOptions::MissingKey::kDeny) {
      state_->counters.add(LimitDecision::kMissingKeyDenied);
      return ex.fail(Status::http(400, "rate_limit_key_missing", "the request has no value for the quota key"));
    }
#ifdef APIGW_WITH_REDIS
    if (store::RedisClient* client = store::RedisClient::current(); client && clock_) {
      try {
        QuotaWindow w = quota_window(o_.period == QuotaOptions::Period::kDay ? QuotaPeriod::kDay : QuotaPeriod::kMonth,
                                     clock_->wall_ns());
        std::string redis_key = "apigw:quota:{" + name_ + "}:" + w.id + ":" + std::string(key.value_or(""));
        auto result = std::make_shared<QuotaResult>();
        auto token = std::make_shared<ResumeToken>(ex.pause());
        auto state = state_;
        bool fail_open = o_.fail_open;
        bool sent = client->run(store::Script::kQuota, redis_key, {limit_text_, std::to_string(w.end_s)},
                                [result, token, state, fail_open](store::ScriptReply r) {
          if (!r.ok || r.values.size() != 3) return store_error(*token, *state, fail_open);
          result->decided = true;
          result->allowed = r.values[0] == 1;
          result->remaining = r.values[1];
          result->reset_s = r.values[2];
          state->counters.add(result->allowed ? LimitDecision::kAllowed : LimitDecision::kLimited);
          if (result->allowed) token->resume();
          else token->fail(Status::http(429, "quota_exceeded", "quota exceeded"));
        });
        if (!sent) store_error(*token, *state_, o_.fail_open);
        else ex.ctx<QuotaOutcome>().result = std::move(result);
        return Decision::kPause;
      } catch (...) {
        // bad_alloc: as a store error, below
      }
    }
#endif
    state_->counters.add(o_.fail_open ? LimitDecision::kStoreErrorAllowed : LimitDecision::kStoreErrorDenied);
    if (o_.fail_open) return Decision::kContinue;
    return ex.fail(Status::http(503, "quota_store_unavailable", "the quota store is unavailable"));
  }

  Decision on_response(Exchange& ex) const noexcept override {
    const QuotaOutcome& out = ex.ctx<QuotaOutcome>();
    if (!out.result || !out.result->decided) return Decision::kContinue;
    HeaderMap& h = ex.response().headers;
    std::pmr::string remaining(std::to_string(out.result->remaining), &ex.arena());
    std::pmr::string reset(std::to_string(out.result->reset_s), &ex.arena());
    h.set("x-quota-limit", limit_text_);
    h.set("x-quota-remaining", remaining);
    h.set("x-quota-reset", reset);
    if (!out.result->allowed) h.set("retry-after", reset);
    return Decision::kContinue;
  }

 private:
  static void store_error(ResumeToken& token, RateLimitState& state, bool fail_open) {
    state.counters.add(fail_open ? LimitDecision::kStoreErrorAllowed : LimitDecision::kStoreErrorDenied);
    if (fail_open) token.resume();
    else token.fail(Status::http(503, "quota_store_unavailable", "the quota store is unavailable"));
  }

  QuotaOptions o_;
  std::string name_;
  RateLimitKey key_;
  std::shared_ptr<RateLimitState> state_;
  std::shared_ptr<const Clock> clock_;
  std::string limit_text_;
};

}  // namespace

PolicyPtr make_quota(QuotaOptions options) {
  auto state = std::make_shared<RateLimitState>(1);
  return std::make_shared<Quota>(std::move(options), "", std::move(state), std::vector<RateLimitKeyFunction>(),
                                 nullptr);
}

}  // namespace apigw::policy
