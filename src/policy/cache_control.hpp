// Cache-Control (RFC 9111 section 5.2) and Vary field values, parsed for the
// cache policy. Pure functions over bytes from the network: never throw,
// never allocate, accept anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace apigw::policy {

// The directives the cache acts on; every other one is ignored. Names are
// case-insensitive; a value may be a token or a quoted string. A malformed
// delta-seconds (max-age=abc) counts as 0, as RFC 9111 section 4.2.1 asks
// for: the answer is then stale at once, so not stored.
struct CacheControl {
  bool no_store = false;
  bool no_cache = false;
  bool is_private = false;
  bool is_public = false;
  std::optional<uint64_t> max_age;   // seconds
  std::optional<uint64_t> s_maxage;  // seconds

  // Accumulates: a message may carry several Cache-Control fields.
  void parse(std::string_view value) noexcept;
};

// The next comma-separated element of a list field (Vary, Cache-Control),
// without surrounding spaces and tabs; empty elements are skipped. False at
// the end. `rest` is advanced past it.
bool next_list_element(std::string_view& rest, std::string_view* element) noexcept;

// A delta-seconds (RFC 9111 section 1.2.2): digits only, saturating at
// 2^31 as the RFC allows; nullopt for anything else.
std::optional<uint64_t> parse_delta_seconds(std::string_view text) noexcept;

}  // namespace apigw::policy
