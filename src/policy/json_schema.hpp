// A JSON Schema subset, compiled once into a tree of nodes and checked
// against documents in one walk. No gateway types: the schema policy
// (schema.cpp), its fuzz target and its tests use it alone.
//
// Keywords: type (a name or a list of them), properties, required,
// additionalProperties (a boolean or a schema), items (one schema), enum,
// const, minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers, as in
// draft 6 and later), minLength, maxLength (in code points), pattern
// (schema_regex.hpp), minItems, maxItems; `true` and `false` as schemas.
// $schema, title, description, $comment, examples and default are
// annotations and ignored. Every other keyword is refused, so that a schema
// never seems to check something it does not.
//
// Numbers are compared as IEEE doubles; an integer is a number without a
// fractional part (1.0 is one, as in draft 6 and later).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace simdjson::dom {
class element;
}

namespace apigw::policy {

struct SchemaNode;

class JsonSchema {
 public:
  struct Error {
    std::string pointer;  // RFC 6901, within the document the schema came from
    std::string message;
  };

  // Compiles `schema`, found at `pointer` in its document. Nesting deeper
  // than `max_depth` is refused in the schema, and at validation in the body.
  // Null with every problem appended to *errors.
  static std::shared_ptr<const JsonSchema> compile(const simdjson::dom::element& schema, std::string_view pointer,
                                                   uint32_t max_depth, std::vector<Error>* errors);
  // The same from JSON text (a schema file; tests).
  static std::shared_ptr<const JsonSchema> compile(std::string_view json, uint32_t max_depth,
                                                   std::vector<Error>* errors);

  struct Verdict {
    enum class Kind : uint8_t { kValid, kInvalidJson, kViolation };
    Kind kind = Kind::kValid;
    // kInvalidJson: why the text is not JSON. kViolation: the first
    // violation in document order, as "POINTER: rule" ("/items/2/price:
    // must be >= 0"; the root is "(root)").
    std::string message;
    bool valid() const { return kind == Kind::kValid; }
  };
  // Parses `json` (simdjson, one parser per thread) and walks it once.
  Verdict validate(std::string_view json) const;

  // True for `true` and `{}`: the schema lets any document through.
  bool accepts_anything() const noexcept;
  uint32_t max_depth() const noexcept { return max_depth_; }

  JsonSchema(std::unique_ptr<SchemaNode> root, uint32_t max_depth);
  ~JsonSchema();
  JsonSchema(const JsonSchema&) = delete;
  JsonSchema& operator=(const JsonSchema&) = delete;

 private:
  std::unique_ptr<SchemaNode> root_;
  uint32_t max_depth_;
};

}  // namespace apigw::policy
