// FieldBuffer: a header name, value or request target assembled in an arena
// from the fragments llhttp reports when a field spans reads. Capacity
// doubles, so a field fed byte by byte costs linear time and at most about
// twice its size in the arena (the read buffer is reused: bytes must move).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "apigw/arena.hpp"

namespace apigw::http {

struct FieldBuffer {
  char* data = nullptr;
  uint32_t size = 0;
  uint32_t cap = 0;

  std::string_view view() const noexcept { return {data, size}; }
  bool empty() const noexcept { return size == 0; }
  void clear() noexcept { *this = FieldBuffer(); }

  void append(Arena& arena, const char* at, size_t len) {
    if (len == 0) return;
    size_t need = size_t{size} + len;
    if (need > cap) {
      size_t grown = cap == 0 ? len : need > 2 * size_t{cap} ? need : 2 * size_t{cap};
      auto* p = static_cast<char*>(arena.allocate(grown, 1));
      if (size > 0) std::memcpy(p, data, size);
      data = p;
      cap = static_cast<uint32_t>(grown);
    }
    std::memcpy(data + size, at, len);
    size = static_cast<uint32_t>(need);
  }
};

}  // namespace apigw::http
