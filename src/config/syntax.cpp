#include "config/syntax.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "config/reader.hpp"

namespace apigw::config {

namespace {
bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
}  // namespace

std::string check_name(std::string_view name) {
  constexpr size_t kMaxName = 128;
  if (name.empty()) return "must not be empty";
  if (name.size() > kMaxName) return "is longer than 128 characters";
  for (char c : name)
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.' && c != '~')
      return "may only hold letters, digits, '-', '_', '.' and '~'";
  return "";
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_alnum(c) && !std::strchr("!#$%&'*+-.^_`|~", c)) return false;
  return true;
}

bool is_field_value(std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

std::string check_host(std::string_view host) {
  if (host.empty()) return "must not be empty";
  if (host.front() == '[') {
    std::string inside(host.substr(1, host.size() >= 2 ? host.size() - 2 : 0));
    in6_addr a6;
    bool ok = host.back() == ']' && inside.find('\0') == std::string::npos &&
              inet_pton(AF_INET6, inside.c_str(), &a6) == 1;
    return ok ? "" : "is not a valid [IPv6] host";
  }
  if (host == "*") return "is not a host pattern: leave \"hosts\" out to match any host";
  std::string_view rest = host;
  if (rest.substr(0, 2) == "*.") rest.remove_prefix(2);
  if (rest.empty()) return "has no domain after \"*.\"";
  if (rest.find(':') != std::string_view::npos) return "must not hold a port";
  size_t label = 0;
  for (char c : rest) {
    if (c == '.') {
      if (label == 0) return "has an empty label";
      label = 0;
    } else if (is_alnum(c) || c == '-' || c == '_') {
      ++label;
    } else {
      return "is not a host name (letters, digits, '-', '.'; \"*.\" only as a prefix)";
    }
  }
  if (label == 0) return "has an empty label";
  return "";
}

std::string check_listen_address(std::string_view address, bool* loopback) {
  const std::string expected = "expected IP:PORT or [IPv6]:PORT";
  std::string ip;
  std::string_view port;
  bool v6 = false;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() || address[close + 1] != ':')
      return expected;
    ip = std::string(address.substr(1, close - 1));
    port = address.substr(close + 2);
    v6 = true;
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return expected;
    ip = std::string(address.substr(0, colon));
    port = address.substr(colon + 1);
  }
  // inet_pton reads a C string: an embedded NUL would hide what follows it.
  if (ip.find('\0') != std::string::npos) return expected;
  if (port.empty() || port.size() > 5) return expected + " (port 0..65535)";
  unsigned long p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return expected + " (port 0..65535)";
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if (p > 65535) return "port must be 0..65535";
  if (v6) {
    in6_addr a6;
    if (inet_pton(AF_INET6, ip.c_str(), &a6) != 1) return quote(ip) + " is not an IPv6 address";
    if (loopback) *loopback = IN6_IS_ADDR_LOOPBACK(&a6);
  } else {
    in_addr a4;
    if (inet_pton(AF_INET, ip.c_str(), &a4) != 1)
      return expected + " (" + quote(ip) + " is not an IPv4 address; host names are not resolved)";
    if (loopback) *loopback = (ntohl(a4.s_addr) >> 24) == 127;
  }
  return "";
}

namespace {

// RFC 1123 host name, or a dotted-quad IPv4 address when every label is digits.
std::string check_host_name(std::string_view host) {
  const std::string what = "is not a host name (letters, digits, '-' and '.')";
  if (host.empty()) return "has an empty host";
  if (host.size() > 253) return "has a host name longer than 253 characters";
  size_t label = 0;
  bool all_digits = true;
  for (size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0) return "has an empty label in its host name";
      if (label > 63) return "has a host name label longer than 63 characters";
      if (host[i - label] == '-' || host[i - 1] == '-') return "has a host name label that starts or ends with '-'";
      label = 0;
      continue;
    }
    char c = host[i];
    if (!is_alnum(c) && c != '-') return quote(host) + " " + what;
    if (c < '0' || c > '9') all_digits = false;
    ++label;
  }
  if (all_digits) {
    in_addr a4;
    if (inet_pton(AF_INET, std::string(host).c_str(), &a4) != 1) return quote(host) + " is not an IPv4 address";
  }
  return "";
}

}  // namespace

std::string check_host_port(std::string_view address, bool port_required) {
  std::string_view host = address;
  std::string_view port;
  bool has_port = false;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos) return "has no ']' after the IPv6 address";
    std::string inside(address.substr(1, close - 1));
    in6_addr a6;
    if (inside.find('\0') != std::string::npos || inet_pton(AF_INET6, inside.c_str(), &a6) != 1)
      return quote(inside) + " is not an IPv6 address";
    std::string_view rest = address.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "has something other than \":PORT\" after ']'";
      port = rest.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = address.rfind(':');
    if (colon != std::string_view::npos) {
      host = address.substr(0, colon);
      port = address.substr(colon + 1);
      has_port = true;
    }
    if (host.find(':') != std::string_view::npos) return "an IPv6 address needs brackets, as in [::1]:80";
    if (std::string why = check_host_name(host); !why.empty()) return why;
  }
  if (!has_port) return port_required ? "has no port" : "";
  if (port.empty() || port.size() > 5) return "port must be 1..65535";
  unsigned long p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return "port must be 1..65535";
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if (p < 1 || p > 65535) return "port must be 1..65535";
  return "";
}

}  // namespace apigw::config
