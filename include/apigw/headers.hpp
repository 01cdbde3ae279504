// HeaderMap: an ordered list of HTTP header fields with case-insensitive names.
//
// Names and values are views; the map copies what it is given into the arena
// it was created with, so a header set by a policy lives as long as the request.
#pragma once

#include <memory_resource>
#include <string_view>
#include <vector>

#include "apigw/arena.hpp"

namespace apigw {

// ASCII case-insensitive equality of two equally long byte strings.
bool iequals_bytes(const char* a, const char* b, size_t n) noexcept;

// Case-insensitive equality of header names; unequal lengths answer at once.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && iequals_bytes(a.data(), b.data(), a.size());
}

struct Header {
  std::string_view name;
  std::string_view value;
};

class HeaderMap {
 public:
  explicit HeaderMap(Arena& arena) : arena_(&arena), fields_(&arena) {}

  // First value of `name`, or empty when absent (use has() to tell apart).
  std::string_view get(std::string_view name) const noexcept;
  const Header* find(std::string_view name) const noexcept;
  bool has(std::string_view name) const noexcept { return find(name) != nullptr; }
  size_t count(std::string_view name) const noexcept;

  // Copies name and value into the arena.
  void add(std::string_view name, std::string_view value);
  // Replaces every field named `name` with one.
  void set(std::string_view name, std::string_view value);
  // Returns how many fields were removed.
  size_t remove(std::string_view name);
  // Renames every field `from` to `to`, keeping values and order.
  void rename(std::string_view from, std::string_view to);

  // Adds without copying: the caller guarantees the views outlive the map.
  void add_view(std::string_view name, std::string_view value) { fields_.push_back({name, value}); }
  // set() without copying, on the same terms.
  void set_view(std::string_view name, std::string_view value) { put(name, value, /*copy=*/false); }

  size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }
  void clear() noexcept { fields_.clear(); }

 private:
  void put(std::string_view name, std::string_view value, bool copy);
  Arena* arena_;
  std::pmr::vector<Header> fields_;
};

}  // namespace apigw
