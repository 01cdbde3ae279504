// KeyTable: the TAT (theoretical arrival time) of each key of one local
// rate limit, exact across workers, lock-free and bounded in memory.
//
// A fixed array of slots (capacity: the power of two >= 2 x max_keys, made
// when the policy is bound), open addressing with linear probing over at most
// kWindow slots from a key's home. A slot is four words: a control word
// (state, generation, 40 bits of the key's fingerprint), the key's 128-bit
// SipHash fingerprint (keyed per table, so clients cannot aim collisions),
// and the TAT. Finding a known key reads only; the decision is a
// compare-and-swap on the TAT. A new key claims a free slot by
// compare-and-swap on its control word.
//
// Why a stale reader never mixes two keys' state (ABA): a slot's TAT never
// takes the same value twice. A decision only moves it forward; reclaiming
// marks it (kMark, one CAS that fails if any decision got in first); the next
// owner starts at now, or past the old TAT if a worker's clock lags by more
// than the idle grace. So a compare-and-swap made from a TAT read under an
// earlier owner always fails, and the decision runs again.
//
// Idle keys (TAT in the past by kIdleGraceNs: a full bucket, nothing to
// remember) are reclaimed by new keys: those in a new key's window, and a few
// per insert from a clock hand over the whole table (a whole window's worth
// when max_keys keys are tracked). When max_keys keys are all active, or a
// key's window has no free slot, new keys share one overflow bucket.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "policy/siphash.hpp"

namespace apigw::policy {

class KeyTable {
 public:
  // Reserves capacity() slots of kSlotBytes (address space: pages are
  // touched as keys come). Throws std::bad_alloc when the reservation fails.
  explicit KeyTable(size_t max_keys);
  ~KeyTable();
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  // Runs decide(tat) -> std::optional<int64_t> on `key`'s TAT (a new key's
  // bucket is full) and stores the TAT it returns (nullopt: store nothing),
  // atomically: when another decision on the key got in first, decide runs
  // again on the newer TAT. A stored TAT must be above the one decide was
  // given (GCRA's always is). Returns false when the key is not tracked and
  // the shared overflow bucket decided.
  template <class Decide>
  bool update(std::string_view key, int64_t now, Decide&& decide);

  static constexpr int64_t kIdleGraceNs = 1'000'000'000;
  static constexpr size_t kWindow = 64;  // slots probed from a key's home
  static constexpr size_t kSlotBytes = 32;

  size_t size() const noexcept { return live_.load(std::memory_order_relaxed); }
  size_t capacity() const noexcept { return mask_ + 1; }

 private:
  struct alignas(kSlotBytes) Slot {
    uint64_t control;  // only through std::atomic_ref; all zero = empty, never used
    uint64_t hash_lo;
    uint64_t hash_hi;
    int64_t tat;
  };
  static_assert(sizeof(Slot) == kSlotBytes);

  // A key's slot and the control word it was found with (slot null: overflow).
  struct Ref {
    Slot* slot = nullptr;
    uint64_t control = 0;
  };

  Hash128 fingerprint(std::string_view key) const noexcept;
  Ref find_or_add(const Hash128& h, int64_t now) noexcept;
  Ref find(const Hash128& h, bool* claiming) const noexcept;
  std::optional<Ref> add(const Hash128& h, int64_t now) noexcept;  // nullopt: raced, look again
  bool has_other_claim(const Hash128& h, const Slot* mine) const noexcept;
  bool reclaim(Slot& s, uint64_t control, int64_t now) noexcept;
  void retire(Slot& s, uint64_t control) noexcept;
  void sweep(int64_t now, size_t steps) noexcept;
  bool take_live(int64_t now) noexcept;
  // One decision on a found slot; false when the slot is no longer the key's.
  template <class Decide>
  bool decide_on(Ref r, Decide& decide);

  static constexpr int64_t kMark = int64_t{1} << 62;  // TAT of a key being reclaimed
  static constexpr int kMaxLookups = 16;              // slot lost this often in one decision: overflow

  const size_t max_keys_;
  size_t mask_ = 0;
  Slot* slots_ = nullptr;
  uint64_t seed_[2] = {0, 0};
  std::atomic<size_t> live_{0};
  std::atomic<size_t> hand_{0};
  alignas(64) std::atomic<int64_t> overflow_tat_{0};
};

template <class Decide>
bool KeyTable::decide_on(Ref r, Decide& decide) {
  std::atomic_ref<int64_t> tat(r.slot->tat);
  std::atomic_ref<uint64_t> control(r.slot->control);
  for (;;) {
    int64_t t = tat.load(std::memory_order_acquire);
    if (control.load(std::memory_order_acquire) != r.control) return false;  // reclaimed (and maybe reused)
    if (t & kMark) {  // being reclaimed: help it finish, then look again
      retire(*r.slot, r.control);
      return false;
    }
    std::optional<int64_t> next = decide(t);
    if (!next) return true;
    if (tat.compare_exchange_weak(t, *next, std::memory_order_acq_rel, std::memory_order_acquire)) return true;
  }
}

template <class Decide>
bool KeyTable::update(std::string_view key, int64_t now, Decide&& decide) {
  const Hash128 h = fingerprint(key);
  for (int lookups = 0; lookups < kMaxLookups; ++lookups) {
    Ref r = find_or_add(h, now);
    if (!r.slot) break;
    if (decide_on(r, decide)) return true;
  }
  int64_t t = overflow_tat_.load(std::memory_order_acquire);
  for (;;) {
    std::optional<int64_t> next = decide(t);
    if (!next || overflow_tat_.compare_exchange_weak(t, *next, std::memory_order_acq_rel)) return false;
  }
}

}  // namespace apigw::policy
