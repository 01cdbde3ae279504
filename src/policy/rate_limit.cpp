// rate_limit (store "local"): GCRA, exact across the workers of one process.
//
// One TAT per key (KeyTable, lock-free), updated with compare-and-swap. The state lives
// in the gateway's PolicyStateRegistry, so a reload keeps it and an override
// reaches every worker at once.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <memory>
#include <optional>
#include <string>

#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"
#include "policy/gcra.hpp"
#include "policy/policy_state.hpp"
#include "policy/rate_limit_key.hpp"
#include "store/redis_client.hpp"

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

// A decision made in Redis, written by the reply callback: shared, because
// the exchange may be gone by the time the reply comes.
struct RemoteOutcome {
  bool decided = false;
  GcraDecision d{};
};

struct Outcome {
  std::shared_ptr<RemoteOutcome> remote;
  bool decided = false;
  bool overridden = false;
  uint64_t limit = 0;
  GcraDecision d{};
};

// The interval is at least 1 ns: every allowed request moves the TAT forward
// (the key table relies on a TAT never repeating).
GcraParams params_for(uint64_t limit, uint64_t burst, uint64_t window_ms) {
  limit = std::max<uint64_t>(limit, 1);
  return {std::max<int64_t>(1, static_cast<int64_t>(window_ms * 1'000'000 / limit)),
          static_cast<int64_t>(limit + burst)};
}

class RateLimit final : public Policy, public StatefulPolicy {
 public:
  RateLimit(RateLimitOptions o, std::string name, std::shared_ptr<RateLimitState> state,
            std::vector<RateLimitKeyFunction> functions)
      : o_(std::move(o)),
        name_(o_.name.empty() ? std::move(name) : o_.name),
        key_(o_.key, std::move(functions)),
        params_(params_for(o_.limit, o_.burst, o_.window_ms)),
        state_(std::move(state)) {
    // The header values that do not change, made once.
    window_text_ = std::to_string((o_.window_ms + 999) / 1000);
    limit_text_ = std::to_string(o_.limit);
    append_policy_text(policy_text_, limit_text_);
  }

  std::string_view type() const noexcept override { return "rate_limit"; }

  Result<PolicyPtr> bind(BindContext& ctx, const std::string& name) const override {
    std::vector<RateLimitKeyFunction> functions;
    for (const RateLimitKeyPart& p : o_.key) {
      functions.emplace_back();
      if (p.kind != RateLimitKeyPart::Kind::kHost) continue;
      auto f = ctx.key_functions.find(p.name);
      if (f == ctx.key_functions.end())
        return Status(Code::kInvalidArgument, "policy \"" + name + "\": no rate-limit key function \"" + p.name +
                                                  "\" (GatewayBuilder::rate_limit_key)");
      functions.back() = f->second;
    }
    if (o_.store == RateLimitOptions::Store::kRedis && !ctx.redis_configured)
      return Status(Code::kInvalidArgument, "policy \"" + name + "\": store \"redis\" needs the top-level redis section");
    return PolicyPtr(std::make_shared<RateLimit>(o_, name, ctx.states.rate_limit(name, o_.max_keys),
                                                 std::move(functions)));
  }

  Decision on_request(Exchange& ex) const noexcept override {
    RateLimitState& st = *state_;
    Outcome& out = ex.ctx<Outcome>();
    std::optional<std::string_view> key = key_.of(ex);
    if (!key && o_.missing_key == RateLimitOptions::MissingKey::kDeny) {
      st.counters.add(LimitDecision::kMissingKeyDenied);
      return ex.fail(Status::http(400, "rate_limit_key_missing", "the request has no value for the rate-limit key"));
    }
    GcraParams params = params_;
    out.limit = o_.limit;
    if (uint64_t packed = st.override_packed.load(std::memory_order_acquire)) {
      LimitOverride ov = RateLimitState::unpack(packed);
      params = params_for(ov.limit, ov.burst, o_.window_ms);
      out.limit = ov.limit;
      out.overridden = true;
    }
    if (o_.store == RateLimitOptions::Store::kRedis) return decide_in_redis(ex, out, *key, params);
    int64_t now = ex.start_ns();
    out.decided = true;
    bool tracked = st.keys.update(key.value_or(std::string_view()), now, [&](int64_t tat) -> std::optional<int64_t> {
      out.d = gcra_decide(params, tat, now);
      if (!out.d.allowed) return std::nullopt;
      return out.d.new_tat;
    });
    if (!tracked)
      st.counters.add(out.d.allowed ? LimitDecision::kOverflowAllowed : LimitDecision::kOverflowLimited);
    else
      st.counters.add(out.d.allowed ? LimitDecision::kAllowed : LimitDecision::kLimited);
    if (out.d.allowed) return Decision::kContinue;
    return ex.fail(Status::http(429, "rate_limited", "rate limit exceeded"));
  }

  Decision on_response(Exchange& ex) const noexcept override {
    Outcome& out = ex.ctx<Outcome>();
    if (out.remote && out.remote->decided) {
      out.decided = true;
      out.d = out.remote->d;
    }
    if (!out.decided) return Decision::kContinue;
    HeaderMap& h = ex.response().headers;
    if (!out.d.allowed) h.set("retry-after", Digits(std::max<int64_t>(1, seconds_up(out.d.retry_after_ns))).view());
    if (o_.headers == RateLimitOptions::HeadersMode::kNone) return Decision::kContinue;
    Digits reset(seconds_up(out.d.reset_ns));
    Digits remaining(out.d.remaining);
    Digits limit(static_cast<int64_t>(out.limit));
    std::string_view policy = policy_text_;
    std::pmr::string overridden_policy(&ex.arena());
    if (out.overridden) {
      append_policy_text(overridden_policy, limit.view());
      policy = overridden_policy;
    }
    if (o_.headers == RateLimitOptions::HeadersMode::kLegacy) {
      h.set("ratelimit-remaining", remaining.view());
      h.set("ratelimit-reset", reset.view());
      if (out.overridden) {  // texts made for this request: copied
        h.set("ratelimit-limit", limit.view());
        h.set("ratelimit-policy", policy);
      } else {  // the policy's own texts outlive the response: views
        h.set_view("ratelimit-limit", limit_text_);
        h.set_view("ratelimit-policy", policy_text_);
      }
    } else {
      std::pmr::string v(&ex.arena());
      v.append("\"").append(name_).append("\";r=").append(remaining.view()).append(";t=").append(reset.view());
      h.set("ratelimit", v);
      if (out.overridden) h.set("ratelimit-policy", policy);
      else h.set_view("ratelimit-policy", policy_text_);
    }
    return Decision::kContinue;
  }

 private:
  // One round trip: the GCRA script runs in Redis on Redis's clock; the
  // exchange waits (paused) for the reply.
  Decision decide_in_redis(Exchange& ex, Outcome& out, std::optional<std::string_view> key,
                           const GcraParams& params) const noexcept {
#ifdef APIGW_WITH_REDIS
    store::RedisClient* client = store::RedisClient::current();
    if (client) {
      try {
        // A hash tag: the whole key maps to one Redis Cluster slot.
        std::string redis_key = "apigw:rl:{" + name_ + "}:" + std::string(key.value_or(""));
        std::vector<std::string> args = {std::to_string(std::max<int64_t>(1, params.interval_ns / 1000)),
                                         std::to_string(params.capacity)};
        auto remote = std::make_shared<RemoteOutcome>();
        auto token = std::make_shared<ResumeToken>(ex.pause());
        auto state = state_;
        bool fail_open = o_.fail_open;
        bool sent = client->run(store::Script::kGcra, redis_key, args,
                                [remote, token, state, fail_open](store::ScriptReply r) {
          if (!r.ok || r.values.size() != 4) return store_error(*token, *state, fail_open);
          remote->decided = true;
          remote->d.allowed = r.values[0] == 1;
          remote->d.remaining = r.values[1];
          remote->d.retry_after_ns = r.values[2] * 1000;
          remote->d.reset_ns = r.values[3] * 1000;
          state->counters.add(remote->d.allowed ? LimitDecision::kAllowed : LimitDecision::kLimited);
          if (remote->d.allowed) token->resume();
          else token->fail(Status::http(429, "rate_limited", "rate limit exceeded"));
        });
        if (sent) {
          out.remote = std::move(remote);
          return Decision::kPause;
        }
        // Not sent: the token is dropped below; answer through it, as a pause was begun.
        store_error(*token, *state_, o_.fail_open);
        return Decision::kPause;
      } catch (...) {
        // bad_alloc: as a store error, below
      }
    }
#else
    (void)key;
    (void)params;
    (void)out;
#endif
    return store_error_now(ex);
  }

  static void store_error(ResumeToken& token, RateLimitState& state, bool fail_open) {
    state.counters.add(fail_open ? LimitDecision::kStoreErrorAllowed : LimitDecision::kStoreErrorDenied);
    if (fail_open) token.resume();
    else token.fail(Status::http(503, "rate_limit_store_unavailable", "the rate-limit store is unavailable"));
  }

  Decision store_error_now(Exchange& ex) const noexcept {
    state_->counters.add(o_.fail_open ? LimitDecision::kStoreErrorAllowed : LimitDecision::kStoreErrorDenied);
    if (o_.fail_open) return Decision::kContinue;
    return ex.fail(Status::http(503, "rate_limit_store_unavailable", "the rate-limit store is unavailable"));
  }

  static int64_t seconds_up(int64_t ns) { return ns <= 0 ? 0 : (ns + 999'999'999) / 1'000'000'000; }

  // RateLimit-Policy: draft 7's "5;w=1" (legacy) or the IETF draft's "\"name\";q=5;w=1".
  template <class S>
  void append_policy_text(S& out, std::string_view limit) const {
    if (o_.headers == RateLimitOptions::HeadersMode::kIetf) out.append("\"").append(name_).append("\";q=");
    out.append(limit).append(";w=").append(window_text_);
  }

  RateLimitOptions o_;
  std::string name_;
  RateLimitKey key_;
  GcraParams params_;
  std::shared_ptr<RateLimitState> state_;
  std::string window_text_;
  std::string limit_text_;
  std::string policy_text_;
};

}  // namespace

PolicyPtr make_rate_limit(RateLimitOptions options) {
  // Unbound: state of its own until a gateway binds it to the shared one.
  auto state = std::make_shared<RateLimitState>(options.max_keys);
  return std::make_shared<RateLimit>(std::move(options), "", std::move(state), std::vector<RateLimitKeyFunction>());
}

}  // namespace apigw::policy
