#include "cli/push.hpp"

#include <cstdio>

#include "admin/config_document.hpp"
#include "fleet/blocking_redis.hpp"

namespace apigw::cli {

int push_document(const std::string& file, const std::string& document, const PushTarget& target) {
#ifdef APIGW_WITH_REDIS
  auto fail = [](const Status& st) {
    std::fprintf(stderr, "apigw: push: %s\n", std::string(st.message()).c_str());
    return 2;
  };
  RedisOptions options;
  options.address = target.address;
  options.password = target.password;
  options.timeout_ms = target.timeout_ms;
  auto redis = fleet::BlockingRedis::connect(options);
  if (!redis) return fail(redis.status());
  const std::string sum = admin::checksum(document);
  if (Status st = redis.value()->set(target.key, document); !st) return fail(st);
  auto received = redis.value()->publish(target.channel, sum);
  if (!received) return fail(received.status());
  std::printf("%s: pushed to %s key %s, checksum %s, announced on %s to %lld subscriber(s)\n", file.c_str(),
              target.address.c_str(), target.key.c_str(), sum.c_str(), target.channel.c_str(),
              static_cast<long long>(received.value()));
  return 0;
#else
  (void)file, (void)document, (void)target;
  std::fprintf(stderr, "apigw: push: Redis is not in this build (APIGW_WITH_REDIS=OFF)\n");
  return 2;
#endif
}

}  // namespace apigw::cli
