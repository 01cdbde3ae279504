// What the config tests check about a load: an error at a JSON pointer whose
// message holds a given part; every error is printed when a check fails.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "config/config_loader.hpp"

namespace apigw::test {

// Every error on its own line: doctest prints it when a check fails.
inline std::string dump(const config::LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  return out.empty() ? "(no errors)" : out;
}

// True when an error sits exactly at `pointer` and its message holds `part`.
inline bool has_error(const config::LoadResult& r, std::string_view pointer, std::string_view part) {
  for (const auto& e : r.errors)
    if (e.pointer == pointer && e.message.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace apigw::test

#define CHECK_ERROR(result, pointer, part) \
  CHECK_MESSAGE(apigw::test::has_error(result, pointer, part), apigw::test::dump(result))
