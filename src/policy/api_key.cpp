// api_key: a key from a header or the query names a consumer; else 401.
//
// Keys are found through a hash table keyed with a random per-policy seed,
// then compared in constant time: how long a request takes says nothing
// about how many leading bytes of some stored key it guessed right.
#include <random>
#include <unordered_map>

#include <array>

#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"
#include "policy/policy_state.hpp"

namespace apigw::policy {
namespace {

uint64_t keyed_hash(std::string_view s, uint64_t seed) noexcept {
  uint64_t h = seed ^ 0xcbf29ce484222325ULL;  // FNV-1a, then the murmur3 finaliser
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

// No early exit on the first differing byte.
bool equal_constant_time(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The first `name=value` pair of `query`; its value undecoded, the span of
// the whole pair (for hide_credentials). Empty when absent.
struct QueryParam {
  std::string_view value;
  size_t begin = 0, end = 0;
  bool found = false;
};
QueryParam find_query_param(std::string_view query, std::string_view name) noexcept {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(pos, amp - pos);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=')
      return {pair.substr(name.size() + 1), pos, amp, true};
    pos = amp + 1;
  }
  return {};
}

// The reasons of apigw_auth_failures_total, as jwt's: no key, or one no consumer has.
enum Refusal : size_t { kMissing, kUnknownKey };
constexpr std::array<std::string_view, 2> kReasons = {"missing", "unknown_key"};

class ApiKey final : public Policy, public StatefulPolicy {
 public:
  ApiKey(ApiKeyOptions o, std::shared_ptr<AuthFailureState> failures)
      : o_(std::move(o)), failures_(std::move(failures)), seed_(std::random_device{}()) {
    seed_ = (seed_ << 32) ^ std::random_device{}();
    tag_views_.resize(o_.consumers.size());
    for (size_t i = 0; i < o_.consumers.size(); ++i) {
      const Consumer& c = o_.consumers[i];
      for (const auto& t : c.tags) tag_views_[i].push_back(t);
      for (const auto& k : c.api_keys) keys_.emplace(keyed_hash(k, seed_), Key{k, i});
    }
  }
  ApiKey(const ApiKey&) = delete;  // tag_views_ point into o_
  ApiKey& operator=(const ApiKey&) = delete;

  std::string_view type() const noexcept override { return "api_key"; }

  Result<PolicyPtr> bind(BindContext& ctx, const std::string& name) const override {
    return PolicyPtr(std::make_shared<ApiKey>(o_, ctx.states.auth_failures(name, kReasons)));
  }

  Decision on_request(Exchange& ex) const noexcept override {
    Request& r = ex.request();
    std::string_view presented;
    QueryParam q;
    char decoded[kMaxKeyBytes];
    if (!o_.header.empty() && r.headers.has(o_.header)) {
      presented = r.headers.get(o_.header);
    } else if (!o_.query.empty()) {
      q = find_query_param(r.query, o_.query);
      size_t n = 0;
      if (q.found && !percent_decode(q.value, decoded, &n)) return unknown(ex);
      presented = {decoded, n};
    }
    if (presented.empty()) {
      count(kMissing);
      return ex.fail(Status::http(401, "unauthorized", "no API key in the request"));
    }
    const Consumer* consumer = find(presented);
    if (!consumer) return unknown(ex);
    const size_t index = static_cast<size_t>(consumer - o_.consumers.data());
    ex.set_consumer(consumer->id);
    ex.set_consumer_tags(tag_views_[index]);
    if (o_.hide_credentials) hide(ex, q);
    return Decision::kContinue;
  }

 private:
  static constexpr size_t kMaxKeyBytes = 1024;
  struct Key {
    std::string_view key;  // into o_.consumers
    size_t consumer;
  };

  Decision unknown(Exchange& ex) const {
    count(kUnknownKey);
    return ex.fail(Status::http(401, "unauthorized", "invalid API key"));
  }

  void count(Refusal r) const noexcept {
    if (failures_) failures_->add(r);
  }

  // RFC 3986 decoding only: '+' stays '+' (keys hold no spaces, and clients
  // rarely encode a '+' in a key).
  static bool percent_decode(std::string_view in, char* out, size_t* n) noexcept {
    size_t k = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      if (k == kMaxKeyBytes) return false;
      char c = in[i];
      if (c == '%') {
        int hi = i + 2 < in.size() ? hex_value(in[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(in[i + 2]) : -1;
        if (lo < 0) return false;
        c = static_cast<char>(hi * 16 + lo);
        i += 2;
      }
      out[k++] = c;
    }
    *n = k;
    return true;
  }

  const Consumer* find(std::string_view presented) const noexcept {
    auto [it, end] = keys_.equal_range(keyed_hash(presented, seed_));
    const Consumer* found = nullptr;
    for (; it != end; ++it)  // no break: every candidate costs the same
      if (equal_constant_time(it->second.key, presented)) found = &o_.consumers[it->second.consumer];
    return found;
  }

  void hide(Exchange& ex, const QueryParam& q) const {
    Request& r = ex.request();
    if (!o_.header.empty()) r.headers.remove(o_.header);
    if (!q.found) return;
    // Drop the pair and one '&' next to it.
    size_t begin = q.begin, end = q.end;
    if (end < r.query.size()) ++end;
    else if (begin > 0) --begin;
    std::pmr::string rest(&ex.arena());
    rest.append(r.query.substr(0, begin));
    rest.append(r.query.substr(end));
    r.query = ex.arena().dup(rest);
  }

  ApiKeyOptions o_;
  std::shared_ptr<AuthFailureState> failures_;  // null until bound
  uint64_t seed_;
  std::unordered_multimap<uint64_t, Key> keys_;
  std::vector<std::vector<std::string_view>> tag_views_;
};

}  // namespace

PolicyPtr make_api_key(ApiKeyOptions options) { return std::make_shared<ApiKey>(std::move(options), nullptr); }

}  // namespace apigw::policy
