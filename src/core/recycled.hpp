// Recycling of the small objects made once per request (Flow, ProxyCall, the
// anchor behind resume tokens): freed blocks wait in a per-thread list for
// the next request instead of going back to malloc.
//
// A worker makes and frees them on its own loop thread, so a thread-local
// list needs no lock; a block freed on another thread joins that thread's
// list. At most kKeep blocks of a size wait per thread, so what a burst took
// goes back to malloc afterwards.
#pragma once

#include <cstddef>
#include <new>

namespace apigw {

// Under AddressSanitizer nothing is kept: a recycled block would hide a
// use-after-free of the object that lived in it.
#if defined(__has_feature)  // clang
#if __has_feature(address_sanitizer)
#define APIGW_RECYCLE_NOTHING 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(APIGW_RECYCLE_NOTHING)  // GCC, clang
inline constexpr size_t kRecycledBlocksKept = 0;
#else
inline constexpr size_t kRecycledBlocksKept = 64;
#endif

template <size_t kSize, size_t kKeep = kRecycledBlocksKept>
class BlockCache {
 public:
  static void* take() {
    FreeList& list = free_list();
    if (!list.head) return ::operator new(kSize);
    Node* n = list.head;
    list.head = n->next;
    --list.count;
    return n;
  }

  static void give(void* p) noexcept {
    FreeList& list = free_list();
    if (list.count >= kKeep) return ::operator delete(p);
    list.head = ::new (p) Node{list.head};
    ++list.count;
  }

 private:
  static_assert(kSize >= sizeof(void*));
  struct Node {
    Node* next;
  };
  struct FreeList {
    Node* head = nullptr;
    size_t count = 0;
    ~FreeList() {
      while (head) {
        Node* next = head->next;
        ::operator delete(head);
        head = next;
      }
    }
  };
  static FreeList& free_list() noexcept {
    thread_local FreeList list;
    return list;
  }
};

// Base class: `new T` and `delete` of a T use the cache (T must be final, so
// every block has sizeof(T)).
template <class T>
class Recycled {
 public:
  static void* operator new(size_t size) {
    return size == sizeof(T) ? BlockCache<sizeof(T)>::take() : ::operator new(size);
  }
  static void operator delete(void* p, size_t size) noexcept {
    if (size == sizeof(T)) return BlockCache<sizeof(T)>::give(p);
    ::operator delete(p);
  }
};

// An allocator for std::allocate_shared: the shared block comes from the cache.
template <class T>
struct RecyclingAllocator {
  using value_type = T;
  static_assert(alignof(T) <= alignof(std::max_align_t));
  RecyclingAllocator() = default;
  template <class U>
  RecyclingAllocator(const RecyclingAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    if (n == 1) return static_cast<T*>(BlockCache<sizeof(T)>::take());
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept {
    if (n == 1) return BlockCache<sizeof(T)>::give(p);
    ::operator delete(p);
  }
  template <class U>
  bool operator==(const RecyclingAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace apigw
