#include "admin/config_document.hpp"

#include <simdjson.h>

#include <cstdio>

#include "core/json_text.hpp"

namespace apigw::admin {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

bool is_secret_key(std::string_view key) {
  return key == "token" || key == "password" || key == "secret" || key == "api_keys" || key == "private_key" ||
         key == "key_password";
}

void write(std::string& out, element e, bool redacted) {
  simdjson::dom::object object;
  simdjson::dom::array array;
  if (e.get(object) == simdjson::SUCCESS) {
    if (redacted) {  // a secret given as an object: none of it shows, not even its keys
      out.append("\"[redacted]\"");
      return;
    }
    out.push_back('{');
    bool first = true;
    for (auto [key, value] : object) {
      if (!first) out.push_back(',');
      first = false;
      append_json_string(out, key);
      out.push_back(':');
      write(out, value, redacted || is_secret_key(key));
    }
    out.push_back('}');
    return;
  }
  if (e.get(array) == simdjson::SUCCESS) {
    out.push_back('[');
    bool first = true;
    for (element value : array) {
      if (!first) out.push_back(',');
      first = false;
      write(out, value, redacted);
    }
    out.push_back(']');
    return;
  }
  if (redacted) {
    out.append("\"[redacted]\"");
    return;
  }
  switch (e.type()) {
    case element_type::STRING:
      append_json_string(out, e.get_string().value_unsafe());
      return;
    case element_type::INT64:
      out.append(std::to_string(e.get_int64().value_unsafe()));
      return;
    case element_type::UINT64:
      out.append(std::to_string(e.get_uint64().value_unsafe()));
      return;
    case element_type::DOUBLE: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", e.get_double().value_unsafe());
      out.append(buf);
      return;
    }
    case element_type::BOOL:
      out.append(e.get_bool().value_unsafe() ? "true" : "false");
      return;
    default:
      out.append("null");
  }
}

}  // namespace

std::string checksum(std::string_view document) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : document) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string redact(std::string_view document) {
  simdjson::dom::parser parser;
  element root;
  if (document.empty() || parser.parse(document.data(), document.size()).get(root)) return "null";
  std::string out;
  out.reserve(document.size());
  write(out, root, false);
  return out;
}

}  // namespace apigw::admin
