#include "apigw/arena.hpp"

#include <cstdint>
#include <cstring>

namespace apigw {

Arena::Arena(size_t cap) noexcept : cap_(cap) {}

Arena::~Arena() { reset(); }

void Arena::reset() noexcept {
  while (blocks_) {
    Block* next = blocks_->next;
    ::operator delete(blocks_);
    blocks_ = next;
  }
  cur_ = inline_;
  end_ = inline_ + kInline;
  used_ = 0;
}

void* Arena::do_allocate(size_t bytes, size_t align) {
  auto aligned = [align](unsigned char* p) {
    auto v = reinterpret_cast<uintptr_t>(p);
    return reinterpret_cast<unsigned char*>((v + align - 1) & ~(uintptr_t(align) - 1));
  };
  unsigned char* p = aligned(cur_);
  if (p + bytes <= end_) {
    cur_ = p + bytes;
    used_ += bytes;
    return p;
  }
  // A new block: at least twice the last one, big enough for this request.
  size_t last = blocks_ ? blocks_->size : kInline;
  size_t want = bytes + align + sizeof(Block);
  size_t size = last * 2 > want ? last * 2 : want;
  if (used_ + bytes > cap_) throw std::bad_alloc();
  auto* block = static_cast<Block*>(::operator new(size));
  block->next = blocks_;
  block->size = size;
  blocks_ = block;
  cur_ = reinterpret_cast<unsigned char*>(block + 1);
  end_ = reinterpret_cast<unsigned char*>(block) + size;
  p = aligned(cur_);
  cur_ = p + bytes;
  used_ += bytes;
  return p;
}

std::string_view Arena::dup(std::string_view s) {
  if (s.empty()) return {};
  auto* p = static_cast<char*>(do_allocate(s.size(), 1));
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

}  // namespace apigw
