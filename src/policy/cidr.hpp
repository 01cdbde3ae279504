// IP addresses and CIDR blocks for ip_filter, parsed strictly.
//
// IPv4 is held as the IPv4-mapped IPv6 address (::ffff:a.b.c.d), so one
// comparison serves both families and a dual-stack socket's "::ffff:1.2.3.4"
// peer matches "1.2.3.0/24".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace apigw::policy {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};
};

struct Cidr {
  std::array<uint8_t, 16> network{};
  uint8_t prefix = 0;  // of 128 bits (an IPv4 /24 is 120)
  bool contains(const IpAddress& ip) const noexcept;
  std::string to_string() const;  // "10.0.0.0/8", "2001:db8::/32"
};

// A bare address ("10.1.2.3", "2001:db8::1"), surrounding spaces and tabs
// ignored; no ports, brackets or zones. Never allocates.
bool parse_ip(std::string_view text, IpAddress* out) noexcept;

// "10.0.0.0/8", "2001:db8::/32", or one address (a /32 or /128). Refuses a
// prefix out of range or with leading zeros, and an address with bits set
// beyond the prefix (a typo in one of the two). "" when fine, else why not.
std::string parse_cidr(std::string_view text, Cidr* out);

}  // namespace apigw::policy
