#include "core/echo_handler.hpp"

#include <cstdio>

namespace apigw {

void append_json_string(std::pmr::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// Bytes that are not valid UTF-8 would make the JSON invalid; the body is
// echoed only when it is text of at most kMaxEchoedBody bytes, otherwise
// only its size is reported.
constexpr size_t kMaxEchoedBody = 1024 * 1024;
static bool is_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

Decision echo_handler(Exchange& ex) {
  const Request& r = ex.request();
  std::pmr::string& out = ex.response().body;
  bool echo_body = r.body.size() <= kMaxEchoedBody && is_utf8(r.body);
  size_t header_bytes = 0;
  for (const Header& h : r.headers) header_bytes += h.name.size() + h.value.size() + 8;
  out.reserve(256 + r.target.size() * 2 + header_bytes + (echo_body ? r.body.size() + r.body.size() / 8 : 0));
  out += "{\"method\":";
  append_json_string(out, r.method);
  out += ",\"path\":";
  append_json_string(out, r.path);
  out += ",\"query\":";
  append_json_string(out, r.query);
  out += ",\"version\":\"HTTP/1.";
  out.push_back(static_cast<char>('0' + r.version_minor));
  out += "\",\"route\":";
  append_json_string(out, ex.route().name);
  out += ",\"params\":{";
  bool first = true;
  for (const auto& p : ex.params()) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, p.name);
    out.push_back(':');
    append_json_string(out, p.value);
  }
  out += "},\"headers\":[";
  first = true;
  for (const Header& h : r.headers) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('[');
    append_json_string(out, h.name);
    out.push_back(',');
    append_json_string(out, h.value);
    out.push_back(']');
  }
  out += "],";
  if (echo_body) {
    out += "\"body\":";
    append_json_string(out, r.body);
  } else {
    out += "\"body_bytes\":";
    out += std::string_view(std::to_string(r.body.size()));
  }
  out += "}\n";
  ex.response().status = 200;
  ex.response().headers.set("content-type", "application/json");
  return Decision::kRespond;
}

}  // namespace apigw
