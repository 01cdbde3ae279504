// JSON -> options of the cache policy.
#include "config/did_you_mean.hpp"
#include "config/policy_options.hpp"
#include "config/syntax.hpp"

namespace apigw::config {

namespace {

constexpr uint64_t kMaxTtlMs = 366ULL * 86400000;  // a year
constexpr uint64_t kMaxBytes = 1ULL << 40;

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// Only GET answers are stored; HEAD is served from them.
void read_methods(ObjectReader& o, std::vector<std::string>* methods) {
  auto list = o.strings("methods");
  if (!list) return;
  const std::string at = o.child("methods");
  bool get = false, head = false;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string& m = (*list)[i];
    if (m == "GET") get = true;
    else if (m == "HEAD") head = true;
    else o.errors().add(child_pointer(at, i), quote(m) + ": only GET and HEAD answers are cached" +
                                                  did_you_mean(m, {"GET", "HEAD"}));
  }
  if (list->empty()) o.errors().add(at, "must not be empty");
  else if (head && !get) o.errors().add(at, "HEAD is served from GET's entries: list \"GET\" too");
  *methods = std::move(*list);
}

void read_statuses(ObjectReader& o, std::vector<int>* statuses) {
  auto value = o.get("statuses");
  if (!value) return;
  auto items = as_array(o.errors(), *value, o.child("statuses"));
  if (!items) return;
  statuses->clear();
  size_t i = 0;
  for (Element item : *items) {
    if (auto s = as_uint(o.errors(), item, child_pointer(o.child("statuses"), i++), 200, 599))
      statuses->push_back(static_cast<int>(*s));
  }
  if (statuses->empty() && i == 0) o.errors().add(o.child("statuses"), "must not be empty");
}

void read_key_headers(ObjectReader& o, std::vector<std::string>* headers) {
  auto list = o.strings("key_headers");
  if (!list) return;
  if (list->size() > 16) o.errors().add(o.child("key_headers"), "at most 16 headers");
  for (size_t i = 0; i < list->size(); ++i) {
    if (!is_token((*list)[i]))
      o.errors().add(child_pointer(o.child("key_headers"), i), quote((*list)[i]) + " is not a valid header name");
    headers->push_back(lower((*list)[i]));
  }
}

}  // namespace

std::optional<policy::CacheOptions> read_cache_options(ObjectReader& o) {
  const size_t before = o.errors().count();
  policy::CacheOptions opts;
  if (auto v = o.uint("ttl_ms", 1, kMaxTtlMs)) opts.ttl_ms = *v;
  if (auto v = o.uint("max_ttl_ms", 1, kMaxTtlMs)) opts.max_ttl_ms = *v;
  if (auto v = o.uint("max_entries", 1, 100000000)) opts.max_entries = *v;
  if (auto v = o.uint("max_bytes", 1024, kMaxBytes)) opts.max_bytes = *v;
  if (auto v = o.uint("max_entry_bytes", 1, 1ULL << 30)) opts.max_entry_bytes = *v;
  if (opts.max_entry_bytes > opts.max_bytes)
    o.errors().add(o.child("max_entry_bytes"), "is larger than max_bytes (" + std::to_string(opts.max_bytes) + ")");
  read_methods(o, &opts.methods);
  read_statuses(o, &opts.statuses);
  read_key_headers(o, &opts.key_headers);
  if (auto b = o.boolean("request_no_cache")) opts.request_no_cache = *b;
  if (auto v = o.uint("max_waiters", 0, 1000000)) opts.max_waiters = *v;
  if (o.errors().count() != before) return std::nullopt;
  return opts;
}

}  // namespace apigw::config
