// The CIDR parser behind ip_filter: strict errors, and matching.
#include <doctest/doctest.h>

#include "policy/cidr.hpp"

namespace {
std::string why(std::string_view s) {
  apigw::policy::Cidr c;
  return apigw::policy::parse_cidr(s, &c);
}
bool in(std::string_view cidr, std::string_view ip) {
  apigw::policy::Cidr c;
  apigw::policy::IpAddress a;
  REQUIRE(apigw::policy::parse_cidr(cidr, &c) == "");
  REQUIRE(apigw::policy::parse_ip(ip, &a));
  return c.contains(a);
}
}  // namespace

TEST_CASE("cidr: valid blocks and single addresses") {
  for (auto s : {"10.0.0.0/8", "0.0.0.0/0", "192.168.1.1", "192.168.1.1/32", "2001:db8::/32", "::/0", "::1",
                 "fe80::/10", "::ffff:10.0.0.0/104"})
    CHECK_MESSAGE(why(s) == "", s);
  apigw::policy::Cidr c;
  REQUIRE(apigw::policy::parse_cidr("10.0.0.0/8", &c) == "");
  CHECK(c.to_string() == "10.0.0.0/8");
  REQUIRE(apigw::policy::parse_cidr("2001:db8::/32", &c) == "");
  CHECK(c.to_string() == "2001:db8::/32");
}

TEST_CASE("cidr: strict errors say what is wrong") {
  CHECK(why("") == "must not be empty");
  CHECK(why("10.0.0/8") == "invalid IPv4 address");
  CHECK(why("10.0.0.256") == "invalid IPv4 address");
  CHECK(why("010.0.0.1") == "invalid IPv4 address");  // octal-looking octets are ambiguous
  CHECK(why("2001:db8:::1/64") == "invalid IPv6 address");
  CHECK(why("10.0.0.0/33") == "prefix length 33 is more than 32");
  CHECK(why("::/129") == "prefix length 129 is more than 128");
  CHECK(why("10.0.0.0/08").find("invalid prefix length") == 0);
  CHECK(why("10.0.0.0/").find("invalid prefix length") == 0);
  CHECK(why("10.0.0.0/-1").find("invalid prefix length") == 0);
  CHECK(why("10.0.0.0/8/8").find("invalid prefix length") == 0);
  CHECK(why("10.0.0.1/8") == "has bits set beyond the prefix (did you mean \"10.0.0.0/8\"?)");
  CHECK(why("2001:db8::1/32") == "has bits set beyond the prefix (did you mean \"2001:db8::/32\"?)");
  CHECK(why(" 10.0.0.0/8") != "");
  CHECK(why("[::1]") != "");
  CHECK(why("fe80::1%eth0") != "");
}

TEST_CASE("cidr: contains, across families and prefix boundaries") {
  CHECK(in("10.0.0.0/8", "10.255.1.2"));
  CHECK_FALSE(in("10.0.0.0/8", "11.0.0.0"));
  CHECK(in("192.168.1.128/25", "192.168.1.200"));
  CHECK_FALSE(in("192.168.1.128/25", "192.168.1.127"));
  CHECK(in("0.0.0.0/0", "1.2.3.4"));
  CHECK_FALSE(in("0.0.0.0/0", "::1"));  // IPv4 blocks hold no IPv6 addresses
  CHECK(in("::/0", "1.2.3.4"));         // ... while ::/0 is everything
  CHECK(in("10.0.0.0/8", "::ffff:10.1.2.3"));
  CHECK(in("2001:db8::/33", "2001:db8:7fff::1"));
  CHECK_FALSE(in("2001:db8::/33", "2001:db8:8000::1"));
  CHECK(in("::1", " ::1\t"));
  apigw::policy::IpAddress a;
  CHECK_FALSE(apigw::policy::parse_ip("", &a));
  CHECK_FALSE(apigw::policy::parse_ip("1.2.3.4:80", &a));
  CHECK_FALSE(apigw::policy::parse_ip(std::string(100, '1'), &a));
}
