#include "apigw/headers.hpp"

#include <algorithm>

namespace apigw {

bool iequals_bytes(const char* a, const char* b, size_t n) noexcept {
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    if ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z') return false;
  }
  return true;
}

const Header* HeaderMap::find(std::string_view name) const noexcept {
  for (const auto& h : fields_)
    if (iequals(h.name, name)) return &h;
  return nullptr;
}

std::string_view HeaderMap::get(std::string_view name) const noexcept {
  const Header* h = find(name);
  return h ? h->value : std::string_view();
}

size_t HeaderMap::count(std::string_view name) const noexcept {
  return static_cast<size_t>(std::count_if(fields_.begin(), fields_.end(),
                                           [&](const Header& h) { return iequals(h.name, name); }));
}

void HeaderMap::add(std::string_view name, std::string_view value) {
  fields_.push_back({arena_->dup(name), arena_->dup(value)});
}

void HeaderMap::set(std::string_view name, std::string_view value) { put(name, value, /*copy=*/true); }

// The first field of that name takes the value in place (keeping its
// position and its name's copy); later ones go. Absent: appended.
void HeaderMap::put(std::string_view name, std::string_view value, bool copy) {
  auto it = std::find_if(fields_.begin(), fields_.end(), [&](const Header& h) { return iequals(h.name, name); });
  if (it == fields_.end()) {
    fields_.push_back(copy ? Header{arena_->dup(name), arena_->dup(value)} : Header{name, value});
    return;
  }
  it->value = copy ? arena_->dup(value) : value;
  auto rest = std::remove_if(it + 1, fields_.end(), [&](const Header& h) { return iequals(h.name, name); });
  fields_.erase(rest, fields_.end());
}

size_t HeaderMap::remove(std::string_view name) {
  auto it = std::remove_if(fields_.begin(), fields_.end(),
                           [&](const Header& h) { return iequals(h.name, name); });
  size_t n = static_cast<size_t>(fields_.end() - it);
  fields_.erase(it, fields_.end());
  return n;
}

void HeaderMap::rename(std::string_view from, std::string_view to) {
  std::string_view copy;
  for (auto& h : fields_) {
    if (!iequals(h.name, from)) continue;
    if (copy.empty()) copy = arena_->dup(to);
    h.name = copy;
  }
}

}  // namespace apigw
