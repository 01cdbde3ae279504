// InFlightCounts: requests in flight on each target of one upstream, for
// GET /upstreams (SPEC.md section 3: "in-flight state").
//
// Counted where a try starts and ends, on the worker, without a lock and
// without a cache line that workers share: each worker counts in a Block of
// its own (one writer: a plain relaxed load and store, no read-modify-write),
// and a scrape sums the blocks that are still alive. A block belongs to one
// worker's view of one upstream version and lives as long as a request
// using that view, so tries that started before a reload are still counted
// after it. Counts are kept by target address: a reload that changes the
// target list keeps counting the targets it keeps.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace apigw::upstream {

class InFlightCounts {
 public:
  class Block {
   public:
    explicit Block(std::vector<std::string> targets);
    // The owning worker's thread only.
    void started(size_t target) noexcept;
    void finished(size_t target) noexcept;  // never below 0

   private:
    friend class InFlightCounts;
    struct alignas(64) Slot {  // a line of its own: the only writer is one worker
      std::atomic<uint32_t> n{0};
    };
    std::vector<std::string> targets_;
    std::unique_ptr<Slot[]> slots_;
  };

  // A block for one worker's view of `targets` (once per worker per reload).
  std::shared_ptr<Block> add_block(std::vector<std::string> targets);
  // In flight on each of `targets`, by address, summed over the live blocks.
  std::vector<uint64_t> count(const std::vector<std::string>& targets) const;

 private:
  mutable std::mutex mu_;
  mutable std::vector<std::weak_ptr<Block>> blocks_;  // dead ones pruned as they are met
};

}  // namespace apigw::upstream
