#include "http/response_head.hpp"

#include <charconv>

namespace apigw::http {

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

namespace {
bool is_framing(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "connection") || iequals(name, "keep-alive");
}

// A CR, LF or NUL from a handler would split the response: such a field is
// dropped. No early exit: the loop vectorises, and headers are short.
bool is_safe(std::string_view s) {
  bool bad = false;
  for (char c : s) bad |= (c == '\r') | (c == '\n') | (c == '\0');
  return !bad;
}

void append_number(std::pmr::string& out, uint64_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}
}  // namespace

void append_response_head(std::pmr::string& out, const Response& response, const HeadOptions& o) {
  int status = response.status;
  out += "HTTP/1.1 ";
  append_number(out, static_cast<uint64_t>(status));
  out.push_back(' ');
  out += reason_phrase(status);
  out += "\r\n";
  bool has_date = false;
  for (const Header& h : response.headers) {
    if (is_framing(h.name) || h.name.empty() || !is_safe(h.name) || !is_safe(h.value)) continue;
    if (status == 101 && iequals(h.name, "upgrade")) continue;  // written below
    if (iequals(h.name, "date")) has_date = true;
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  if (!has_date) out += o.date;
  if (!status_allows_body(status)) {
    // 1xx, 204 and 304 carry no body and no framing.
  } else if (o.content_length >= 0) {
    out += "content-length: ";
    append_number(out, static_cast<uint64_t>(o.content_length));
    out += "\r\n";
  } else if (o.stream) {
    if (o.version_minor >= 1) out += "transfer-encoding: chunked\r\n";
  } else {
    out += "content-length: ";
    append_number(out, response.body.size());
    out += "\r\n";
  }
  if (status == 101) {
    // Switching protocols: the connection becomes the tunnel.
    out += "connection: upgrade\r\nupgrade: ";
    out += response.headers.get("upgrade");
    out += "\r\n";
  } else if (!o.keep_alive) {
    out += "connection: close\r\n";
  } else if (o.version_minor == 0) {
    out += "connection: keep-alive\r\n";
  }
  out += "\r\n";
}

}  // namespace apigw::http
