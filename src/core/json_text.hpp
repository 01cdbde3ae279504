// JSON string literals from arbitrary bytes (request paths, header values,
// error messages): quotes, backslashes and control bytes escaped, and every
// byte that is not part of valid UTF-8 replaced by U+FFFD, so the output is
// always valid JSON whatever a client sent.
#pragma once

#include <cstddef>
#include <string_view>

namespace apigw {

// Length of the valid UTF-8 sequence starting at s[i], 0 when there is none.
inline size_t utf8_sequence(std::string_view s, size_t i) noexcept {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((byte(i + k) >> 6) != 2) return 0;
  return n;
}

inline bool is_utf8(std::string_view s) noexcept {
  for (size_t i = 0, n; i < s.size(); i += n)
    if ((n = utf8_sequence(s, i)) == 0) return false;
  return true;
}

// Bytes copied into a JSON string as they are: printable ASCII but '"' and '\\'.
struct JsonPlainBytes {
  bool plain[256] = {};
  constexpr JsonPlainBytes() {
    for (int c = 0x20; c < 0x7f; ++c) plain[c] = c != '"' && c != '\\';
  }
};
inline constexpr JsonPlainBytes kJsonPlain;

// Appends `s` to `out` (any string type) as a JSON string literal, quotes included.
template <class String>
void append_json_string(String& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    size_t run = i;  // plain bytes are copied as one run
    while (run < s.size() && kJsonPlain.plain[static_cast<unsigned char>(s[run])]) ++run;
    out.append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out.append("\\\"", 2); break;
      case '\\': out.append("\\\\", 2); break;
      case '\n': out.append("\\n", 2); break;
      case '\r': out.append("\\r", 2); break;
      case '\t': out.append("\\t", 2); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out.append("\\u00", 4);
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else if (size_t n = utf8_sequence(s, i)) {
          out.append(s.data() + i, n);
          i += n;
          continue;
        } else {
          out.append("\\ufffd", 6);
        }
    }
    ++i;
  }
  out.push_back('"');
}

}  // namespace apigw
