// A host's Selector behind the proxy's Balancer interface.
#include "upstream/balancer.hpp"

namespace apigw::upstream {
namespace {

class HostBalancer final : public Balancer {
 public:
  HostBalancer(std::unique_ptr<Selector> selector, size_t targets)
      : selector_(std::move(selector)), targets_(targets) {}

  // Without an exchange (a mirror copy): the first eligible target.
  int pick(const uint8_t* eligible, uint64_t) noexcept override {
    for (size_t i = 0; i < targets_; ++i)
      if (!eligible || eligible[i]) return static_cast<int>(i);
    return -1;
  }

  int pick_for(const Exchange& ex, const uint8_t* eligible, uint64_t) noexcept override {
    int t = selector_->pick(ex, eligible, targets_);
    // A host's answer outside the eligible set is not trusted.
    if (t < 0 || static_cast<size_t>(t) >= targets_ || (eligible && !eligible[t])) return -1;
    return t;
  }

  void on_finish(uint32_t target, int64_t latency_ns, int64_t) noexcept override {
    selector_->on_finish(target, latency_ns, true);
  }

 private:
  std::unique_ptr<Selector> selector_;
  size_t targets_;
};

}  // namespace

std::unique_ptr<Balancer> make_host_balancer(std::unique_ptr<Selector> selector, size_t targets) {
  return std::make_unique<HostBalancer>(std::move(selector), targets);
}

}  // namespace apigw::upstream
