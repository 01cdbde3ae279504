// One walk of a parsed document against the compiled schema, stopping at the
// first violation. The walk allocates nothing until it has one to report:
// the path to the current value lives in stack frames and becomes a JSON
// pointer only for the message.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "policy/json_schema.hpp"
#include "policy/schema_node.hpp"

namespace apigw::policy {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

// Bodies up to this size are parsed by the thread's own parser, which keeps
// its buffers; a larger one gets a parser of its own, freed with it, so
// that one big body does not pin several times its size per worker.
constexpr size_t kKeptParserCapacity = size_t{1} << 20;
constexpr size_t kMaxPointerShown = 200;

// One step of the path from the root: an object key or an array index.
struct PathStep {
  const PathStep* parent;
  std::string_view key;
  size_t index;
  bool is_index;
};

std::string pointer_of(const PathStep* step) {
  if (!step) return "(root)";
  std::vector<const PathStep*> steps;
  for (; step; step = step->parent) steps.push_back(step);
  std::string out;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    out += '/';
    if ((*it)->is_index) {
      out += std::to_string((*it)->index);
      continue;
    }
    for (char c : (*it)->key) {
      if (c == '~') out += "~0";
      else if (c == '/') out += "~1";
      else out += c;
    }
  }
  // Keys come from the client: keep the message short, and whole UTF-8.
  if (out.size() > kMaxPointerShown) {
    size_t cut = kMaxPointerShown;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "...";
  }
  return out;
}

std::string number_text(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

const char* type_name(element e) {
  switch (e.type()) {
    case element_type::NULL_VALUE: return "null";
    case element_type::BOOL: return "boolean";
    case element_type::OBJECT: return "object";
    case element_type::ARRAY: return "array";
    case element_type::STRING: return "string";
    case element_type::INT64:
    case element_type::UINT64: return "integer";
    case element_type::DOUBLE: return "number";
  }
  return "value";
}

std::string type_list(uint8_t types) {
  static constexpr std::pair<uint8_t, const char*> kNames[] = {
      {kTypeObject, "object"}, {kTypeArray, "array"},     {kTypeString, "string"}, {kTypeNumber, "number"},
      {kTypeInteger, "integer"}, {kTypeBoolean, "boolean"}, {kTypeNull, "null"}};
  std::string out;
  for (auto [bit, name] : kNames) {
    if (!(types & bit)) continue;
    if (!out.empty()) out += " or ";
    out += name;
  }
  return out;
}

bool is_integral(element e) {
  if (e.type() != element_type::DOUBLE) return e.type() == element_type::INT64 || e.type() == element_type::UINT64;
  double d = e.get_double().value_unsafe();
  return std::isfinite(d) && std::floor(d) == d;
}

bool type_matches(uint8_t types, element e) {
  switch (e.type()) {
    case element_type::NULL_VALUE: return types & kTypeNull;
    case element_type::BOOL: return types & kTypeBoolean;
    case element_type::OBJECT: return types & kTypeObject;
    case element_type::ARRAY: return types & kTypeArray;
    case element_type::STRING: return types & kTypeString;
    default: return (types & kTypeNumber) || ((types & kTypeInteger) && is_integral(e));
  }
}

// JSON equality: numbers by value (1 == 1.0), objects whatever their order.
bool equal(const SchemaValue& v, element e) {
  switch (e.type()) {
    case element_type::NULL_VALUE: return v.kind == SchemaValue::Kind::kNull;
    case element_type::BOOL: return v.kind == SchemaValue::Kind::kBool && v.boolean == e.get_bool().value_unsafe();
    case element_type::STRING: return v.kind == SchemaValue::Kind::kString && v.string == e.get_string().value_unsafe();
    case element_type::ARRAY: {
      simdjson::dom::array a;
      if (e.get(a) != simdjson::SUCCESS) return false;
      if (v.kind != SchemaValue::Kind::kArray || a.size() != v.items.size()) return false;
      size_t i = 0;
      for (element item : a)
        if (!equal(v.items[i++], item)) return false;
      return true;
    }
    case element_type::OBJECT: {
      simdjson::dom::object o;
      if (e.get(o) != simdjson::SUCCESS) return false;
      if (v.kind != SchemaValue::Kind::kObject || o.size() != v.members.size()) return false;
      // Same count and every member found: a duplicate key in the document
      // would leave some member unfound.
      for (const auto& [name, member] : v.members) {
        element field;
        if (o.at_key(name).get(field) != simdjson::SUCCESS || !equal(member, field)) return false;
      }
      return true;
    }
    default: return v.kind == SchemaValue::Kind::kNumber && v.number == e.get_double().value_unsafe();
  }
}

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // simdjson has checked the UTF-8
  return n;
}

class Walker {
 public:
  explicit Walker(std::string* message) : message_(message) {}

  bool check(const SchemaNode& n, element e, const PathStep* at) {
    if (n.reject_all) return fail(at, "no value is allowed here");
    if (n.types && !type_matches(n.types, e))
      return fail(at, std::string("expected ") + type_list(n.types) + ", got " + type_name(e));
    if (n.const_value && !equal(*n.const_value, e)) return fail(at, "must be equal to the const value");
    if (n.enum_values) {
      bool found = false;
      for (const SchemaValue& v : *n.enum_values) found = found || equal(v, e);
      if (!found) return fail(at, "must be one of the enum values");
    }
    switch (e.type()) {
      case element_type::OBJECT: return object(n, e, at);
      case element_type::ARRAY: return array(n, e, at);
      case element_type::STRING: return string(n, e.get_string().value_unsafe(), at);
      case element_type::INT64:
      case element_type::UINT64:
      case element_type::DOUBLE: return number(n, e.get_double().value_unsafe(), at);
      default: return true;
    }
  }

 private:
  bool fail(const PathStep* at, std::string rule) {
    *message_ = pointer_of(at) + ": " + rule;
    return false;
  }

  bool number(const SchemaNode& n, double d, const PathStep* at) {
    if (n.minimum && !(d >= *n.minimum)) return fail(at, "must be >= " + number_text(*n.minimum));
    if (n.exclusive_minimum && !(d > *n.exclusive_minimum)) return fail(at, "must be > " + number_text(*n.exclusive_minimum));
    if (n.maximum && !(d <= *n.maximum)) return fail(at, "must be <= " + number_text(*n.maximum));
    if (n.exclusive_maximum && !(d < *n.exclusive_maximum)) return fail(at, "must be < " + number_text(*n.exclusive_maximum));
    return true;
  }

  bool string(const SchemaNode& n, std::string_view s, const PathStep* at) {
    if (n.min_length || n.max_length) {
      const size_t length = code_points(s);
      if (n.min_length && length < *n.min_length)
        return fail(at, "must be at least " + std::to_string(*n.min_length) + " characters long");
      if (n.max_length && length > *n.max_length)
        return fail(at, "must be at most " + std::to_string(*n.max_length) + " characters long");
    }
    if (n.pattern && !n.pattern->search(s)) return fail(at, "must match the pattern \"" + n.pattern_text + "\"");
    return true;
  }

  bool array(const SchemaNode& n, element e, const PathStep* at) {
    simdjson::dom::array a;
    if (e.get(a) != simdjson::SUCCESS) return true;  // check() asked for an array
    if (n.min_items || n.max_items) {
      const size_t size = a.size();
      if (n.min_items && size < *n.min_items) return fail(at, "must have at least " + std::to_string(*n.min_items) + " items");
      if (n.max_items && size > *n.max_items) return fail(at, "must have at most " + std::to_string(*n.max_items) + " items");
    }
    if (!n.items) return true;
    size_t i = 0;
    for (element item : a) {
      PathStep step{at, {}, i++, true};
      if (!check(*n.items, item, &step)) return false;
    }
    return true;
  }

  bool object(const SchemaNode& n, element e, const PathStep* at) {
    simdjson::dom::object o;
    if (e.get(o) != simdjson::SUCCESS) return true;
    uint64_t seen = 0;  // required ordinals below 64 found in the document
    for (auto field : o) {
      PathStep step{at, field.key, 0, false};
      const SchemaNode::Member* m = n.find(field.key);
      if (m) {
        if (m->schema && !check(*m->schema, field.value, &step)) return false;
        if (m->required >= 0 && m->required < 64) seen |= uint64_t{1} << m->required;
        continue;
      }
      if (n.additional == SchemaNode::Additional::kDeny) return fail(&step, "is not allowed (additionalProperties is false)");
      if (n.additional == SchemaNode::Additional::kSchema && !check(*n.additional_schema, field.value, &step))
        return false;
    }
    if (n.required_count == 0) return true;
    for (const SchemaNode::Member& m : n.members) {
      if (m.required < 0) continue;
      bool present = m.required < 64 ? (seen >> m.required) & 1 : o.at_key(m.name).error() == simdjson::SUCCESS;
      if (!present) {
        PathStep step{at, m.name, 0, false};
        return fail(&step, "is required");
      }
    }
    return true;
  }

  std::string* message_;
};

}  // namespace

JsonSchema::Verdict JsonSchema::validate(std::string_view json) const {
  // Policies are shared by every worker; each thread parses with its own.
  thread_local simdjson::dom::parser kept;
  std::optional<simdjson::dom::parser> oversized;
  simdjson::dom::parser& parser = json.size() <= kKeptParserCapacity ? kept : oversized.emplace();
  Verdict v;
  // simdjson's depth counts the root as one level more than arrays and objects.
  const size_t parser_depth = size_t{max_depth_} + 1;
  if (parser.max_depth() != parser_depth || parser.capacity() < json.size()) {
    if (auto err = parser.allocate(std::max<size_t>({json.size(), parser.capacity(), 4096}), parser_depth)) {
      v.kind = Verdict::Kind::kInvalidJson;
      v.message = simdjson::error_message(err);
      return v;
    }
  }
  element doc;
  if (auto err = parser.parse(non_null(json), json.size(), true).get(doc); err != simdjson::SUCCESS) {
    v.kind = Verdict::Kind::kInvalidJson;
    v.message = err == simdjson::DEPTH_ERROR
                    ? "nested deeper than max_depth (" + std::to_string(max_depth_) + ")"
                    : simdjson::error_message(err);
    return v;
  }
  if (!Walker(&v.message).check(*root_, doc, nullptr)) v.kind = Verdict::Kind::kViolation;
  return v;
}

}  // namespace apigw::policy
