// JSON Schema -> SchemaNode tree, with every problem reported at its JSON
// pointer. Validation is in json_schema_validate.cpp.
#include "policy/json_schema.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>

#include "config/did_you_mean.hpp"
#include "policy/schema_node.hpp"

namespace apigw::policy {

using simdjson::dom::element;
using simdjson::dom::element_type;

bool SchemaNode::member_before(std::string_view a, std::string_view b) noexcept {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

const SchemaNode::Member* SchemaNode::find(std::string_view name) const noexcept {
  auto it = std::lower_bound(members.begin(), members.end(), name,
                             [](const Member& m, std::string_view n) { return member_before(m.name, n); });
  return it != members.end() && it->name == name ? &*it : nullptr;
}

bool SchemaNode::accepts_anything() const noexcept {
  return !reject_all && types == 0 && !enum_values && !const_value && !minimum && !maximum && !exclusive_minimum &&
         !exclusive_maximum && !min_length && !max_length && !pattern && !min_items && !max_items &&
         required_count == 0 && additional == Additional::kAllow &&
         (!items || items->accepts_anything()) &&
         std::all_of(members.begin(), members.end(), [](const Member& m) { return !m.schema || m.schema->accepts_anything(); });
}

namespace {

const std::vector<std::string>& keywords() {
  static const std::vector<std::string> k = {
      "type",      "properties", "required",  "additionalProperties", "items",     "enum",
      "const",     "minimum",    "maximum",   "exclusiveMinimum",     "exclusiveMaximum",
      "minLength", "maxLength",  "pattern",   "minItems",             "maxItems",
      // annotations, accepted and ignored
      "$schema",   "title",      "description", "$comment",           "examples",  "default"};
  return k;
}

// Keywords of the JSON Schema drafts this subset does not implement: named
// as such rather than as unknown.
bool is_unsupported_keyword(std::string_view k) {
  static constexpr std::array<std::string_view, 38> kNames = {
      "$ref", "$id", "id", "$defs", "definitions", "$anchor", "$dynamicRef", "$dynamicAnchor",
      "$recursiveRef", "$recursiveAnchor", "$vocabulary", "allOf", "anyOf", "oneOf", "not", "if", "then",
      "else", "format", "patternProperties", "propertyNames", "dependencies", "dependentRequired",
      "dependentSchemas", "minProperties", "maxProperties", "uniqueItems", "contains", "minContains",
      "maxContains", "prefixItems", "additionalItems", "unevaluatedProperties", "unevaluatedItems",
      "multipleOf", "contentMediaType", "contentEncoding", "readOnly"};
  return std::find(kNames.begin(), kNames.end(), k) != kNames.end() || k == "writeOnly" || k == "deprecated";
}

const std::array<std::pair<std::string_view, uint8_t>, 7> kTypeNames = {{{"null", kTypeNull},
                                                                         {"boolean", kTypeBoolean},
                                                                         {"object", kTypeObject},
                                                                         {"array", kTypeArray},
                                                                         {"number", kTypeNumber},
                                                                         {"string", kTypeString},
                                                                         {"integer", kTypeInteger}}};

std::string child(std::string_view parent, std::string_view key) {
  std::string out(parent);
  out += '/';
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}
std::string child(std::string_view parent, size_t index) { return std::string(parent) + "/" + std::to_string(index); }

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 80)) out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
  return out + (s.size() > 80 ? "...\"" : "\"");
}

bool is_number(element e) {
  auto t = e.type();
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

class Compiler {
 public:
  Compiler(uint32_t max_depth, std::vector<JsonSchema::Error>* errors) : max_depth_(max_depth), errors_(errors) {}

  std::unique_ptr<SchemaNode> node(element e, const std::string& at, uint32_t depth) {
    if (depth > max_depth_) {
      error(at, "schema nested deeper than max_depth (" + std::to_string(max_depth_) + ")");
      return nullptr;
    }
    auto n = std::make_unique<SchemaNode>();
    bool b = false;
    if (e.get(b) == simdjson::SUCCESS) {
      n->reject_all = !b;
      return n;
    }
    simdjson::dom::object o;
    if (e.get(o) != simdjson::SUCCESS) {
      error(at, "expected a schema (an object, true or false)");
      return nullptr;
    }
    const size_t before = errors_->size();
    std::vector<std::string_view> seen;
    for (auto field : o) {
      const std::string key_at = child(at, field.key);
      if (std::find(seen.begin(), seen.end(), field.key) != seen.end()) {
        error(key_at, "keyword given twice");
        continue;
      }
      seen.push_back(field.key);
      keyword(*n, field.key, field.value, key_at, depth);
    }
    check_bounds(*n, at);
    if (errors_->size() != before) return nullptr;
    return n;
  }

 private:
  void error(std::string pointer, std::string message) { errors_->push_back({std::move(pointer), std::move(message)}); }

  void keyword(SchemaNode& n, std::string_view k, element v, const std::string& at, uint32_t depth) {
    if (k == "type") return type(n, v, at);
    if (k == "properties") return properties(n, v, at, depth);
    if (k == "required") return required(n, v, at);
    if (k == "additionalProperties") {
      bool b = false;
      if (v.get(b) == simdjson::SUCCESS) {
        n.additional = b ? SchemaNode::Additional::kAllow : SchemaNode::Additional::kDeny;
      } else {
        n.additional_schema = node(v, at, depth + 1);
        n.additional = SchemaNode::Additional::kSchema;
      }
      return;
    }
    if (k == "items") {
      if (v.type() == element_type::ARRAY)
        return error(at, "the array (tuple) form of items is not supported: give one schema for every item");
      n.items = node(v, at, depth + 1);
      return;
    }
    if (k == "enum") {
      simdjson::dom::array a;
      if (v.get(a) != simdjson::SUCCESS || a.size() == 0) return error(at, "expected a non-empty array");
      n.enum_values.emplace();
      size_t i = 0;
      for (element item : a) n.enum_values->push_back(value(item, child(at, i++), depth + 1));
      return;
    }
    if (k == "const") {
      n.const_value = value(v, at, depth);
      return;
    }
    if (k == "minimum") return number(&n.minimum, v, at);
    if (k == "maximum") return number(&n.maximum, v, at);
    if (k == "exclusiveMinimum") return number(&n.exclusive_minimum, v, at);
    if (k == "exclusiveMaximum") return number(&n.exclusive_maximum, v, at);
    if (k == "minLength") return count(&n.min_length, v, at);
    if (k == "maxLength") return count(&n.max_length, v, at);
    if (k == "minItems") return count(&n.min_items, v, at);
    if (k == "maxItems") return count(&n.max_items, v, at);
    if (k == "pattern") return pattern(n, v, at);
    if (std::find(keywords().begin(), keywords().end(), k) != keywords().end()) return;  // an annotation
    if (is_unsupported_keyword(k)) return error(at, "keyword " + quoted(k) + " is not supported");
    error(at, "unknown keyword " + quoted(k) + config::did_you_mean(k, keywords()));
  }

  void type(SchemaNode& n, element v, const std::string& at) {
    auto one = [&](element name, const std::string& name_at) {
      std::string_view s;
      if (name.get(s) != simdjson::SUCCESS) return error(name_at, "expected a type name");
      for (auto [type_name, bit] : kTypeNames) {
        if (s != type_name) continue;
        if (n.types & bit) return error(name_at, "type " + quoted(s) + " listed twice");
        n.types |= bit;
        return;
      }
      std::vector<std::string> names;
      for (auto [type_name, bit] : kTypeNames) names.emplace_back(type_name);
      error(name_at, "unknown type " + quoted(s) + config::did_you_mean(s, names));
    };
    simdjson::dom::array a;
    if (v.get(a) != simdjson::SUCCESS) return one(v, at);
    if (a.size() == 0) return error(at, "expected a type name or a non-empty array of them");
    size_t i = 0;
    for (element item : a) one(item, child(at, i++));
  }

  void properties(SchemaNode& n, element v, const std::string& at, uint32_t depth) {
    simdjson::dom::object o;
    if (v.get(o) != simdjson::SUCCESS) return error(at, "expected an object of schemas");
    for (auto field : o) {
      SchemaNode::Member& m = member(n, field.key);
      if (m.schema) {
        error(child(at, field.key), "property given twice");
        continue;
      }
      m.schema = node(field.value, child(at, field.key), depth + 1);
    }
  }

  void required(SchemaNode& n, element v, const std::string& at) {
    simdjson::dom::array a;
    if (v.get(a) != simdjson::SUCCESS) return error(at, "expected an array of property names");
    size_t i = 0;
    for (element item : a) {
      const std::string item_at = child(at, i++);
      std::string_view name;
      if (item.get(name) != simdjson::SUCCESS) {
        error(item_at, "expected a property name");
        continue;
      }
      SchemaNode::Member& m = member(n, name);
      if (m.required >= 0) {
        error(item_at, "property " + quoted(name) + " listed twice");
        continue;
      }
      m.required = static_cast<int32_t>(n.required_count++);
    }
  }

  // The member named `name`, added in order when new.
  static SchemaNode::Member& member(SchemaNode& n, std::string_view name) {
    auto it = std::lower_bound(n.members.begin(), n.members.end(), name,
                               [](const SchemaNode::Member& m, std::string_view k) {
                                 return SchemaNode::member_before(m.name, k);
                               });
    if (it == n.members.end() || it->name != name) it = n.members.insert(it, SchemaNode::Member{std::string(name), nullptr, -1});
    return *it;
  }

  void number(std::optional<double>* out, element v, const std::string& at) {
    double d = 0;
    if (!is_number(v) || v.get(d) != simdjson::SUCCESS) {
      if (v.type() == element_type::BOOL)
        return error(at, "expected a number (the draft 4 boolean form is not supported: give the bound itself)");
      return error(at, "expected a number");
    }
    *out = d;
  }

  void count(std::optional<uint64_t>* out, element v, const std::string& at) {
    int64_t i = 0;
    uint64_t u = 0;
    if (v.type() == element_type::INT64 && v.get(i) == simdjson::SUCCESS && i >= 0) *out = static_cast<uint64_t>(i);
    else if (v.type() == element_type::UINT64 && v.get(u) == simdjson::SUCCESS) *out = u;
    else error(at, "expected a non-negative integer");
  }

  void pattern(SchemaNode& n, element v, const std::string& at) {
    std::string_view s;
    if (v.get(s) != simdjson::SUCCESS) return error(at, "expected a regular expression (a string)");
    auto re = std::make_unique<SchemaRegex>();
    if (std::string why = re->compile(s); !why.empty()) return error(at, "invalid pattern: " + why);
    n.pattern = std::move(re);
    n.pattern_text = std::string(s);
  }

  void check_bounds(const SchemaNode& n, const std::string& at) {
    auto check = [&](const auto& lo, const auto& hi, const char* lo_name, const char* hi_name) {
      if (lo && hi && *lo > *hi) error(child(at, lo_name), std::string("is above ") + hi_name + ": nothing can match");
    };
    check(n.min_length, n.max_length, "minLength", "maxLength");
    check(n.min_items, n.max_items, "minItems", "maxItems");
    check(n.minimum, n.maximum, "minimum", "maximum");
  }

  SchemaValue value(element e, const std::string& at, uint32_t depth) {
    SchemaValue out;
    if (depth > max_depth_) {
      error(at, "value nested deeper than max_depth (" + std::to_string(max_depth_) + ")");
      return out;
    }
    switch (e.type()) {
      case element_type::NULL_VALUE: break;
      case element_type::BOOL:
        out.kind = SchemaValue::Kind::kBool;
        out.boolean = e.get_bool().value_unsafe();
        break;
      case element_type::INT64:
      case element_type::UINT64:
      case element_type::DOUBLE:
        out.kind = SchemaValue::Kind::kNumber;
        out.number = e.get_double().value_unsafe();
        break;
      case element_type::STRING:
        out.kind = SchemaValue::Kind::kString;
        out.string = std::string(e.get_string().value_unsafe());
        break;
      case element_type::ARRAY: {
        out.kind = SchemaValue::Kind::kArray;
        simdjson::dom::array a;
        if (e.get(a) != simdjson::SUCCESS) break;
        size_t i = 0;
        for (element item : a) out.items.push_back(value(item, child(at, i++), depth + 1));
        break;
      }
      case element_type::OBJECT: {
        out.kind = SchemaValue::Kind::kObject;
        simdjson::dom::object o;
        if (e.get(o) != simdjson::SUCCESS) break;
        for (auto field : o) {
          for (const auto& m : out.members)
            if (m.name == field.key) error(child(at, field.key), "key given twice");
          out.members.push_back({std::string(field.key), value(field.value, child(at, field.key), depth + 1)});
        }
        break;
      }
    }
    return out;
  }

  uint32_t max_depth_;
  std::vector<JsonSchema::Error>* errors_;
};

}  // namespace

JsonSchema::JsonSchema(std::unique_ptr<SchemaNode> root, uint32_t max_depth)
    : root_(std::move(root)), max_depth_(max_depth) {}
JsonSchema::~JsonSchema() = default;

bool JsonSchema::accepts_anything() const noexcept { return root_->accepts_anything(); }

std::shared_ptr<const JsonSchema> JsonSchema::compile(const element& schema, std::string_view pointer,
                                                      uint32_t max_depth, std::vector<Error>* errors) {
  const size_t before = errors->size();
  auto root = Compiler(max_depth, errors).node(schema, std::string(pointer), 0);
  if (!root || errors->size() != before) return nullptr;
  return std::make_shared<const JsonSchema>(std::move(root), max_depth);
}

std::shared_ptr<const JsonSchema> JsonSchema::compile(std::string_view json, uint32_t max_depth,
                                                      std::vector<Error>* errors) {
  simdjson::dom::parser parser;
  element doc;
  if (auto err = parser.parse(non_null(json), json.size(), true).get(doc); err != simdjson::SUCCESS) {
    errors->push_back({"", std::string("not JSON: ") + simdjson::error_message(err)});
    return nullptr;
  }
  return compile(doc, "", max_depth, errors);
}

}  // namespace apigw::policy
