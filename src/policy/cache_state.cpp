#include "policy/cache_state.hpp"

namespace apigw::policy {
namespace {

// FNV-1a, never 0 (0 marks a free slot).
uint64_t name_hash(std::string_view s) noexcept {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h ? h : 1;
}

}  // namespace

std::string_view cache_result_name(CacheResult r) noexcept {
  switch (r) {
    case CacheResult::kHit: return "hit";
    case CacheResult::kMiss: return "miss";
    case CacheResult::kBypass: return "bypass";
    case CacheResult::kCoalesced: return "coalesced";
    case CacheResult::kCount: break;
  }
  return "unknown";
}

void CacheCounters::add(std::string_view route, CacheResult r) noexcept {
  const uint64_t h = name_hash(route);
  for (size_t probe = 0; probe < kRoutes; ++probe) {
    Slot& slot = slots_[(h + probe) % kRoutes];
    uint64_t seen = slot.hash.load(std::memory_order_acquire);
    if (seen == 0) {
      if (slot.hash.compare_exchange_strong(seen, h, std::memory_order_acq_rel)) {
        try {
          std::lock_guard<std::mutex> lock(names_mu_);
          names_.emplace(h, std::string(route));
        } catch (...) {
          // Out of memory: the slot counts on, unnamed until a scrape can show it.
        }
        seen = h;
      }
    }
    if (seen == h) {
      slot.counts[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  dropped_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::pair<std::string, CacheResultCounts>> CacheCounters::by_route() const {
  std::lock_guard<std::mutex> lock(names_mu_);
  std::vector<std::pair<std::string, CacheResultCounts>> out;
  for (const Slot& slot : slots_) {
    auto name = names_.find(slot.hash.load(std::memory_order_acquire));
    if (name == names_.end()) continue;
    CacheResultCounts counts{};
    for (size_t r = 0; r < counts.size(); ++r) counts[r] = slot.counts[r].load(std::memory_order_relaxed);
    out.emplace_back(name->second, counts);
  }
  return out;
}

}  // namespace apigw::policy
