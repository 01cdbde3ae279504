// Arena: the per-request memory pool (h2o's req->pool, with a hard cap).
//
// Everything scoped to one request comes from here and is released in one
// step when the request ends. It is a std::pmr::memory_resource, so pmr
// containers can live in it. Past the cap, allocation throws std::bad_alloc
// (the pmr contract); the connection turns that into a 503, never a crash.
#pragma once

#include <cstddef>
#include <memory_resource>
#include <new>
#include <string_view>
#include <utility>

namespace apigw {

class Arena final : public std::pmr::memory_resource {
 public:
  static constexpr size_t kDefaultCap = 1u << 20;

  explicit Arena(size_t cap = kDefaultCap) noexcept;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() override;

  // A copy of `s` owned by the arena.
  std::string_view dup(std::string_view s);

  template <class T, class... Args>
  T* make(Args&&... args) {
    void* p = do_allocate(sizeof(T), alignof(T));
    return ::new (p) T(std::forward<Args>(args)...);
  }

  size_t bytes_used() const noexcept { return used_; }
  size_t cap() const noexcept { return cap_; }

  // Frees everything at once; previously returned pointers become invalid.
  void reset() noexcept;

 private:
  struct Block {
    Block* next;
    size_t size;
  };

  void* do_allocate(size_t bytes, size_t align) override;
  void do_deallocate(void*, size_t, size_t) noexcept override {}
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  // Enough for a typical request with a few policies (head, ids, headers
  // added, the upstream head) without a heap block.
  static constexpr size_t kInline = 4096;
  alignas(std::max_align_t) unsigned char inline_[kInline];
  unsigned char* cur_ = inline_;
  unsigned char* end_ = inline_ + kInline;
  Block* blocks_ = nullptr;
  size_t used_ = 0;
  size_t cap_;
};

}  // namespace apigw
