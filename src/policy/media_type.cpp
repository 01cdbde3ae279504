#include "policy/media_type.hpp"

namespace apigw::policy {
namespace {

bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  for (char t : std::string_view("!#$%&'*+-.^_`|~"))
    if (c == t) return true;
  return false;
}

std::string_view token(std::string_view s, size_t* i) noexcept {
  size_t start = *i;
  while (*i < s.size() && is_tchar(s[*i])) ++*i;
  return s.substr(start, *i - start);
}

void skip_ows(std::string_view s, size_t* i) noexcept {
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\t')) ++*i;
}

bool equal_ci(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

bool parse_media_type(std::string_view s, MediaType* out) noexcept {
  *out = MediaType{};
  size_t i = 0;
  skip_ows(s, &i);
  out->type = token(s, &i);
  if (out->type.empty() || i >= s.size() || s[i] != '/') return false;
  ++i;
  out->subtype = token(s, &i);
  if (out->subtype.empty()) return false;
  for (;;) {
    skip_ows(s, &i);
    if (i == s.size()) return true;
    if (s[i] != ';') return false;
    ++i;
    skip_ows(s, &i);
    if (i == s.size()) return true;  // a trailing ';' is harmless
    std::string_view name = token(s, &i);
    if (name.empty() || i >= s.size() || s[i] != '=') return false;
    ++i;
    std::string_view value;
    if (i < s.size() && s[i] == '"') {
      // A quoted string without escapes is what clients send; one with
      // escapes is refused rather than compared half-decoded.
      size_t end = s.find('"', i + 1);
      if (end == std::string_view::npos) return false;
      value = s.substr(i + 1, end - i - 1);
      if (value.find('\\') != std::string_view::npos) return false;
      i = end + 1;
    } else {
      value = token(s, &i);
      if (value.empty()) return false;
    }
    if (out->param_count == MediaType::kMaxParams) return false;
    out->params[out->param_count++] = {name, value};
  }
}

bool media_type_allows(const MediaType& allowed, const MediaType& got) noexcept {
  if (allowed.type != "*" && !equal_ci(allowed.type, got.type)) return false;
  if (allowed.subtype != "*" && !equal_ci(allowed.subtype, got.subtype)) return false;
  // A listed type without parameters allows any (application/json allows
  // application/json; charset=utf-8); listed parameters must all match.
  if (allowed.param_count != 0 && allowed.param_count != got.param_count) return false;
  for (size_t a = 0; a < allowed.param_count; ++a) {
    const auto& [name, value] = allowed.params[a];
    bool found = false;
    for (size_t g = 0; g < got.param_count && !found; ++g) {
      if (!equal_ci(name, got.params[g].first)) continue;
      found = equal_ci(name, "charset") ? equal_ci(value, got.params[g].second) : value == got.params[g].second;
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace apigw::policy
