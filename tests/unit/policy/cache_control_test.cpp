// Cache-Control and list fields as the cache policy reads them.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "policy/cache_control.hpp"

using apigw::policy::CacheControl;
using apigw::policy::next_list_element;
using apigw::policy::parse_delta_seconds;

namespace {
CacheControl parse(std::string_view v) {
  CacheControl cc;
  cc.parse(v);
  return cc;
}
std::vector<std::string> elements(std::string_view v) {
  std::vector<std::string> out;
  std::string_view e;
  while (next_list_element(v, &e)) out.emplace_back(e);
  return out;
}
}  // namespace

TEST_CASE("cache-control: the directives the cache acts on, case-insensitive, with spaces") {
  auto cc = parse("Public ,  MAX-AGE=60,s-maxage=300 , no-transform");
  CHECK(cc.is_public);
  CHECK(cc.max_age == 60u);
  CHECK(cc.s_maxage == 300u);
  CHECK_FALSE(cc.no_store);
  CHECK_FALSE(cc.no_cache);
  CHECK_FALSE(cc.is_private);
  CHECK(parse("no-store").no_store);
  CHECK(parse("private=\"set-cookie\"").is_private);
  CHECK(parse("no-cache=\"x-a, x-b\", max-age=5").no_cache);
  CHECK(parse("no-cache=\"x-a, x-b\", max-age=5").max_age == 5u);
}

TEST_CASE("cache-control: quoted values, several fields, and malformed delta-seconds") {
  CHECK(parse("max-age=\"120\"").max_age == 120u);
  CacheControl cc;
  cc.parse("max-age=10");
  cc.parse("private");
  CHECK(cc.max_age == 10u);
  CHECK(cc.is_private);
  CHECK(parse("max-age=abc").max_age == 0u);  // RFC 9111 4.2.1: stale at once
  CHECK(parse("max-age=").max_age == 0u);
  CHECK(parse("max-age=-1").max_age == 0u);
  CHECK(parse("max-age=99999999999999999999999").max_age == 2147483648u);
  CHECK_FALSE(parse("").max_age.has_value());
  CHECK_FALSE(parse("x-max-age=5").max_age.has_value());
}

TEST_CASE("cache-control: list elements skip empties and respect quoted commas") {
  CHECK(elements(" a, ,b ,,\tc\t") == std::vector<std::string>{"a", "b", "c"});
  CHECK(elements("a=\"1,2\", b") == std::vector<std::string>{"a=\"1,2\"", "b"});
  CHECK(elements("a=\"x\\\",y\", b") == std::vector<std::string>{"a=\"x\\\",y\"", "b"});
  CHECK(elements("\"unterminated, b").size() == 1);
  CHECK(elements("").empty());
  CHECK(elements(" , ").empty());
  CHECK(parse_delta_seconds("0") == 0u);
  CHECK_FALSE(parse_delta_seconds(" 1").has_value());
}
