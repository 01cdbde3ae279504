#include "policy/key_table.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <memory>
#include <new>
#include <random>
#include <thread>

namespace apigw::policy {
namespace {

// The control word: state (2 bits), generation (22 bits, bumped each time the
// slot is freed), the top 40 bits of the fingerprint's high half (a filter;
// the whole 128 bits are compared).
constexpr uint64_t kStateMask = 3;
constexpr uint64_t kEmpty = 0;     // never used: ends every probe
constexpr uint64_t kClaiming = 1;  // a new key is being written
constexpr uint64_t kLive = 2;
constexpr uint64_t kFree = 3;      // used before: probes go on past it
constexpr int kGenShift = 2;
constexpr uint64_t kGenMask = ((uint64_t{1} << 22) - 1) << kGenShift;
constexpr uint64_t kTagMask = ~((uint64_t{1} << 24) - 1);

constexpr size_t kSweepPerInsert = 2;
constexpr int kClaimSpins = 1 << 16;  // waiting for another worker to finish adding the same key

uint64_t tag_of(const Hash128& h) { return h.hi & kTagMask; }
uint64_t freed(uint64_t control) {
  return (((control & kGenMask) + (uint64_t{1} << kGenShift)) & kGenMask) | kFree;
}

std::atomic_ref<uint64_t> word(uint64_t& w) { return std::atomic_ref<uint64_t>(w); }

}  // namespace

KeyTable::KeyTable(size_t max_keys) : max_keys_(std::max<size_t>(1, max_keys)) {
  const size_t capacity = std::bit_ceil(2 * max_keys_);
  mask_ = capacity - 1;
  // Anonymous pages are zero (every slot empty) and cost memory only once touched.
  void* p = mmap(nullptr, capacity * sizeof(Slot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  slots_ = static_cast<Slot*>(p);
  std::uninitialized_default_construct_n(slots_, capacity);  // no code: begins the slots' lifetime
  try {
    std::random_device rd;
    seed_[0] = (uint64_t{rd()} << 32) ^ rd();
    seed_[1] = (uint64_t{rd()} << 32) ^ rd();
  } catch (...) {  // no entropy source: still a different key per table and run
    seed_[0] = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    seed_[1] = reinterpret_cast<uintptr_t>(this) * 0x9e3779b97f4a7c15ull;
  }
}

KeyTable::~KeyTable() { munmap(slots_, capacity() * sizeof(Slot)); }

Hash128 KeyTable::fingerprint(std::string_view key) const noexcept {
  return siphash128<1, 3>(seed_[0], seed_[1], key);
}

KeyTable::Ref KeyTable::find_or_add(const Hash128& h, int64_t now) noexcept {
  for (int attempt = 0; attempt < kMaxLookups; ++attempt) {
    bool claiming = false;
    Ref r = find(h, &claiming);
    if (r.slot && !claiming) return r;
    if (r.slot) {  // another worker is adding this key: two stores away
      std::atomic_ref<uint64_t> control(r.slot->control);
      for (int i = 0; i < kClaimSpins && control.load(std::memory_order_acquire) == r.control; ++i)
        if (i > 64) std::this_thread::yield();
      continue;
    }
    if (std::optional<Ref> added = add(h, now)) return *added;
    // a race: another worker may have added this very key; look again
  }
  return {};
}

KeyTable::Ref KeyTable::find(const Hash128& h, bool* claiming) const noexcept {
  const uint64_t tag = tag_of(h);
  const size_t home = h.lo & mask_;
  const size_t window = std::min(kWindow, capacity());
  for (size_t i = 0; i < window; ++i) {
    Slot& s = slots_[(home + i) & mask_];
    const uint64_t c = word(s.control).load(std::memory_order_acquire);
    const uint64_t state = c & kStateMask;
    if (state == kEmpty) break;
    if ((c & kTagMask) != tag) continue;
    if (state == kClaiming) {
      *claiming = true;
      return {&s, c};
    }
    if (state == kLive && word(s.hash_lo).load(std::memory_order_relaxed) == h.lo &&
        word(s.hash_hi).load(std::memory_order_relaxed) == h.hi)
      return {&s, c};
  }
  return {};
}

// Claims the first free slot in the key's window. Returns the slot, no slot
// when there is no room, or nullopt after a race.
std::optional<KeyTable::Ref> KeyTable::add(const Hash128& h, int64_t now) noexcept {
  sweep(now, kSweepPerInsert);
  if (!take_live(now)) return Ref{};
  const uint64_t tag = tag_of(h);
  const size_t home = h.lo & mask_;
  const size_t window = std::min(kWindow, capacity());
  for (size_t i = 0; i < window; ++i) {
    Slot& s = slots_[(home + i) & mask_];
    std::atomic_ref<uint64_t> control(s.control);
    uint64_t c = control.load(std::memory_order_acquire);
    if ((c & kStateMask) == kLive && reclaim(s, c, now)) c = control.load(std::memory_order_acquire);
    if ((c & kStateMask) != kEmpty && (c & kStateMask) != kFree) continue;
    const uint64_t claimed = tag | (c & kGenMask) | kClaiming;
    // seq_cst here and in has_other_claim: of two workers adding one key at
    // once, at least the later one sees the other's claim.
    if (!control.compare_exchange_strong(c, claimed, std::memory_order_seq_cst)) {
      live_.fetch_sub(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    // A full bucket (TAT not after now), and above every TAT a reader of an
    // earlier owner may still hold: past a reclaimed key's last one (marked).
    // An empty slot had no owner; a slot given back by a claim had no reader.
    std::atomic_ref<int64_t> tat(s.tat);
    const int64_t t = tat.load(std::memory_order_relaxed);
    tat.store(std::max((t & kMark) ? (t & ~kMark) + 1 : t, now), std::memory_order_relaxed);
    word(s.hash_lo).store(h.lo, std::memory_order_relaxed);
    word(s.hash_hi).store(h.hi, std::memory_order_relaxed);
    if (has_other_claim(h, &s)) {  // the key was added elsewhere meanwhile: give this slot back
      control.store(freed(claimed), std::memory_order_release);
      live_.fetch_sub(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    const uint64_t live = tag | (c & kGenMask) | kLive;
    control.store(live, std::memory_order_release);
    return Ref{&s, live};
  }
  live_.fetch_sub(1, std::memory_order_relaxed);  // the window is full of other keys
  return Ref{};
}

bool KeyTable::has_other_claim(const Hash128& h, const Slot* mine) const noexcept {
  const uint64_t tag = tag_of(h);
  const size_t home = h.lo & mask_;
  const size_t window = std::min(kWindow, capacity());
  for (size_t i = 0; i < window; ++i) {
    Slot& s = slots_[(home + i) & mask_];
    const uint64_t c = word(s.control).load(std::memory_order_seq_cst);
    const uint64_t state = c & kStateMask;
    if (state == kEmpty) break;
    if (&s == mine || (c & kTagMask) != tag) continue;
    if (state == kClaiming) return true;  // its fingerprint may not be written yet: assume the same key
    if (state == kLive && word(s.hash_lo).load(std::memory_order_relaxed) == h.lo &&
        word(s.hash_hi).load(std::memory_order_relaxed) == h.hi)
      return true;
  }
  return false;
}

bool KeyTable::take_live(int64_t now) noexcept {
  for (int tries = 0; tries < 2; ++tries) {
    if (live_.fetch_add(1, std::memory_order_relaxed) < max_keys_) return true;
    live_.fetch_sub(1, std::memory_order_relaxed);
    if (tries == 0) sweep(now, kWindow);  // max_keys tracked: look for idle ones
  }
  return false;
}

// Frees a live slot whose key is idle. The commit point is marking the TAT:
// a compare-and-swap that fails when a decision moved the TAT since it was read.
bool KeyTable::reclaim(Slot& s, uint64_t control, int64_t now) noexcept {
  std::atomic_ref<int64_t> tat(s.tat);
  int64_t t = tat.load(std::memory_order_acquire);
  if (!(t & kMark)) {
    if (t > now - kIdleGraceNs) return false;
    if (word(s.control).load(std::memory_order_acquire) != control) return false;  // t may be a newer key's
    if (!tat.compare_exchange_strong(t, t | kMark, std::memory_order_acq_rel)) return false;
  }
  retire(s, control);
  return true;
}

// The second step of a reclaim, done by the reclaimer or by whoever sees the
// mark first (so that nobody waits for a reclaimer that was preempted).
void KeyTable::retire(Slot& s, uint64_t control) noexcept {
  if (word(s.control).compare_exchange_strong(control, freed(control), std::memory_order_acq_rel))
    live_.fetch_sub(1, std::memory_order_relaxed);
}

void KeyTable::sweep(int64_t now, size_t steps) noexcept {
  const size_t start = hand_.fetch_add(steps, std::memory_order_relaxed);
  for (size_t i = 0; i < steps; ++i) {
    Slot& s = slots_[(start + i) & mask_];
    const uint64_t c = word(s.control).load(std::memory_order_acquire);
    if ((c & kStateMask) == kLive) reclaim(s, c, now);
  }
}

}  // namespace apigw::policy
