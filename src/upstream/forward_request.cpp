#include "upstream/forward_request.hpp"

#include <charconv>

#include "core/placeholders.hpp"

namespace apigw::upstream {
namespace {

// Does the comma-separated `list` name `token` (case-insensitively)?
bool lists(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

void append_field(std::pmr::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

}  // namespace

bool wants_upgrade(const Request& r) noexcept {
  return r.headers.has("upgrade") && lists(r.headers.get("connection"), "upgrade");
}

bool is_hop_by_hop(std::string_view name, std::string_view connection) noexcept {
  return iequals(name, "connection") || iequals(name, "keep-alive") || iequals(name, "te") ||
         iequals(name, "trailer") || iequals(name, "transfer-encoding") || iequals(name, "upgrade") ||
         starts_with_ci(name, "proxy-") || (!connection.empty() && lists(connection, name));
}

std::string_view rewritten_path(Exchange& ex, const RewriteOptions& rw) {
  std::string_view path = ex.request().path;
  if (!rw.strip_prefix.empty()) {
    if (path.substr(0, rw.strip_prefix.size()) != rw.strip_prefix) return path;
    std::string_view rest = path.substr(rw.strip_prefix.size());
    if (!rest.empty() && rest.front() == '/') return rest;
    std::pmr::string out(&ex.arena());
    out += "/";
    out += rest;
    return ex.arena().dup(out);
  }
  if (rw.path.empty()) return path;
  std::pmr::string out(&ex.arena());
  expand_placeholders(out, rw.path, ex, /*exchange_values=*/false, /*keep_unknown=*/false);
  return ex.arena().dup(out);
}

void append_upstream_head(std::pmr::string& out, Exchange& ex, const RewriteOptions& rw, bool streamed_body,
                          std::string_view traceparent) {
  const Request& r = ex.request();
  std::string_view connection = r.headers.get("connection");
  out += r.method;
  out += ' ';
  out += rewritten_path(ex, rw);
  if (!r.query.empty() || r.target.find('?') != std::string_view::npos) {
    out += '?';
    out += r.query;
  }
  out += " HTTP/1.1\r\n";

  std::string_view host = r.headers.get("host");
  append_field(out, "host", rw.host.empty() ? host : std::string_view(rw.host));
  std::string_view forwarded_for, via;
  for (const Header& h : r.headers) {
    if (is_hop_by_hop(h.name, connection) || iequals(h.name, "host") || iequals(h.name, "content-length") ||
        iequals(h.name, "x-forwarded-proto") || iequals(h.name, "x-forwarded-host") || iequals(h.name, "expect"))
      continue;
    if (iequals(h.name, "x-forwarded-for")) {
      forwarded_for = h.value;  // the last one wins: clients may send several
      continue;
    }
    if (iequals(h.name, "via")) {
      via = h.value;
      continue;
    }
    if (!traceparent.empty() && iequals(h.name, "traceparent")) continue;
    append_field(out, h.name, h.value);
  }
  if (!traceparent.empty()) append_field(out, "traceparent", traceparent);
  out += "x-forwarded-for: ";
  if (!forwarded_for.empty()) {
    out += forwarded_for;
    out += ", ";
  }
  out += r.client_ip;
  out += r.tls ? "\r\nx-forwarded-proto: https\r\n" : "\r\nx-forwarded-proto: http\r\n";
  if (!host.empty()) append_field(out, "x-forwarded-host", host);
  out += "via: ";
  if (!via.empty()) {
    out += via;
    out += ", ";
  }
  out += "1.1 apigw\r\n";
  if (wants_upgrade(r)) {
    out += "connection: upgrade\r\n";
    append_field(out, "upgrade", r.headers.get("upgrade"));
  }
  bool has_body = !r.body.empty() || r.headers.has("content-length") || r.headers.has("transfer-encoding");
  if (streamed_body) {
    if (r.headers.has("content-length")) append_field(out, "content-length", r.headers.get("content-length"));
    else out += "transfer-encoding: chunked\r\n";
  } else if (has_body) {
    char len[24];
    auto res = std::to_chars(len, len + sizeof len, r.body.size());
    out += "content-length: ";
    out.append(len, static_cast<size_t>(res.ptr - len));
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace apigw::upstream
