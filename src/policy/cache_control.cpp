#include "policy/cache_control.hpp"

#include "apigw/headers.hpp"

namespace apigw::policy {
namespace {

constexpr uint64_t kDeltaMax = 2147483648ull;  // RFC 9111 1.2.2: the largest value to keep

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The end of the element starting at `s`: the first comma outside a quoted string.
size_t element_end(std::string_view s) noexcept {
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted && c == '\\') {
      ++i;  // quoted-pair: the next byte is literal
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      return i;
    }
  }
  return s.size();
}

// A value's text: without the quotes of a quoted string (escapes left as sent:
// the values the cache reads are numbers).
std::string_view unquote(std::string_view v) noexcept {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

}  // namespace

bool next_list_element(std::string_view& rest, std::string_view* element) noexcept {
  while (!rest.empty()) {
    size_t end = element_end(rest);
    std::string_view e = trim(rest.substr(0, end));
    rest.remove_prefix(end < rest.size() ? end + 1 : end);
    if (!e.empty()) {
      *element = e;
      return true;
    }
  }
  return false;
}

std::optional<uint64_t> parse_delta_seconds(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > kDeltaMax) v = kDeltaMax;
  }
  return v;
}

void CacheControl::parse(std::string_view value) noexcept {
  std::string_view element;
  while (next_list_element(value, &element)) {
    size_t eq = element.find('=');
    std::string_view name = trim(element.substr(0, eq));
    std::string_view arg = eq == std::string_view::npos ? std::string_view() : unquote(trim(element.substr(eq + 1)));
    if (iequals(name, "no-store")) {
      no_store = true;
    } else if (iequals(name, "no-cache")) {
      no_cache = true;  // with field names ("no-cache=set-cookie") too: never stored, to be safe
    } else if (iequals(name, "private")) {
      is_private = true;
    } else if (iequals(name, "public")) {
      is_public = true;
    } else if (iequals(name, "max-age")) {
      max_age = parse_delta_seconds(arg).value_or(0);
    } else if (iequals(name, "s-maxage")) {
      s_maxage = parse_delta_seconds(arg).value_or(0);
    }
  }
}

}  // namespace apigw::policy
