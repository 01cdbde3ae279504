// cache: answers kept in memory (CacheStore), shared by every worker and
// kept across reloads (PolicyStateRegistry).
//
// on_request serves a fresh entry (x-cache: HIT, Age), or joins the key's
// fetch: the first miss leads and goes to the origin, later ones pause until
// it is done (CacheCoalescer). on_response marks the answer x-cache: MISS
// and, when it may be stored, copies its head before any other policy's
// response phase changes it; on_response_body stores it with its body and
// hands it to the waiters. Listed last in a route, the cache sees the
// origin's answer as sent and answers HITs only after the other policies'
// on_request (authentication, limits) have passed.
#include <algorithm>
#include <charconv>
#include <memory>
#include <string>

#include "apigw/clock.hpp"
#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"
#include "policy/cache_control.hpp"
#include "policy/cache_state.hpp"
#include "policy/policy_state.hpp"

namespace apigw::policy {
namespace {

constexpr size_t kMaxVaryNames = 16;  // more: not stored (a key space nobody means)

// Fields that describe one hop or the framing of one message (the gateway
// writes its own), and the ones the cache sets itself: never replayed.
bool is_hop_or_framing(std::string_view name) noexcept {
  static constexpr std::string_view kNames[] = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding", "content-length", "te",
      "trailer",    "upgrade",    "proxy-authenticate", "age",            "x-cache"};
  for (std::string_view n : kNames)
    if (iequals(name, n)) return true;
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A waiter's view of the request, copied: it is read on the leader's thread.
struct WaitingRequest {
  HeaderPairs headers;
  std::string_view value_of(std::string_view name) const noexcept {
    for (const auto& [k, v] : headers)
      if (iequals(k, name)) return v;
    return {};
  }
};

// How a waiter's wait ended; written before its token is used, read on its
// worker after the token's action was applied.
struct WaitOutcome {
  bool served = false;
};

// Per-request state. A leader that never reached on_response_body (an error,
// a client gone) releases its waiters here at the latest.
struct CacheExchange {
  enum class Role : uint8_t { kNone, kBypass, kHit, kLeader, kFetch, kWaiter };
  Role role = Role::kNone;
  bool may_store = false;  // a GET that went to the origin
  bool reached_body = false;  // every on_request passed: the answer is the route's, not a policy's
  std::string key;
  CachedAnswerPtr hit;  // a HIT's headers are views into it
  std::shared_ptr<WaitOutcome> wait;
  std::shared_ptr<CacheState> state;  // set while leading
  std::unique_ptr<CachedAnswer> pending;  // the head to store, copied in on_response

  void release(const CachedAnswerPtr& answer) noexcept {
    if (!state) return;
    state->coalescer.done(key, answer);
    state.reset();
  }
  ~CacheExchange() { release(nullptr); }
};

class Digits {
 public:
  explicit Digits(uint64_t v) : len_(static_cast<size_t>(std::to_chars(buf_, buf_ + sizeof buf_, v).ptr - buf_)) {}
  std::string_view view() const { return {buf_, len_}; }

 private:
  char buf_[24];
  size_t len_;
};

class Cache final : public Policy, public StatefulPolicy {
 public:
  Cache(CacheOptions o, std::shared_ptr<CacheState> state, std::shared_ptr<const Clock> clock)
      : o_(std::move(o)), state_(std::move(state)), clock_(std::move(clock)) {
    for (std::string& h : o_.key_headers) h = lower(h);
  }

  std::string_view type() const noexcept override { return "cache"; }
  size_t response_body_limit() const noexcept override { return o_.max_entry_bytes; }

  Result<PolicyPtr> bind(BindContext& ctx, const std::string& name) const override {
    auto state = ctx.states.cache(name, limits(o_));
    return PolicyPtr(std::make_shared<Cache>(o_, std::move(state), ctx.clock ? ctx.clock : SystemClock::instance()));
  }

  static CacheStore::Limits limits(const CacheOptions& o) { return {o.max_entries, o.max_bytes}; }

  Decision on_request(Exchange& ex) const noexcept override {
    try {
      return lookup(ex);
    } catch (...) {
      // Out of memory: the request goes to the origin, uncached.
      ex.ctx<CacheExchange>().role = CacheExchange::Role::kBypass;
      return Decision::kContinue;
    }
  }

  Decision on_request_body(Exchange& ex) const noexcept override {
    ex.ctx<CacheExchange>().reached_body = true;
    return Decision::kContinue;
  }

  Decision on_response(Exchange& ex) const noexcept override {
    CacheExchange& c = ex.ctx<CacheExchange>();
    using Role = CacheExchange::Role;
    if (c.role == Role::kNone || c.role == Role::kBypass || c.role == Role::kHit) return Decision::kContinue;
    if (c.role == Role::kWaiter && c.wait && c.wait->served) return Decision::kContinue;
    try {
      if (c.may_store && c.reached_body && ex.failure().is_ok()) c.pending = storable_head(ex);
      ex.response().headers.set_view("x-cache", "MISS");
    } catch (...) {
      c.pending.reset();  // out of memory: not stored
    }
    return Decision::kContinue;
  }

  Decision on_response_body(Exchange& ex) const noexcept override {
    CacheExchange& c = ex.ctx<CacheExchange>();
    CachedAnswerPtr stored;
    if (c.pending && !ex.response_body_overflowed() && ex.failure().is_ok()) {
      try {
        c.pending->body.assign(ex.response().body);
        c.pending->stored_ns = clock_->monotonic_ns();
        c.pending->expires_ns += c.pending->stored_ns;
        CachedAnswerPtr answer(std::move(c.pending));
        if (state_->store.put(c.key, answer)) stored = std::move(answer);
      } catch (...) {
        stored.reset();  // out of memory: not stored, the waiters fetch for themselves
      }
    }
    c.pending.reset();
    c.release(stored);
    return Decision::kContinue;
  }

  void on_error(Exchange& ex, const Status&) const noexcept override { ex.ctx<CacheExchange>().release(nullptr); }
  void on_log(Exchange& ex) const noexcept override { ex.ctx<CacheExchange>().release(nullptr); }

 private:
  using Role = CacheExchange::Role;

  Decision lookup(Exchange& ex) const {
    CacheExchange& c = ex.ctx<CacheExchange>();
    const Request& req = ex.request();
    const std::string_view route = ex.route().name;
    if (std::find(o_.methods.begin(), o_.methods.end(), req.method) == o_.methods.end())
      return bypass(c, route);
    bool refresh = false;  // the client asked for a fresh answer: fetch, and store it
    if (o_.request_no_cache && req.headers.has("cache-control")) {
      CacheControl cc;
      for (const Header& h : req.headers)
        if (iequals(h.name, "cache-control")) cc.parse(h.value);
      if (cc.no_store) return bypass(c, route);
      refresh = cc.no_cache || (cc.max_age && *cc.max_age == 0);
    }
    const bool head = req.method == "HEAD";
    c.key = key_of(req);
    if (!refresh) {
      if (CachedAnswerPtr entry = state_->store.find(c.key, ex.start_ns()); entry && fits(*entry, req))
        return serve(ex, c, std::move(entry));
    }
    c.role = Role::kFetch;
    c.may_store = !head;
    // HEAD fetches answer no body to share; a refresh must not be served old news.
    if (head || refresh) return miss(route);

    auto outcome = std::make_shared<WaitOutcome>();
    auto make_waiter = [&]() -> CacheCoalescer::Waiter {
      auto waiting = std::make_shared<WaitingRequest>();  // read on the leader's thread: copies
      for (const Header& h : req.headers) waiting->headers.emplace_back(h.name, h.value);
      auto token = std::make_shared<ResumeToken>(ex.pause());
      return [token, outcome, waiting, state = state_, clock = clock_, route = std::string(route)](
                 const CachedAnswerPtr& answer) {
        if (answer && answer->vary_matches([&](std::string_view n) { return waiting->value_of(n); })) {
          outcome->served = true;
          state->counters.add(route, CacheResult::kCoalesced);
          token->respond(reply_of(*answer, clock->monotonic_ns()));
        } else {
          state->counters.add(route, CacheResult::kMiss);
          token->resume();  // fetches for itself
        }
      };
    };
    switch (state_->coalescer.join(c.key, o_.max_waiters, make_waiter)) {
      case CacheCoalescer::Role::kLeader:
        c.role = Role::kLeader;
        c.state = state_;
        // A leader that finished between our find() and join() left its answer.
        if (CachedAnswerPtr entry = state_->store.find(c.key, ex.start_ns()); entry && fits(*entry, req)) {
          c.release(entry);
          return serve(ex, c, std::move(entry));
        }
        return miss(route);
      case CacheCoalescer::Role::kWaiter:
        c.role = Role::kWaiter;
        c.wait = std::move(outcome);
        return Decision::kPause;
      case CacheCoalescer::Role::kAlone:
        return miss(route);
    }
    return miss(route);
  }

  Decision miss(std::string_view route) const noexcept {
    state_->counters.add(route, CacheResult::kMiss);
    return Decision::kContinue;
  }

  Decision bypass(CacheExchange& c, std::string_view route) const noexcept {
    c.role = Role::kBypass;
    state_->counters.add(route, CacheResult::kBypass);
    return Decision::kContinue;
  }

  Decision serve(Exchange& ex, CacheExchange& c, CachedAnswerPtr entry) const {
    c.role = Role::kHit;
    state_->counters.add(ex.route().name, CacheResult::kHit);
    ex.respond(entry->status, entry->body, "");
    HeaderMap& h = ex.response().headers;
    for (const auto& [name, value] : entry->headers) h.add_view(name, value);  // the entry outlives the exchange
    h.set_view("x-cache", "HIT");
    h.set("age", Digits(entry->age_s(ex.start_ns())).view());
    c.hit = std::move(entry);
    return Decision::kRespond;
  }

  static Reply reply_of(const CachedAnswer& a, int64_t now_ns) {
    Reply r;
    r.status = a.status;
    r.headers = a.headers;
    r.headers.emplace_back("x-cache", "HIT");
    r.headers.emplace_back("age", std::string(Digits(a.age_s(now_ns)).view()));
    r.body = a.body;
    return r;
  }

  // Method (HEAD reads GET's entries), host, path, query, key headers.
  std::string key_of(const Request& req) const {
    std::string k;
    k.reserve(req.host.size() + req.path.size() + req.query.size() + 8);
    k.append("GET\n").append(req.host).append("\n").append(req.path);
    if (!req.query.empty()) k.append("?").append(req.query);
    for (const std::string& name : o_.key_headers) k.append("\n").append(req.headers.get(name));
    return k;
  }

  static bool fits(const CachedAnswer& entry, const Request& req) {
    return entry.vary_matches([&](std::string_view name) { return req.headers.get(name); });
  }

  // The answer's head as it may be stored, or null when it may not be
  // (RFC 9111 section 3, simplified: see README).
  std::unique_ptr<CachedAnswer> storable_head(Exchange& ex) const {
    const Response& res = ex.response();
    const Request& req = ex.request();
    if (std::find(o_.statuses.begin(), o_.statuses.end(), res.status) == o_.statuses.end()) return nullptr;
    CacheControl cc;
    for (const Header& h : res.headers) {
      if (iequals(h.name, "set-cookie")) return nullptr;
      if (iequals(h.name, "cache-control")) cc.parse(h.value);
    }
    if (cc.no_store || cc.no_cache || cc.is_private) return nullptr;
    // RFC 9111 3.5: an answer to an authenticated request is per user unless it says otherwise.
    if (req.headers.has("authorization") && !cc.is_public && !cc.s_maxage) return nullptr;

    uint64_t lifetime_ms = o_.ttl_ms;
    if (cc.s_maxage) lifetime_ms = *cc.s_maxage * 1000;
    else if (cc.max_age) lifetime_ms = *cc.max_age * 1000;
    if ((cc.s_maxage || cc.max_age) && o_.max_ttl_ms) lifetime_ms = std::min(lifetime_ms, o_.max_ttl_ms);
    const uint64_t origin_age_s = parse_delta_seconds(res.headers.get("age")).value_or(0);
    if (lifetime_ms <= origin_age_s * 1000) return nullptr;  // stale already

    auto a = std::make_unique<CachedAnswer>();
    for (const Header& h : res.headers) {
      if (!iequals(h.name, "vary")) continue;
      std::string_view rest = h.value, name;
      while (next_list_element(rest, &name)) {
        if (name == "*" || a->vary.size() == kMaxVaryNames) return nullptr;
        a->vary.emplace_back(lower(name), std::string(req.headers.get(name)));
      }
    }
    for (const Header& h : res.headers)
      if (!is_hop_or_framing(h.name)) a->headers.emplace_back(h.name, h.value);
    a->status = res.status;
    a->origin_age_s = origin_age_s;
    a->expires_ns = static_cast<int64_t>(lifetime_ms - origin_age_s * 1000) * 1'000'000;  // + stored_ns on store
    a->path.assign(req.path);
    return a;
  }

  CacheOptions o_;
  std::shared_ptr<CacheState> state_;
  std::shared_ptr<const Clock> clock_;
};

}  // namespace

PolicyPtr make_cache(CacheOptions options) {
  // Unbound: a store of its own until a gateway binds it to the shared one.
  auto state = std::make_shared<CacheState>(Cache::limits(options));
  return std::make_shared<Cache>(std::move(options), std::move(state), SystemClock::instance());
}

}  // namespace apigw::policy
