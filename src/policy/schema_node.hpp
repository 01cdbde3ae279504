// The compiled form of a JSON Schema (json_schema.hpp): one node per schema
// object, its keywords turned into typed fields. Internal to json_schema*.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/schema_regex.hpp"

namespace apigw::policy {

// simdjson copies its input with memcpy, which must not be handed the null
// pointer of an empty string_view (UBSan rightly says so).
inline const char* non_null(std::string_view s) noexcept { return s.empty() ? "" : s.data(); }

// A JSON value kept from the schema for enum and const.
struct SchemaMember;

struct SchemaValue {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<SchemaValue> items;
  std::vector<SchemaMember> members;  // unique names
};

// A member of an object value (not std::pair, which may not hold the
// incomplete SchemaValue: clang refuses it).
struct SchemaMember {
  std::string name;
  SchemaValue value;
};

// The instance types of the `type` keyword, as bits.
enum SchemaType : uint8_t {
  kTypeNull = 1,
  kTypeBoolean = 2,
  kTypeObject = 4,
  kTypeArray = 8,
  kTypeNumber = 16,
  kTypeString = 32,
  kTypeInteger = 64,  // a number without a fractional part
};

struct SchemaNode {
  bool reject_all = false;  // the schema `false`
  uint8_t types = 0;        // SchemaType bits; 0: any type

  std::optional<std::vector<SchemaValue>> enum_values;
  std::optional<SchemaValue> const_value;

  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;

  std::optional<uint64_t> min_length, max_length;  // code points
  std::unique_ptr<SchemaRegex> pattern;
  std::string pattern_text;                        // as written, for messages

  std::unique_ptr<SchemaNode> items;
  std::optional<uint64_t> min_items, max_items;

  // The names of properties and required, in member_before order, each with
  // its schema (if any) and its ordinal among the required ones (-1: not required).
  struct Member {
    std::string name;
    std::unique_ptr<SchemaNode> schema;
    int32_t required = -1;
  };
  std::vector<Member> members;
  uint32_t required_count = 0;
  enum class Additional : uint8_t { kAllow, kDeny, kSchema };
  Additional additional = Additional::kAllow;
  std::unique_ptr<SchemaNode> additional_schema;

  const Member* find(std::string_view name) const noexcept;
  // Shorter names first, so that most comparisons end at the length.
  static bool member_before(std::string_view a, std::string_view b) noexcept;
  // No keyword that can refuse anything: `true` or `{}`.
  bool accepts_anything() const noexcept;
};

}  // namespace apigw::policy
