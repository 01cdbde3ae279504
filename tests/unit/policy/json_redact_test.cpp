// json_redact: pointer parsing and the remove/mask transform on documents.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "policy/json_redact.hpp"

namespace {

using apigw::policy::JsonPointer;
using apigw::policy::JsonRedactor;
using apigw::policy::JsonRedactRules;
using apigw::policy::RedactResult;

JsonPointer pointer(std::string_view text) {
  JsonPointer p;
  std::string why = apigw::policy::parse_json_pointer(text, &p);
  REQUIRE_MESSAGE(why.empty(), why);
  return p;
}

JsonRedactRules rules(std::vector<std::string_view> remove, std::vector<std::string_view> mask) {
  JsonRedactRules r;
  for (auto t : remove) r.remove.push_back(pointer(t));
  for (auto t : mask) r.mask.push_back(pointer(t));
  return r;
}

// The document after the transform (the input itself when unchanged).
std::string redact(std::string_view doc, const JsonRedactRules& r, RedactResult* result = nullptr) {
  JsonRedactor redactor;
  std::string out;
  RedactResult res = redactor.apply(doc, r, &out);
  if (result) *result = res;
  return res == RedactResult::kChanged ? out : std::string(doc);
}

}  // namespace

TEST_CASE("json pointer: RFC 6901 segments, escapes, indexes and the * wildcard") {
  JsonPointer p = pointer("/a~1b/m~0n/0/*/07/");
  REQUIRE(p.segments.size() == 6);
  CHECK(p.segments[0].key == "a/b");
  CHECK(p.segments[1].key == "m~n");
  CHECK(p.segments[2].index == 0);
  CHECK(p.segments[3].any);
  CHECK(p.segments[4].index == -1);  // a leading zero is a member name, not an index
  CHECK(p.segments[5].key.empty());  // the member named ""
  CHECK_FALSE(p.segments[0].any);
}

TEST_CASE("json pointer: errors say what is wrong") {
  JsonPointer p;
  CHECK(apigw::policy::parse_json_pointer("", &p).find("whole document") != std::string::npos);
  CHECK(apigw::policy::parse_json_pointer("a/b", &p).find("starts with \"/\"") != std::string::npos);
  CHECK(apigw::policy::parse_json_pointer("/a~2", &p).find("\"~\" must be followed by 0") != std::string::npos);
  CHECK(apigw::policy::parse_json_pointer("/a~", &p).find("\"~\"") != std::string::npos);
  std::string deep;
  for (int i = 0; i < 65; ++i) deep += "/x";
  CHECK(apigw::policy::parse_json_pointer(deep, &p).find("more than 64") != std::string::npos);
}

TEST_CASE("json redact: mask and remove members, keeping every other byte") {
  auto r = rules({"/password"}, {"/card"});
  CHECK(redact(R"({"user": "ada", "password": "x", "card": 4111, "n": 1.50})", r) ==
        R"({"user": "ada", "card": "***", "n": 1.50})");
  // Pretty-printed documents keep their layout.
  CHECK(redact("{\n  \"password\": \"x\",\n  \"a\": [1, 2]\n}", r) == "{\n  \"a\": [1, 2]\n}");
  CHECK(redact("{\n  \"a\": 1,\n  \"password\": \"x\"\n}", r) == "{\n  \"a\": 1\n}");
  CHECK(redact(R"({"password": 1})", r) == "{}");
  // A masked object or array becomes the string too.
  CHECK(redact(R"({"card": {"n": 1, "cvv": [1, 2]}, "z": null})", r) == R"({"card": "***", "z": null})");
}

TEST_CASE("json redact: nested pointers, and runs of removed members anywhere in an object") {
  auto r = rules({"/u/a", "/u/b", "/u/d", "/u/e"}, {"/u/c/deep"});
  CHECK(redact(R"({"u": {"a": 1, "b": 2, "c": {"deep": true, "k": 0}, "d": 4, "e": 5}, "v": 0})", r) ==
        R"({"u": {"c": {"deep": "***", "k": 0}}, "v": 0})");
  CHECK(redact(R"({"u": {"a": 1, "b": 2, "d": 4}})", r) == R"({"u": {}})");
  CHECK(redact(R"({"u": {"x": 0, "a": 1, "y": 0, "e": 5}})", r) == R"({"u": {"x": 0, "y": 0}})");
}

TEST_CASE("json redact: * matches every element of an array and every member of an object") {
  auto r = rules({}, {"/items/*/card"});
  CHECK(redact(R"({"items": [{"card": 1, "id": 7}, {"id": 8}, {"card": "4111"}, 3]})", r) ==
        R"({"items": [{"card": "***", "id": 7}, {"id": 8}, {"card": "***"}, 3]})");
  auto all = rules({"/meta/*"}, {});
  CHECK(redact(R"({"meta": {"a": 1, "b": [2]}, "keep": 1})", all) == R"({"meta": {}, "keep": 1})");
  auto every = rules({"/list/*"}, {});
  CHECK(redact(R"({"list": [1, 2, 3]})", every) == R"({"list": []})");
}

TEST_CASE("json redact: array indexes are matched against the original document") {
  auto r = rules({"/a/0", "/a/2"}, {"/a/3"});
  CHECK(redact(R"({"a": [10, 11, 12, 13, 14]})", r) == R"({"a": [11, "***", 14]})");
  auto tail = rules({"/a/1", "/a/2"}, {});
  CHECK(redact("[0]", tail) == "[0]");
  CHECK(redact(R"({"a": [0, 1, 2]})", tail) == R"({"a": [0]})");
  CHECK(redact(R"({"a": {"0": "member"}})", rules({"/a/0"}, {})) == R"({"a": {}})");
  auto root = rules({"/1"}, {"/0/x"});
  CHECK(redact(R"([{"x": 1}, 2, 3])", root) == R"([{"x": "***"}, 3])");
}

TEST_CASE("json redact: ~0 and ~1 escapes, and keys written with JSON escapes") {
  auto r = rules({"/a~1b"}, {"/m~0n"});
  CHECK(redact(R"({"a/b": 1, "m~n": 2, "a~1b": 3})", r) == R"({"m~n": "***", "a~1b": 3})");
  // The key as decoded, whatever escapes the document used for it.
  CHECK(redact(R"({"\u0061\/b": 1, "c": 2})", r) == R"({"c": 2})");
}

TEST_CASE("json redact: unicode strings, numbers and escapes outside the edits are kept exactly") {
  auto r = rules({"/secret"}, {});
  const std::string doc =
      R"({"name": "Zoë \u00e9 😀 \"q\" \\", "big": 123456789012345678901234567890, "f": 1.0e+2, "neg": -0.0, "secret": "s"})";
  CHECK(redact(doc, r) ==
        R"({"name": "Zoë \u00e9 😀 \"q\" \\", "big": 123456789012345678901234567890, "f": 1.0e+2, "neg": -0.0})");
  // Beyond 64 bits and doubles: still JSON, kept as written.
  CHECK(redact(R"([1e400, -123456789012345678901234567890.5e-999, {"secret": 1}])", rules({"/2/secret"}, {})) ==
        R"([1e400, -123456789012345678901234567890.5e-999, {}])");
  CHECK(redact("\xEF\xBB\xBF{\"secret\": 1}", r) == "\xEF\xBB\xBF{}");  // a byte order mark stays
  auto m = rules({}, {"/ü"});
  CHECK(redact(R"({"ü": "ç", "x": "ü"})", m) == R"({"ü": "***", "x": "ü"})");
}

TEST_CASE("json redact: pointers that match nothing leave the document alone") {
  auto r = rules({"/missing", "/a/b/c", "/list/9"}, {"/s/x", "/n/0"});
  RedactResult res;
  const std::string doc = R"({"a": {"b": 1}, "list": [1], "s": "text", "n": 5})";
  CHECK(redact(doc, r, &res) == doc);
  CHECK(res == RedactResult::kUnchanged);
  CHECK(redact("\"just a string\"", r, &res) == "\"just a string\"");
  CHECK(res == RedactResult::kUnchanged);
}

TEST_CASE("json redact: removed wins over masked, and duplicate keys are all matched") {
  auto r = rules({"/a"}, {"/a", "/b"});
  CHECK(redact(R"({"a": 1, "b": 2, "b": 3})", r) == R"({"b": "***", "b": "***"})");
}

TEST_CASE("json redact: malformed documents are reported, never changed") {
  auto r = rules({"/a"}, {});
  for (std::string_view bad : {R"({"a": 1,})", R"({"a": 1)", "{\"a\": \"\xff\"}", R"({"a": 01})", "", "  ",
                               R"({"a": 1} {"a": 2})", "{\"a\": \"tab\there\"}", "nul",
                               R"({"a": 1e400, "b": 01})", R"([1.])", "\xEF\xBB"}) {
    JsonRedactor redactor;
    std::string out = "untouched";
    CHECK_MESSAGE(redactor.apply(bad, r, &out) == RedactResult::kMalformed, bad);
    CHECK(out == "untouched");
  }
  std::string deep(2000, '[');
  deep += std::string(2000, ']');
  JsonRedactor redactor;
  std::string out;
  CHECK(redactor.apply(deep, r, &out) == RedactResult::kMalformed);
}

TEST_CASE("json redact: one redactor serves many documents, small and large") {
  JsonRedactor redactor;
  auto r = rules({}, {"/k"});
  std::string out;
  std::string big = R"({"pad": ")" + std::string(200000, 'x') + R"(", "k": 1})";
  REQUIRE(redactor.apply(big, r, &out) == RedactResult::kChanged);
  CHECK(out.size() == big.size() + 4);
  CHECK(out.substr(out.size() - 11) == R"("k": "***"})");
  REQUIRE(redactor.apply(R"({"k": [1]})", r, &out) == RedactResult::kChanged);
  CHECK(out == R"({"k": "***"})");
}
