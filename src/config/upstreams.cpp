// "upstreams": the pools routes forward to (SPEC.md section 2).
#include <set>

#include "config/did_you_mean.hpp"
#include "config/sections.hpp"
#include "config/syntax.hpp"

namespace apigw::config {

namespace {

constexpr uint64_t kDayMs = 86400000;

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

template <class T>
void read_u32(ObjectReader& o, const char* key, T* field, uint64_t min, uint64_t max) {
  if (auto v = o.uint(key, min, max)) *field = static_cast<T>(*v);
}

void read_targets(LoadContext& ctx, Element value, const std::string& pointer, std::vector<UpstreamTarget>* out) {
  auto items = as_array(ctx.errors, value, pointer);
  if (!items) return;
  if (items->size() == 0) ctx.errors.add(pointer, "at least one target is needed");
  std::set<std::string> seen;  // host names compare without case
  size_t i = 0;
  for (Element item : *items) {
    ObjectReader o(ctx.errors, item, child_pointer(pointer, i++));
    if (!o.ok()) continue;
    UpstreamTarget target;
    if (auto address = o.required_string("address")) {
      if (std::string why = check_host_port(*address, true); !why.empty())
        ctx.errors.add(o.child("address"), "invalid address " + quote(*address) + ": " + why +
                                               "; expected IP:PORT, [IPv6]:PORT or HOST:PORT");
      else if (!seen.insert(lower(*address)).second)
        ctx.errors.add(o.child("address"), "duplicate target " + quote(*address));
      target.address = std::move(*address);
    }
    read_u32(o, "weight", &target.weight, 1, 1000);
    o.finish();
    out->push_back(std::move(target));
  }
}

void read_timeouts(ObjectReader& parent, UpstreamTimeouts* t) {
  auto value = parent.get("timeouts");
  if (!value) return;
  ObjectReader o(parent.errors(), *value, parent.child("timeouts"));
  if (!o.ok()) return;
  read_u32(o, "connect_ms", &t->connect_ms, 1, kDayMs);
  read_u32(o, "response_ms", &t->response_ms, 1, kDayMs);
  read_u32(o, "idle_ms", &t->idle_ms, 1, kDayMs);
  o.finish();
}

void read_retries(ObjectReader& parent, UpstreamRetries* r) {
  auto value = parent.get("retries");
  if (!value) return;
  ObjectReader o(parent.errors(), *value, parent.child("retries"));
  if (!o.ok()) return;
  read_u32(o, "attempts", &r->attempts, 1, 10);
  if (auto value = o.get("on")) {
    // Each condition checked on its own, so every wrong one is reported.
    if (auto items = as_array(o.errors(), *value, o.child("on"))) {
      static const std::vector<std::string> words = {"connect_failure", "reset"};
      std::vector<std::string> on;
      size_t i = 0;
      for (Element item : *items) {
        const std::string at = child_pointer(o.child("on"), i++);
        auto w = as_string(o.errors(), item, at);
        if (!w) continue;
        const bool status =
            w->size() == 3 && (*w)[0] == '5' && (*w)[1] >= '0' && (*w)[1] <= '9' && (*w)[2] >= '0' && (*w)[2] <= '9';
        if (!status && *w != words[0] && *w != words[1])
          o.errors().add(at, "expected \"connect_failure\", \"reset\" or a status code \"500\"..\"599\", got " +
                                 quote(*w) + did_you_mean(*w, words));
        on.push_back(std::move(*w));
      }
      r->on = std::move(on);
    }
  }
  read_u32(o, "backoff_ms", &r->backoff_ms, 0, 60000);
  read_u32(o, "budget_percent", &r->budget_percent, 0, 100);
  o.finish();
}

void read_health_check(ObjectReader& parent, std::optional<HealthCheckOptions>* out) {
  auto value = parent.get("health_check");
  if (!value) return;
  ObjectReader o(parent.errors(), *value, parent.child("health_check"));
  if (!o.ok()) return;
  HealthCheckOptions h;
  if (auto path = o.string("path")) {
    if (path->empty() || path->front() != '/')
      o.errors().add(o.child("path"), "must start with '/'");
    else if (!is_field_value(*path) || path->find(' ') != std::string::npos)
      o.errors().add(o.child("path"), "must not hold spaces or control characters");
    h.path = std::move(*path);
  }
  auto interval = o.uint("interval_ms", 1, kDayMs);
  if (interval) h.interval_ms = static_cast<uint32_t>(*interval);
  auto timeout = o.uint("timeout_ms", 1, kDayMs);
  if (timeout) h.timeout_ms = static_cast<uint32_t>(*timeout);
  // Judged on the values in force, defaults included, unless one was wrong.
  if (timeout.has_value() == o.has("timeout_ms") && interval.has_value() == o.has("interval_ms") &&
      h.timeout_ms >= h.interval_ms)
    o.errors().add(o.has("timeout_ms") ? o.child("timeout_ms") : o.pointer(),
                   "timeout_ms (" + std::to_string(h.timeout_ms) + ") must be less than interval_ms (" +
                       std::to_string(h.interval_ms) + ")");
  read_u32(o, "healthy_threshold", &h.healthy_threshold, 1, 100);
  read_u32(o, "unhealthy_threshold", &h.unhealthy_threshold, 1, 100);
  o.finish();
  *out = std::move(h);
}

void read_circuit_breaker(ObjectReader& parent, CircuitBreakerOptions* c) {
  auto value = parent.get("circuit_breaker");
  if (!value) return;
  ObjectReader o(parent.errors(), *value, parent.child("circuit_breaker"));
  if (!o.ok()) return;
  read_u32(o, "consecutive_failures", &c->consecutive_failures, 1, 1000);
  read_u32(o, "eject_ms", &c->eject_ms, 1, kDayMs);
  read_u32(o, "max_ejected_percent", &c->max_ejected_percent, 0, 100);
  read_u32(o, "max_pending", &c->max_pending, 1, 1000000);
  o.finish();
}

}  // namespace

// "ip", "path", "header:NAME" or "cookie:NAME".
std::optional<HashOn> parse_hash_on(const std::string& s) {
  HashOn h;
  if (s == "ip") {
    h.kind = HashOn::Kind::kIp;
  } else if (s == "path") {
    h.kind = HashOn::Kind::kPath;
  } else if (s.rfind("header:", 0) == 0 && is_token(s.substr(7))) {
    h.kind = HashOn::Kind::kHeader;
    h.name = lower(s.substr(7));  // header names are case-insensitive
  } else if (s.rfind("cookie:", 0) == 0 && is_token(s.substr(7))) {
    h.kind = HashOn::Kind::kCookie;
    h.name = s.substr(7);  // cookie names are not
  } else {
    return std::nullopt;
  }
  return h;
}


void load_upstreams(LoadContext& ctx, Element value, const std::string& pointer) {
  auto items = as_array(ctx.errors, value, pointer);
  if (!items) return;
  size_t i = 0;
  for (Element item : *items) {
    ObjectReader o(ctx.errors, item, child_pointer(pointer, i++));
    if (!o.ok()) continue;
    const size_t before = ctx.errors.count();
    UpstreamOptions u;
    if (auto name = o.required_string("name")) {
      if (std::string why = check_name(*name); !why.empty())
        ctx.errors.add(o.child("name"), "upstream name " + quote(*name) + " " + why);
      else if (!ctx.upstream_names.insert(*name).second)
        ctx.errors.add(o.child("name"), "duplicate upstream name " + quote(*name));
      u.name = std::move(*name);
    }
    if (auto targets = o.get("targets")) read_targets(ctx, *targets, o.child("targets"), &u.targets);
    else o.missing("targets");

    static const std::vector<std::string> balances = {"round_robin", "least_conn", "peak_ewma", "consistent_hash",
                                                      "random"};
    static const Balance kinds[] = {Balance::kRoundRobin, Balance::kLeastConn, Balance::kPeakEwma,
                                    Balance::kConsistentHash, Balance::kRandom};
    auto balance = o.choice("balance", balances);
    if (balance) u.balance = kinds[*balance];
    if (auto hash_on = o.string("hash_on")) {
      if (auto h = parse_hash_on(*hash_on)) {
        u.hash_on = std::move(*h);
        // A wrong "balance" was reported already: no second error about it.
        if (u.balance != Balance::kConsistentHash && balance.has_value() == o.has("balance"))
          ctx.errors.add(o.child("hash_on"), "hash_on needs balance consistent_hash");
      } else {
        ctx.errors.add(o.child("hash_on"),
                       "expected \"ip\", \"path\", \"header:NAME\" or \"cookie:NAME\", got " + quote(*hash_on) +
                           did_you_mean(*hash_on, std::vector<std::string>{"ip", "path"}));
      }
    }
    read_timeouts(o, &u.timeouts);
    read_retries(o, &u.retries);
    read_health_check(o, &u.health_check);
    read_circuit_breaker(o, &u.circuit_breaker);
    read_u32(o, "max_connections_per_target", &u.max_connections_per_target, 1, 100000);
    u.tls = load_upstream_tls(ctx, o);
    o.finish();
    if (ctx.errors.count() == before) ctx.builder->upstream(std::move(u));
  }
}

}  // namespace apigw::config
