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

}  // namespace apigw::config
