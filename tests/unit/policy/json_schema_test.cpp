// The JSON Schema subset alone: every keyword passing and failing (with the
// JSON pointer of the violation in the message), compile errors at their
// pointers, the nesting cap, and lengths in code points.
#include <doctest/doctest.h>

#include <string>

#include "policy/json_schema.hpp"

namespace {

using apigw::policy::JsonSchema;

std::string dump(const std::vector<JsonSchema::Error>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.pointer + ": " + e.message + "\n";
  return out.empty() ? "(no errors)" : out;
}

std::shared_ptr<const JsonSchema> compile(std::string_view schema, uint32_t max_depth = 64) {
  std::vector<JsonSchema::Error> errors;
  auto s = JsonSchema::compile(schema, max_depth, &errors);
  REQUIRE_MESSAGE(s, dump(errors));
  return s;
}

// "" when `doc` is valid, else the violation's message.
std::string check(std::string_view schema, std::string_view doc) {
  auto v = compile(schema)->validate(doc);
  if (v.kind == JsonSchema::Verdict::Kind::kInvalidJson) return "invalid json: " + v.message;
  return v.message;
}

// The errors of a schema that must not compile.
std::vector<JsonSchema::Error> errors_of(std::string_view schema, uint32_t max_depth = 64) {
  std::vector<JsonSchema::Error> errors;
  CHECK_FALSE(JsonSchema::compile(schema, max_depth, &errors));
  return errors;
}

bool has_error(const std::vector<JsonSchema::Error>& errors, std::string_view pointer, std::string_view part) {
  for (const auto& e : errors)
    if (e.pointer == pointer && e.message.find(part) != std::string::npos) return true;
  return false;
}

#define CHECK_SCHEMA_ERROR(errors, pointer, part) CHECK_MESSAGE(has_error(errors, pointer, part), dump(errors))

}  // namespace

TEST_CASE("json_schema: type, one name or a list, with integer as a number without a fraction") {
  CHECK(check(R"({"type": "string"})", R"("x")") == "");
  CHECK(check(R"({"type": "string"})", "1") == "(root): expected string, got integer");
  CHECK(check(R"({"type": "number"})", "1.5") == "");
  CHECK(check(R"({"type": "integer"})", "2") == "");
  CHECK(check(R"({"type": "integer"})", "2.0") == "");
  CHECK(check(R"({"type": "integer"})", "2.5") == "(root): expected integer, got number");
  CHECK(check(R"({"type": "boolean"})", "false") == "");
  CHECK(check(R"({"type": "null"})", "null") == "");
  CHECK(check(R"({"type": "object"})", "[]") == "(root): expected object, got array");
  CHECK(check(R"({"type": "array"})", "{}") == "(root): expected array, got object");
  CHECK(check(R"({"type": ["string", "null"]})", "null") == "");
  CHECK(check(R"({"type": ["string", "null"]})", "true") == "(root): expected string or null, got boolean");
}

TEST_CASE("json_schema: properties, required and additionalProperties name the property at fault") {
  const char* s = R"({"type": "object", "required": ["id", "name"], "additionalProperties": false,
                      "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "tag": {}}})";
  CHECK(check(s, R"({"id": 1, "name": "a"})") == "");
  CHECK(check(s, R"({"id": 1, "name": "a", "tag": [1]})") == "");
  CHECK(check(s, R"({"id": "1", "name": "a"})") == "/id: expected integer, got string");
  CHECK(check(s, R"({"id": 1})") == "/name: is required");
  CHECK(check(s, R"({"id": 1, "name": "a", "extra": 1})") == "/extra: is not allowed (additionalProperties is false)");
  // additionalProperties as a schema; keys escaped as RFC 6901 says.
  const char* m = R"({"additionalProperties": {"type": "number"}})";
  CHECK(check(m, R"({"a": 1, "b": 2.5})") == "");
  CHECK(check(m, R"({"a/b~c": "x"})") == "/a~1b~0c: expected number, got string");
  CHECK(check(R"({"additionalProperties": true})", R"({"a": 1})") == "");
  // Keywords of one type leave values of the others alone.
  CHECK(check(R"({"required": ["a"]})", "5") == "");
}

TEST_CASE("json_schema: required tracks more than 64 names") {
  std::string props, req, doc;
  for (int i = 0; i < 70; ++i) {
    req += (i ? ",\"p" : "\"p") + std::to_string(i) + "\"";
    if (i != 68) doc += (doc.empty() ? "\"p" : ",\"p") + std::to_string(i) + "\": 1";
  }
  std::string s = R"({"required": [)" + req + "]}";
  CHECK(check(s, "{" + doc + "}") == "/p68: is required");
  CHECK(check(s, "{" + doc + R"(, "p68": 0})") == "");
}

TEST_CASE("json_schema: items and nested arrays and objects give the full pointer") {
  const char* s = R"({"type": "object", "properties": {"items": {"type": "array", "items":
                      {"type": "object", "required": ["price"], "properties": {"price": {"type": "number", "minimum": 0}}}}}})";
  CHECK(check(s, R"({"items": [{"price": 1}, {"price": 0}]})") == "");
  CHECK(check(s, R"({"items": [{"price": 1}, {"price": 2}, {"price": -1}]})") == "/items/2/price: must be >= 0");
  CHECK(check(s, R"({"items": [{"price": 1}, {}]})") == "/items/1/price: is required");
  CHECK(check(R"({"items": {"items": {"type": "string"}}})", R"([["a"], ["b", 3]])") == "/1/1: expected string, got integer");
}

TEST_CASE("json_schema: enum and const compare JSON values") {
  CHECK(check(R"({"enum": ["a", 1, null, [1, {"x": true}]]})", R"("a")") == "");
  CHECK(check(R"({"enum": ["a", 1, null, [1, {"x": true}]]})", "1.0") == "");
  CHECK(check(R"({"enum": ["a", 1, null, [1, {"x": true}]]})", R"([1, {"x": true}])") == "");
  CHECK(check(R"({"enum": ["a", 1, null]})", R"("b")") == "(root): must be one of the enum values");
  CHECK(check(R"({"enum": ["a", 1, null]})", "false") == "(root): must be one of the enum values");
  CHECK(check(R"({"const": {"a": 1, "b": [2]}})", R"({"b": [2], "a": 1})") == "");
  CHECK(check(R"({"const": {"a": 1, "b": [2]}})", R"({"b": [2], "a": 1, "c": 0})") == "(root): must be equal to the const value");
  CHECK(check(R"({"const": {"a": 1, "b": 2}})", R"({"a": 1, "a": 1})") == "(root): must be equal to the const value");
  CHECK(check(R"({"properties": {"v": {"const": "x"}}})", R"({"v": "y"})") == "/v: must be equal to the const value");
}

TEST_CASE("json_schema: minimum, maximum and the exclusive bounds") {
  const char* s = R"({"minimum": 1, "maximum": 10})";
  CHECK(check(s, "1") == "");
  CHECK(check(s, "10") == "");
  CHECK(check(s, "0.5") == "(root): must be >= 1");
  CHECK(check(s, "10.01") == "(root): must be <= 10");
  const char* x = R"({"exclusiveMinimum": 0, "exclusiveMaximum": 2.5})";
  CHECK(check(x, "0.1") == "");
  CHECK(check(x, "0") == "(root): must be > 0");
  CHECK(check(x, "2.5") == "(root): must be < 2.5");
  CHECK(check(s, R"("a")") == "");  // bounds apply to numbers only
}

TEST_CASE("json_schema: minLength and maxLength count code points, not bytes") {
  const char* s = R"({"minLength": 2, "maxLength": 3})";
  CHECK(check(s, R"("ab")") == "");
  CHECK(check(s, R"("a")") == "(root): must be at least 2 characters long");
  CHECK(check(s, R"("abcd")") == "(root): must be at most 3 characters long");
  CHECK(check(s, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"") == "");   // é € 😀: 3 code points, 9 bytes
  CHECK(check(s, R"("\u00e9\u20ac\ud83d\ude00")") == "");           // the same, escaped
  CHECK(check(R"({"maxLength": 1})", "\"\xf0\x9f\x98\x80\"") == "");  // one code point of 4 bytes
  CHECK(check(R"({"minLength": 2})", "\"\xf0\x9f\x98\x80\"") == "(root): must be at least 2 characters long");
}

TEST_CASE("json_schema: pattern matches anywhere unless anchored") {
  CHECK(check(R"({"pattern": "b+"})", R"("abbc")") == "");
  CHECK(check(R"({"pattern": "^[a-z]{2,3}-\\d+$"})", R"("ab-12")") == "");
  CHECK(check(R"({"pattern": "^[a-z]{2,3}-\\d+$"})", R"("abcd-12")") == R"((root): must match the pattern "^[a-z]{2,3}-\d+$")");
  CHECK(check(R"({"properties": {"sku": {"pattern": "^SKU-"}}})", R"({"sku": "X"})") ==
        R"(/sku: must match the pattern "^SKU-")");
}

TEST_CASE("json_schema: minItems and maxItems") {
  const char* s = R"({"minItems": 1, "maxItems": 2})";
  CHECK(check(s, "[1]") == "");
  CHECK(check(s, "[]") == "(root): must have at least 1 items");
  CHECK(check(s, "[1, 2, 3]") == "(root): must have at most 2 items");
}

TEST_CASE("json_schema: true, false and the empty schema") {
  CHECK(compile("true")->accepts_anything());
  CHECK(compile("{}")->accepts_anything());
  CHECK(compile(R"({"title": "t", "properties": {"a": true}})")->accepts_anything());
  CHECK_FALSE(compile(R"({"type": "object"})")->accepts_anything());
  CHECK(check("false", "1") == "(root): no value is allowed here");
  CHECK(check(R"({"properties": {"secret": false}})", R"({"secret": 1})") == "/secret: no value is allowed here");
  CHECK(check(R"({"items": false})", "[]") == "");
}

TEST_CASE("json_schema: the first violation in document order is reported") {
  const char* s = R"({"properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "required": ["c"]})";
  CHECK(check(s, R"({"b": 1, "a": 2})") == "/b: expected string, got integer");
  CHECK(check(s, R"({"a": "x", "b": "y"})") == "/c: is required");
}

TEST_CASE("json_schema: malformed documents and nesting beyond max_depth are invalid JSON") {
  auto s = compile(R"({"type": "object"})");
  CHECK(s->validate("{\"a\": ").kind == JsonSchema::Verdict::Kind::kInvalidJson);
  CHECK(s->validate("{} {}").kind == JsonSchema::Verdict::Kind::kInvalidJson);
  CHECK(s->validate("\"\xff\"").kind == JsonSchema::Verdict::Kind::kInvalidJson);
  auto shallow = compile("{}", 4);
  CHECK(shallow->validate("[[[[1]]]]").valid());
  auto deep = shallow->validate("[[[[[1]]]]]");
  CHECK(deep.kind == JsonSchema::Verdict::Kind::kInvalidJson);
  CHECK(deep.message == "nested deeper than max_depth (4)");
  // A hostile depth far beyond the cap, with the default cap.
  CHECK(compile("{}")->validate(std::string(100000, '[') + std::string(100000, ']')).kind ==
        JsonSchema::Verdict::Kind::kInvalidJson);
}

TEST_CASE("json_schema: a long client key is cut short in the message") {
  std::string key(5000, 'k');
  auto v = compile(R"({"additionalProperties": false})")->validate("{\"" + key + "\": 1}");
  CHECK(v.kind == JsonSchema::Verdict::Kind::kViolation);
  CHECK(v.message.size() < 300);
  CHECK(v.message.find("...: is not allowed") != std::string::npos);
}

TEST_CASE("json_schema: compile errors carry JSON pointers") {
  auto e = errors_of(R"({"type": "strng", "properties": {"a": {"minimun": 1}, "b": {"anyOf": []}},
                         "required": ["a", "a", 3], "items": [{}], "minLength": -1, "maxItems": 1.5,
                         "exclusiveMinimum": true, "pattern": "(a", "enum": [], "additionalProperties": 3,
                         "minItems": 3, "maxLength": "x", "$comment": "fine", "default": 1})");
  CHECK_SCHEMA_ERROR(e, "/type", "unknown type \"strng\" (did you mean \"string\"?)");
  CHECK_SCHEMA_ERROR(e, "/properties/a/minimun", "unknown keyword \"minimun\" (did you mean \"minimum\"?)");
  CHECK_SCHEMA_ERROR(e, "/properties/b/anyOf", "keyword \"anyOf\" is not supported");
  CHECK_SCHEMA_ERROR(e, "/required/1", "property \"a\" listed twice");
  CHECK_SCHEMA_ERROR(e, "/required/2", "expected a property name");
  CHECK_SCHEMA_ERROR(e, "/items", "tuple");
  CHECK_SCHEMA_ERROR(e, "/minLength", "expected a non-negative integer");
  CHECK_SCHEMA_ERROR(e, "/maxItems", "expected a non-negative integer");
  CHECK_SCHEMA_ERROR(e, "/exclusiveMinimum", "draft 4 boolean form is not supported");
  CHECK_SCHEMA_ERROR(e, "/pattern", "invalid pattern: missing ')'");
  CHECK_SCHEMA_ERROR(e, "/enum", "expected a non-empty array");
  CHECK_SCHEMA_ERROR(e, "/additionalProperties", "expected a schema");
  CHECK_SCHEMA_ERROR(e, "/maxLength", "expected a non-negative integer");
  CHECK_FALSE(has_error(e, "/$comment", ""));
  CHECK_FALSE(has_error(e, "/default", ""));
  CHECK_SCHEMA_ERROR(errors_of(R"({"type": []})"), "/type", "non-empty array");
  CHECK_SCHEMA_ERROR(errors_of(R"({"type": ["null", "null"]})"), "/type/1", "listed twice");
  CHECK_SCHEMA_ERROR(errors_of(R"({"minLength": 3, "maxLength": 2})"), "/minLength", "is above maxLength");
  CHECK_SCHEMA_ERROR(errors_of("[1]"), "", "expected a schema");
  CHECK_SCHEMA_ERROR(errors_of("{"), "", "not JSON");
}

TEST_CASE("json_schema: a schema nested deeper than max_depth is refused at its pointer") {
  CHECK(compile(R"({"items": {"items": {}}})", 2));
  auto e = errors_of(R"({"items": {"items": {"items": {}}}})", 2);
  CHECK_SCHEMA_ERROR(e, "/items/items/items", "schema nested deeper than max_depth (2)");
}
