// The pattern keyword's regular expressions: the supported syntax, errors
// for what is not, and linear time on inputs that make backtracking engines
// explode.
#include <doctest/doctest.h>

#include <string>

#include "policy/schema_regex.hpp"

namespace {

using apigw::policy::SchemaRegex;

bool matches(std::string_view pattern, std::string_view text) {
  SchemaRegex re;
  std::string why = re.compile(pattern);
  REQUIRE_MESSAGE(why.empty(), why);
  return re.search(text);
}

std::string refused(std::string_view pattern) {
  SchemaRegex re;
  return re.compile(pattern);
}

}  // namespace

TEST_CASE("schema_regex: literals, dot, anchors and unanchored search") {
  CHECK(matches("abc", "xxabcxx"));
  CHECK_FALSE(matches("abd", "xxabcxx"));
  CHECK(matches("^abc", "abcx"));
  CHECK_FALSE(matches("^abc", "xabc"));
  CHECK(matches("abc$", "xabc"));
  CHECK_FALSE(matches("abc$", "abcx"));
  CHECK(matches("^$", ""));
  CHECK_FALSE(matches("^$", "a"));
  CHECK(matches("", "anything"));
  CHECK(matches("a.c", "abc"));
  CHECK_FALSE(matches("a.c", "a\nc"));
  CHECK(matches("^.$", "\xf0\x9f\x98\x80"));  // one code point, four bytes
}

TEST_CASE("schema_regex: classes, ranges, negation and shorthands") {
  CHECK(matches("^[a-c]+$", "abcabc"));
  CHECK_FALSE(matches("^[a-c]+$", "abd"));
  CHECK(matches("^[^0-9]+$", "abc"));
  CHECK_FALSE(matches("^[^0-9]+$", "ab1"));
  CHECK(matches("^\\d{3}$", "123"));
  CHECK_FALSE(matches("^\\d{3}$", "12a"));
  CHECK(matches("^\\w+\\s\\w+$", "hello world"));
  CHECK(matches("^\\D\\W\\S$", "a-b"));
  CHECK(matches("^[\\d.-]+$", "1.2-3"));
  CHECK(matches("^[]a]$", "]") == false);  // "[]" is an empty class, then "a]$"
  CHECK(matches("^\\x41\\u00e9$", "A\xc3\xa9"));
  CHECK(matches("^[\\u00e0-\\u00ff]$", "\xc3\xa9"));
  CHECK(matches("^\\.\\*\\\\$", ".*\\"));
  CHECK(matches("a]", "a]"));
}

TEST_CASE("schema_regex: groups, alternation and quantifiers") {
  CHECK(matches("^(ab|cd)+$", "abcdab"));
  CHECK_FALSE(matches("^(ab|cd)+$", "abc"));
  CHECK(matches("^(?:x|y)?z$", "z"));
  CHECK(matches("^a{2}$", "aa"));
  CHECK_FALSE(matches("^a{2}$", "aaa"));
  CHECK(matches("^a{2,}$", "aaaaa"));
  CHECK_FALSE(matches("^a{2,}$", "a"));
  CHECK(matches("^a{1,3}b$", "aaab"));
  CHECK_FALSE(matches("^a{1,3}b$", "aaaab"));
  CHECK(matches("^a*?b+?$", "aabb"));
  CHECK(matches("^(a*)*$", "aaaa"));   // an empty loop ends
  CHECK(matches("^(^a)$", "a"));
  CHECK(matches("^(|a)$", ""));
  CHECK(matches("^colou?r$", "color"));
}

TEST_CASE("schema_regex: what is not supported is refused with a reason") {
  CHECK(refused("(a").find("missing ')'") != std::string::npos);
  CHECK(refused("a)").find("unmatched ')'") != std::string::npos);
  CHECK(refused("[a").find("missing ']'") != std::string::npos);
  CHECK(refused("*a").find("nothing to repeat") != std::string::npos);
  CHECK(refused("a**").find("nothing to repeat") != std::string::npos);
  CHECK(refused("^*").find("nothing to repeat") != std::string::npos);
  CHECK(refused("(a)\\1").find("not supported") != std::string::npos);
  CHECK(refused("\\bword").find("not supported") != std::string::npos);
  CHECK(refused("(?=a)").find("lookaround") != std::string::npos);
  CHECK(refused("a{2").find("unterminated") != std::string::npos);
  CHECK(refused("a{3,2}").find("n > m") != std::string::npos);
  CHECK(refused("a{1001}").find("above 1000") != std::string::npos);
  CHECK(refused("{").find("must be escaped") != std::string::npos);
  CHECK(refused("[z-a]").find("out of order") != std::string::npos);
  CHECK(refused("\\").find("ends with") != std::string::npos);
  CHECK(refused("\\xZZ").find("hex digits") != std::string::npos);
  CHECK(refused("(a{1000}){1000}").find("too large") != std::string::npos);
  CHECK(refused(std::string(40, '(') + std::string(40, ')')).find("nested deeper") != std::string::npos);
  CHECK(refused(std::string(2000, 'a')).find("longer than") != std::string::npos);
}

TEST_CASE("schema_regex: hostile inputs take linear time (no backtracking)") {
  // Catastrophic for backtracking engines: (a+)+$ on "aaaa...b".
  std::string text(100000, 'a');
  text += 'b';
  CHECK_FALSE(matches("^(a+)+$", text));
  CHECK_FALSE(matches("(a|aa)*c", text));
  CHECK(matches("(a|aa)*b", text));
  // Stray bytes are code points of their own; the search goes on past them.
  CHECK(matches("^.\\d$", "\xff" "1"));
  CHECK(matches("^[^a]$", "\xc3"));
}
