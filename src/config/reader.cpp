#include "config/reader.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "config/did_you_mean.hpp"

namespace apigw::config {

using simdjson::dom::array;
using simdjson::dom::element_type;
using simdjson::dom::object;

std::string child_pointer(std::string_view parent, std::string_view key) {
  std::string out(parent);
  out.reserve(out.size() + key.size() + 1);
  out += '/';
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string child_pointer(std::string_view parent, size_t index) {
  return std::string(parent) + "/" + std::to_string(index);
}

std::string quote(std::string_view s) {
  // Messages are printed one per line: a key from the file must not break that.
  constexpr size_t kMaxShown = 80;
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMaxShown) out += "...";
  return out + "\"";
}

std::optional<std::string> as_string(Errors& errors, Element value, const std::string& pointer) {
  std::string_view s;
  if (value.get(s) != simdjson::SUCCESS) {
    errors.add(pointer, "expected string");
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<bool> as_bool(Errors& errors, Element value, const std::string& pointer) {
  bool b = false;
  if (value.get(b) != simdjson::SUCCESS) {
    errors.add(pointer, "expected boolean");
    return std::nullopt;
  }
  return b;
}

namespace {
std::string format_number(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}
}  // namespace

std::optional<uint64_t> as_uint(Errors& errors, Element value, const std::string& pointer,
                                uint64_t min, uint64_t max) {
  auto range = [&](const std::string& got) {
    errors.add(pointer, "must be " + std::to_string(min) + ".." + std::to_string(max) + " (got " + got + ")");
  };
  // simdjson types positive integers that fit int64 as INT64, larger ones as UINT64.
  int64_t v = 0;
  uint64_t u = 0;
  if (value.type() == element_type::INT64 && value.get(v) == simdjson::SUCCESS) {
    if (v < 0 || static_cast<uint64_t>(v) < min || static_cast<uint64_t>(v) > max) {
      range(std::to_string(v));
      return std::nullopt;
    }
    return static_cast<uint64_t>(v);
  }
  if (value.type() == element_type::UINT64 && value.get(u) == simdjson::SUCCESS) {
    if (u < min || u > max) {
      range(std::to_string(u));
      return std::nullopt;
    }
    return u;
  }
  errors.add(pointer, "expected integer");
  return std::nullopt;
}

std::optional<array> as_array(Errors& errors, Element value, const std::string& pointer) {
  array a;
  if (value.get(a) != simdjson::SUCCESS) {
    errors.add(pointer, "expected array");
    return std::nullopt;
  }
  return a;
}

std::optional<std::vector<std::string>> as_strings(Errors& errors, Element value,
                                                   const std::string& pointer) {
  array a;
  if (value.get(a) != simdjson::SUCCESS) {
    errors.add(pointer, "expected array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  size_t i = 0;
  for (Element item : a) {
    std::string_view s;
    if (item.get(s) != simdjson::SUCCESS) {
      errors.add(child_pointer(pointer, i), "expected string");
      ok = false;
    } else {
      out.emplace_back(s);
    }
    ++i;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<StringPairs> as_string_map(Errors& errors, Element value, const std::string& pointer) {
  object o;
  if (value.get(o) != simdjson::SUCCESS) {
    errors.add(pointer, "expected object of strings");
    return std::nullopt;
  }
  StringPairs out;
  bool ok = true;
  for (auto field : o) {
    std::string_view s;
    if (field.value.get(s) != simdjson::SUCCESS) {
      errors.add(child_pointer(pointer, field.key), "expected string");
      ok = false;
    } else {
      out.emplace_back(std::string(field.key), std::string(s));
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

ObjectReader::ObjectReader(Errors& errors, Element value, std::string pointer)
    : errors_(errors), pointer_(std::move(pointer)) {
  ok_ = value.get(object_) == simdjson::SUCCESS;
  if (!ok_) errors_.add(pointer_, "expected object");
}

std::optional<Element> ObjectReader::get(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  if (!ok_) return std::nullopt;
  Element value;
  if (object_.at_key(key).get(value) != simdjson::SUCCESS) return std::nullopt;
  return value;
}

std::optional<std::string> ObjectReader::string(std::string_view key) {
  auto v = get(key);
  return v ? as_string(errors_, *v, child(key)) : std::nullopt;
}

std::optional<bool> ObjectReader::boolean(std::string_view key) {
  auto v = get(key);
  return v ? as_bool(errors_, *v, child(key)) : std::nullopt;
}

std::optional<uint64_t> ObjectReader::uint(std::string_view key, uint64_t min, uint64_t max) {
  auto v = get(key);
  return v ? as_uint(errors_, *v, child(key), min, max) : std::nullopt;
}

std::optional<double> ObjectReader::number(std::string_view key, double min, double max) {
  auto v = get(key);
  if (!v) return std::nullopt;
  double d = 0;  // simdjson converts integers too
  if (v->get(d) != simdjson::SUCCESS) {
    errors_.add(child(key), "expected number");
    return std::nullopt;
  }
  if (!(d >= min && d <= max)) {  // NaN fails too
    errors_.add(child(key), "must be " + format_number(min) + ".." + format_number(max) + " (got " + format_number(d) + ")");
    return std::nullopt;
  }
  return d;
}

std::optional<std::vector<std::string>> ObjectReader::strings(std::string_view key) {
  auto v = get(key);
  return v ? as_strings(errors_, *v, child(key)) : std::nullopt;
}

std::optional<StringPairs> ObjectReader::string_map(std::string_view key) {
  auto v = get(key);
  return v ? as_string_map(errors_, *v, child(key)) : std::nullopt;
}

std::optional<size_t> ObjectReader::choice(std::string_view key, const std::vector<std::string>& choices) {
  auto s = string(key);
  if (!s) return std::nullopt;
  for (size_t i = 0; i < choices.size(); ++i)
    if (*s == choices[i]) return i;
  std::string all;
  for (const auto& c : choices) all += (all.empty() ? "" : ", ") + quote(c);
  errors_.add(child(key), "expected one of " + all + ", got " + quote(*s) + did_you_mean(*s, choices));
  return std::nullopt;
}

std::optional<std::string> ObjectReader::required_string(std::string_view key) {
  auto v = get(key);
  if (!v) {
    missing(key);
    return std::nullopt;
  }
  return as_string(errors_, *v, child(key));
}

void ObjectReader::missing(std::string_view key) {
  if (ok_) errors_.add(pointer_, "missing required key " + quote(key));
}

void ObjectReader::unsupported(std::string_view key, std::string_view why) {
  if (get(key)) errors_.add(child(key), std::string(why));
}

void ObjectReader::finish() {
  if (!ok_) return;
  std::unordered_set<std::string_view> seen;  // a hash set: a fuzzed object may hold many keys
  for (auto field : object_) {
    std::string_view key = field.key;
    if (!seen.insert(key).second) {
      errors_.add(child(key), "duplicate key " + quote(key));
      continue;
    }
    if (std::find(known_.begin(), known_.end(), key) == known_.end())
      errors_.add(child(key), "unknown key " + quote(key) + did_you_mean(key, known_));
  }
}

}  // namespace apigw::config
