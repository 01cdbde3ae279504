#include "core/echo_handler.hpp"

#include <cstdio>

#include "core/json_text.hpp"

namespace apigw {

// Bytes that are not valid UTF-8 would make the JSON invalid; the body is
// echoed only when it is text of at most kMaxEchoedBody bytes, otherwise
// only its size is reported.
constexpr size_t kMaxEchoedBody = 1024 * 1024;

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
  if (r.tls) {
    // What policies see of a TLS client: its verified certificate, if any.
    out += ",\"tls\":{\"client_cert_subject\":";
    append_json_string(out, r.client_cert_subject);
    out += ",\"client_cert_san\":";
    append_json_string(out, r.client_cert_san);
    out += "}";
  }
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
