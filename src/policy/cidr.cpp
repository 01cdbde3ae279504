#include "policy/cidr.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace apigw::policy {
namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_mapped_v4(const std::array<uint8_t, 16>& b) {
  return std::memcmp(b.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0;
}

// inet_pton wants a NUL-terminated string: copy into a stack buffer.
bool parse_address(std::string_view text, IpAddress* out, bool* v4) noexcept {
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (text.find(':') == std::string_view::npos) {
    uint8_t a[4];
    if (inet_pton(AF_INET, buf, a) != 1) return false;
    std::memcpy(out->bytes.data(), kMappedPrefix.data(), kMappedPrefix.size());
    std::memcpy(out->bytes.data() + 12, a, 4);
    *v4 = true;
    return true;
  }
  *v4 = false;
  return inet_pton(AF_INET6, buf, out->bytes.data()) == 1;
}

}  // namespace

bool Cidr::contains(const IpAddress& ip) const noexcept {
  size_t full = prefix / 8;
  if (std::memcmp(ip.bytes.data(), network.data(), full) != 0) return false;
  unsigned rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip.bytes[full] & mask) == network[full];
}

std::string Cidr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_mapped_v4(network) && prefix >= 96) {
    inet_ntop(AF_INET, network.data() + 12, buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(prefix - 96);
  }
  inet_ntop(AF_INET6, network.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(prefix);
}

bool parse_ip(std::string_view text, IpAddress* out) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  bool v4 = false;
  return parse_address(text, out, &v4);
}

std::string parse_cidr(std::string_view text, Cidr* out) {
  if (text.empty()) return "must not be empty";
  size_t slash = text.find('/');
  std::string_view address = text.substr(0, slash);
  IpAddress ip;
  bool v4 = false;
  if (!parse_address(address, &ip, &v4))
    return address.find(':') == std::string_view::npos ? "invalid IPv4 address" : "invalid IPv6 address";
  const unsigned max_bits = v4 ? 32 : 128;
  unsigned bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view len = text.substr(slash + 1);
    bool digits = !len.empty() && len.size() <= 3;
    for (char c : len) digits = digits && c >= '0' && c <= '9';
    if (!digits || (len.size() > 1 && len.front() == '0'))
      return "invalid prefix length (expected 0.." + std::to_string(max_bits) + ")";
    bits = 0;
    for (char c : len) bits = bits * 10 + static_cast<unsigned>(c - '0');
    if (bits > max_bits) return "prefix length " + std::to_string(bits) + " is more than " + std::to_string(max_bits);
  }
  Cidr c;
  c.prefix = static_cast<uint8_t>(v4 ? bits + 96 : bits);
  for (unsigned i = 0; i < 16; ++i) {
    unsigned kept = c.prefix >= (i + 1) * 8 ? 8 : c.prefix > i * 8 ? c.prefix - i * 8 : 0;
    auto mask = static_cast<uint8_t>(kept == 0 ? 0 : 0xff << (8 - kept));
    c.network[i] = ip.bytes[i] & mask;
  }
  if (c.network != ip.bytes) return "has bits set beyond the prefix (did you mean \"" + c.to_string() + "\"?)";
  *out = c;
  return "";
}

}  // namespace apigw::policy
