// "config_source": its options, the defaults taken from "redis", its errors,
// and the rule that a reload cannot point a running gateway elsewhere.
#include <doctest/doctest.h>

#include <string>

#include "unit/config/config_errors.hpp"
#include "config/config_loader.hpp"
#include "core/builder_state.hpp"

namespace {

apigw::config::LoadResult load_with(const std::string& extra) {
  return apigw::config::load(R"({"listeners": [{"address": "127.0.0.1:0"}], )" + extra + "}");
}

}  // namespace

#ifdef APIGW_WITH_REDIS
TEST_CASE("config: config_source reads its own redis options and key and channel") {
  auto r = load_with(R"("config_source": {"redis": {"address": "127.0.0.1:6391", "password": "pw",
                        "timeout_ms": 300, "key": "fleet:a", "channel": "fleet:a:news"}})");
  REQUIRE_MESSAGE(r.ok(), apigw::test::dump(r));
  const auto& c = r.builder.state().config_source;
  REQUIRE(c.has_value());
  CHECK(c->redis.address == "127.0.0.1:6391");
  CHECK(c->redis.password == "pw");
  CHECK(c->redis.timeout_ms == 300);
  CHECK(c->key == "fleet:a");
  CHECK(c->channel == "fleet:a:news");
  CHECK(r.builder.validate());
}

TEST_CASE("config: config_source takes address and password from the redis section when it omits them") {
  auto r = load_with(R"("redis": {"address": "127.0.0.1:6392", "password": "shared"},
                        "config_source": {"redis": {}})");
  REQUIRE_MESSAGE(r.ok(), apigw::test::dump(r));
  const auto& c = r.builder.state().config_source;
  REQUIRE(c.has_value());
  CHECK(c->redis.address == "127.0.0.1:6392");
  CHECK(c->redis.password == "shared");
  CHECK(c->redis.timeout_ms == 2000);
  CHECK(c->key == "apigw:config");
  CHECK(c->channel == "apigw:config");
}

TEST_CASE("config: config_source errors carry their pointers") {
  auto r = load_with(R"("config_source": {"redis": {"key": "", "chanel": "x", "timeout_ms": 0}, "poll": 1})");
  CHECK_ERROR(r, "/config_source/redis/key", "must not be empty");
  CHECK_ERROR(r, "/config_source/redis/chanel", "did you mean \"channel\"");
  CHECK_ERROR(r, "/config_source/redis/timeout_ms", "");
  CHECK_ERROR(r, "/config_source/poll", "");
  auto missing = load_with(R"("config_source": {})");
  CHECK_ERROR(missing, "/config_source", "redis");
  auto bad_address = load_with(R"("config_source": {"redis": {"address": "redis.internal:6379"}})");
  REQUIRE(bad_address.ok());
  CHECK(bad_address.builder.validate().message().find("config_source: redis: address must be IP:PORT") !=
        std::string_view::npos);
}

TEST_CASE("config: the C ABI's loads refuse config_source") {
  auto r = apigw::config::load_with_host_policies(
      R"({"listeners": [{"address": "127.0.0.1:0"}], "config_source": {"redis": {}}})");
  CHECK_ERROR(r, "/config_source", "apigw executable only");
}

TEST_CASE("config: a reload keeps config_source or leaves it out, and cannot change it") {
  const std::string source = R"("config_source": {"redis": {"address": "127.0.0.1:6393"}})";
  auto first = load_with(source);
  REQUIRE_MESSAGE(first.ok(), apigw::test::dump(first));
  auto gw = first.builder.build();
  REQUIRE(gw);
  CHECK(gw.value()->reload(load_with(source).builder));
  CHECK(gw.value()->reload(apigw::config::load(R"({"listeners": [{"address": "127.0.0.1:0"}]})").builder));
  auto elsewhere = load_with(R"("config_source": {"redis": {"address": "127.0.0.1:6393", "key": "other"}})");
  REQUIRE(elsewhere.ok());
  apigw::Status st = gw.value()->reload(elsewhere.builder);
  CHECK_FALSE(st);
  CHECK(st.message().find("changing config_source needs a restart") != std::string_view::npos);
}
#else
TEST_CASE("config: a build without Redis refuses config_source clearly") {
  auto r = load_with(R"("config_source": {"redis": {}})");
  CHECK_ERROR(r, "/config_source", "APIGW_WITH_REDIS=OFF");
}
#endif
