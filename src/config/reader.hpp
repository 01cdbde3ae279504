// Typed, error-collecting access to a simdjson DOM.
//
// Every getter reports what is wrong at the JSON pointer of the value at
// fault and returns std::nullopt, so a loader can walk the whole document
// and report every error instead of stopping at the first one.
//
// ObjectReader learns an object's known keys from the getters called on it:
// finish() then reports every other key as unknown, with a suggestion taken
// from the keys that were asked for.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_loader.hpp"

namespace apigw::config {

using Element = simdjson::dom::element;
using StringPairs = std::vector<std::pair<std::string, std::string>>;

// RFC 6901: `parent` + "/" + `key`, with "~" and "/" escaped.
std::string child_pointer(std::string_view parent, std::string_view key);
std::string child_pointer(std::string_view parent, size_t index);

// `s` in double quotes, control characters escaped, long strings cut short.
std::string quote(std::string_view s);

class Errors {
 public:
  void add(std::string pointer, std::string message) {
    list_.push_back(ConfigError{std::move(pointer), std::move(message)});
  }
  size_t count() const { return list_.size(); }
  std::vector<ConfigError>& list() { return list_; }

 private:
  std::vector<ConfigError> list_;
};

// Conversions of one value; each reports "expected ..." at `pointer`.
std::optional<std::string> as_string(Errors& errors, Element value, const std::string& pointer);
std::optional<bool> as_bool(Errors& errors, Element value, const std::string& pointer);
// An integer (not 1.0, not "1") within [min, max].
std::optional<uint64_t> as_uint(Errors& errors, Element value, const std::string& pointer,
                                uint64_t min, uint64_t max);
std::optional<std::vector<std::string>> as_strings(Errors& errors, Element value,
                                                   const std::string& pointer);
// An object of string values, in document order.
std::optional<StringPairs> as_string_map(Errors& errors, Element value, const std::string& pointer);
// Reports "expected array"; returns the array.
std::optional<simdjson::dom::array> as_array(Errors& errors, Element value, const std::string& pointer);

class ObjectReader {
 public:
  // Reports "expected object" unless `value` is one; then ok() is false and
  // every getter returns nothing.
  ObjectReader(Errors& errors, Element value, std::string pointer);

  bool ok() const { return ok_; }
  Errors& errors() { return errors_; }
  const std::string& pointer() const { return pointer_; }
  std::string child(std::string_view key) const { return child_pointer(pointer_, key); }

  // Declares `key` as known; the value when present.
  std::optional<Element> get(std::string_view key);
  bool has(std::string_view key) { return get(key).has_value(); }

  std::optional<std::string> string(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<uint64_t> uint(std::string_view key, uint64_t min, uint64_t max);
  std::optional<double> number(std::string_view key, double min, double max);
  std::optional<std::vector<std::string>> strings(std::string_view key);
  std::optional<StringPairs> string_map(std::string_view key);

  // A string that must be one of `choices`; its index.
  std::optional<size_t> choice(std::string_view key, const std::vector<std::string>& choices);

  // Like string(), but a missing key is reported at this object.
  std::optional<std::string> required_string(std::string_view key);
  void missing(std::string_view key);

  // A key the contract defines but this build cannot honour: refused when present.
  void unsupported(std::string_view key, std::string_view why);

  // Reports keys no getter asked for, and keys given twice.
  void finish();

 private:
  Errors& errors_;
  std::string pointer_;
  simdjson::dom::object object_;
  bool ok_ = false;
  std::vector<std::string> known_;
};

}  // namespace apigw::config
