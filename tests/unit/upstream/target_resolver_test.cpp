#include <doctest/doctest.h>
#include <netinet/in.h>
#include <uv.h>

#include "upstream/compiled_upstream.hpp"
#include "upstream/target_resolver.hpp"

TEST_CASE("resolver: a host-name target's address is refreshed off the loop") {
  apigw::upstream::UpstreamRegistry registry;
  apigw::UpstreamOptions o;
  o.name = "named";
  o.targets = {{"localhost:8080", 1}, {"127.0.0.1:9", 1}};
  auto compiled = apigw::upstream::CompiledUpstream::compile(o, registry);
  REQUIRE(compiled);
  auto target = compiled.value()->addresses[0];
  CHECK(target->is_name());
  CHECK_FALSE(compiled.value()->addresses[1]->is_name());
  // Pretend the name pointed elsewhere; the resolver must bring it back.
  sockaddr_storage stale{};
  stale.ss_family = AF_INET;
  target->set(stale);

  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<std::shared_ptr<const apigw::upstream::CompiledUpstream>> list{compiled.value()};
  auto port_of = [](const sockaddr_storage& ss) {
    return ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port)
                                    : ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  };
  {
    apigw::upstream::TargetResolver resolver(&loop, [&]() -> const auto& { return list; }, 1);
    for (int i = 0; i < 500 && port_of(target->get()) != 8080; ++i) uv_run(&loop, UV_RUN_ONCE);
    CHECK(resolver.lookups_started() >= 1);
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // closes the timer, finishes lookups
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(port_of(target->get()) == 8080);
}
