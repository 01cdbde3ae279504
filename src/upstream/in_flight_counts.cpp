#include "upstream/in_flight_counts.hpp"

#include <algorithm>

namespace apigw::upstream {

InFlightCounts::Block::Block(std::vector<std::string> targets)
    : targets_(std::move(targets)), slots_(std::make_unique<Slot[]>(targets_.size())) {}

void InFlightCounts::Block::started(size_t target) noexcept {
  if (target >= targets_.size()) return;
  std::atomic<uint32_t>& n = slots_[target].n;
  n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void InFlightCounts::Block::finished(size_t target) noexcept {
  if (target >= targets_.size()) return;
  std::atomic<uint32_t>& n = slots_[target].n;
  uint32_t v = n.load(std::memory_order_relaxed);
  if (v > 0) n.store(v - 1, std::memory_order_relaxed);
}

std::shared_ptr<InFlightCounts::Block> InFlightCounts::add_block(std::vector<std::string> targets) {
  auto block = std::make_shared<Block>(std::move(targets));
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(blocks_, [](const std::weak_ptr<Block>& b) { return b.expired(); });
  blocks_.push_back(block);
  return block;
}

std::vector<uint64_t> InFlightCounts::count(const std::vector<std::string>& targets) const {
  std::vector<uint64_t> out(targets.size(), 0);
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(blocks_, [](const std::weak_ptr<Block>& b) { return b.expired(); });
  for (const auto& weak : blocks_) {
    std::shared_ptr<Block> b = weak.lock();
    if (!b) continue;
    for (size_t i = 0; i < b->targets_.size(); ++i) {
      auto it = std::find(targets.begin(), targets.end(), b->targets_[i]);
      if (it == targets.end()) continue;
      out[static_cast<size_t>(it - targets.begin())] += b->slots_[i].n.load(std::memory_order_relaxed);
    }
  }
  return out;
}

}  // namespace apigw::upstream
