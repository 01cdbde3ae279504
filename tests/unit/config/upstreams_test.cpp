// The "upstreams" section and the routes that forward to it: upstream,
// rewrite, split and mirror. What lands in the builder, and every error with
// the exact JSON pointer of the value at fault.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "config/config_loader.hpp"
#include "unit/config/config_errors.hpp"
#include "core/builder_state.hpp"

namespace {

using apigw::Balance;
using apigw::HashOn;
using apigw::config::LoadResult;
using apigw::test::dump;
using apigw::test::has_error;


LoadResult load(std::string_view json) { return apigw::config::load(json, "."); }

// A config with one listener, the given upstreams and routes.
LoadResult load_with(const std::string& upstreams, const std::string& routes) {
  return load(R"({"listeners": [{"address": "127.0.0.1:0"}], "upstreams": )" + upstreams +
              R"(, "routes": )" + routes + "}");
}

// One upstream object with `extra` keys added after its one target.
std::string upstream(const std::string& name, const std::string& extra = "") {
  return R"({"name": ")" + name + R"(", "targets": [{"address": "127.0.0.1:9001"}])" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

// Routes come first in the file: upstreams are resolved wherever they stand.
const char* const kFullConfig = R"({
  "listeners": [{"address": "127.0.0.1:0"}],
  "routes": [
    {"name": "users", "match": {"path": "/v1/users/{id}/{*rest}"},
     "upstream": "users",
     "rewrite": {"path": "/users/{id}/{*rest}", "host": "users.internal:8443"},
     "split": [{"upstream": "users-v2", "weight": 5}, {"upstream": "users-v3", "weight": 95}],
     "mirror": {"upstream": "shadow", "percent": 10}},
    {"name": "files", "match": {"path_prefix": "/files/"}, "upstream": "shadow",
     "rewrite": {"strip_prefix": "/files"}, "mirror": {"upstream": "users"}}
  ],
  "upstreams": [
    {"name": "users",
     "targets": [{"address": "127.0.0.1:9001", "weight": 3}, {"address": "[::1]:9002"},
                 {"address": "users-1.internal:80", "weight": 1000}],
     "balance": "consistent_hash",
     "hash_on": "header:X-User",
     "timeouts": {"connect_ms": 250, "response_ms": 5000, "idle_ms": 30000},
     "retries": {"attempts": 3, "on": ["connect_failure", "reset", "502", "503"],
                 "backoff_ms": 0, "budget_percent": 100},
     "health_check": {"path": "/healthz?deep=1", "interval_ms": 1000, "timeout_ms": 999,
                      "healthy_threshold": 1, "unhealthy_threshold": 100},
     "circuit_breaker": {"consecutive_failures": 1000, "eject_ms": 86400000,
                         "max_ejected_percent": 0, "max_pending": 1000000},
     "max_connections_per_target": 100000},
    {"name": "users-v2", "targets": [{"address": "10.0.0.2:80"}], "balance": "least_conn"},
    {"name": "users-v3", "targets": [{"address": "10.0.0.3:80"}], "balance": "peak_ewma"},
    {"name": "shadow", "targets": [{"address": "localhost:65535"}], "balance": "random"},
    {"name": "unused", "targets": [{"address": "10.0.0.9:1"}], "balance": "consistent_hash"}
  ]
})";

}  // namespace

TEST_CASE("upstreams: a full valid config fills the builder") {
  LoadResult r = load(kFullConfig);
  REQUIRE_MESSAGE(r.ok(), dump(r));
  const auto& s = r.builder.state();
  REQUIRE(s.upstreams.size() == 5);

  const apigw::UpstreamOptions& u = s.upstreams[0];
  CHECK(u.name == "users");
  REQUIRE(u.targets.size() == 3);
  CHECK(u.targets[0].address == "127.0.0.1:9001");
  CHECK(u.targets[0].weight == 3);
  CHECK(u.targets[1].address == "[::1]:9002");
  CHECK(u.targets[1].weight == 1);
  CHECK(u.targets[2].address == "users-1.internal:80");
  CHECK(u.targets[2].weight == 1000);
  CHECK(u.balance == Balance::kConsistentHash);
  CHECK(u.hash_on.kind == HashOn::Kind::kHeader);
  CHECK(u.hash_on.name == "x-user");  // header names compare without case
  CHECK(u.timeouts.connect_ms == 250);
  CHECK(u.timeouts.response_ms == 5000);
  CHECK(u.timeouts.idle_ms == 30000);
  CHECK(u.retries.attempts == 3);
  CHECK(u.retries.on == std::vector<std::string>{"connect_failure", "reset", "502", "503"});
  CHECK(u.retries.backoff_ms == 0);
  CHECK(u.retries.budget_percent == 100);
  REQUIRE(u.health_check.has_value());
  CHECK(u.health_check->path == "/healthz?deep=1");
  CHECK(u.health_check->interval_ms == 1000);
  CHECK(u.health_check->timeout_ms == 999);
  CHECK(u.health_check->healthy_threshold == 1);
  CHECK(u.health_check->unhealthy_threshold == 100);
  CHECK(u.circuit_breaker.consecutive_failures == 1000);
  CHECK(u.circuit_breaker.eject_ms == 86400000);
  CHECK(u.circuit_breaker.max_ejected_percent == 0);
  CHECK(u.circuit_breaker.max_pending == 1000000);
  CHECK(u.max_connections_per_target == 100000);

  CHECK(s.upstreams[1].balance == Balance::kLeastConn);
  CHECK(s.upstreams[2].balance == Balance::kPeakEwma);
  CHECK(s.upstreams[3].balance == Balance::kRandom);
  CHECK(s.upstreams[3].targets[0].address == "localhost:65535");
  // consistent_hash without hash_on hashes the client address.
  CHECK(s.upstreams[4].name == "unused");
  CHECK(s.upstreams[4].hash_on.kind == HashOn::Kind::kIp);

  REQUIRE(s.routes.size() == 2);
  const auto& users = s.routes[0];
  CHECK(users.upstream == "users");
  CHECK(users.rewrite.path == "/users/{id}/{*rest}");
  CHECK(users.rewrite.strip_prefix.empty());
  CHECK(users.rewrite.host == "users.internal:8443");
  REQUIRE(users.split.size() == 2);
  CHECK(users.split[0].upstream == "users-v2");
  CHECK(users.split[0].weight == 5);
  CHECK(users.split[1].upstream == "users-v3");
  CHECK(users.split[1].weight == 95);
  REQUIRE(users.mirror.has_value());
  CHECK(users.mirror->upstream == "shadow");
  CHECK(users.mirror->percent == 10);
  CHECK_FALSE(users.respond.has_value());
  CHECK(users.handler.empty());

  const auto& files = s.routes[1];
  CHECK(files.upstream == "shadow");
  CHECK(files.rewrite.path.empty());
  CHECK(files.rewrite.strip_prefix == "/files");
  CHECK(files.split.empty());
  REQUIRE(files.mirror.has_value());
  CHECK(files.mirror->upstream == "users");
  CHECK(files.mirror->percent == 100);  // mirror every request unless sampled down
}

TEST_CASE("upstreams: defaults apply to what the file leaves out") {
  LoadResult r = load_with("[" + upstream("u") + "]", "[]");
  REQUIRE_MESSAGE(r.ok(), dump(r));
  const auto& s = r.builder.state();
  REQUIRE(s.upstreams.size() == 1);
  const auto& u = s.upstreams[0];
  const apigw::UpstreamOptions d;
  CHECK(u.targets[0].weight == 1);
  CHECK(u.balance == Balance::kRoundRobin);
  CHECK(u.hash_on.kind == HashOn::Kind::kIp);
  CHECK(u.timeouts.connect_ms == d.timeouts.connect_ms);
  CHECK(u.timeouts.response_ms == d.timeouts.response_ms);
  CHECK(u.retries.attempts == d.retries.attempts);
  CHECK(u.retries.on == d.retries.on);
  CHECK_FALSE(u.health_check.has_value());
  CHECK(u.circuit_breaker.max_pending == d.circuit_breaker.max_pending);
  CHECK(u.max_connections_per_target == d.max_connections_per_target);

  LoadResult hc = load_with("[" + upstream("u", R"("health_check": {})") + "]", "[]");
  REQUIRE_MESSAGE(hc.ok(), dump(hc));
  REQUIRE(hc.builder.state().upstreams[0].health_check.has_value());
  CHECK(hc.builder.state().upstreams[0].health_check->path == "/healthz");

  LoadResult empty = load_with("[]", "[]");
  CHECK_MESSAGE(empty.ok(), dump(empty));
}

TEST_CASE("upstreams: an unknown upstream on a route, as in SPEC.md") {
  LoadResult r = load_with("[" + upstream("users") + "]", R"([
    {"name": "a", "match": {"path": "/a"}, "handler": "echo"},
    {"name": "b", "match": {"path": "/b"}, "upstream": "users"},
    {"name": "c", "match": {"path": "/c"}, "upstream": "usres"},
    {"name": "d", "match": {"path": "/d"}, "upstream": "nothing-like-it"},
    {"name": "e", "match": {"path": "/e"}, "upstream": ""},
    {"name": "f", "match": {"path": "/f"}, "upstream": 7}])");
  REQUIRE(r.errors.size() == 4);
  CHECK(r.errors[0].to_string() == R"(/routes/2/upstream: unknown upstream "usres" (did you mean "users"?))");
  CHECK(r.errors[1].to_string() == R"(/routes/3/upstream: unknown upstream "nothing-like-it")");
  CHECK_ERROR(r, "/routes/4/upstream", "must not be empty");
  CHECK_ERROR(r, "/routes/5/upstream", "expected string");
  // The routes with errors stay out of the builder.
  REQUIRE(r.builder.state().routes.size() == 2);
  CHECK(r.builder.state().routes[1].upstream == "users");
}

TEST_CASE("upstreams: a route has exactly one of respond, handler and upstream") {
  LoadResult r = load_with("[" + upstream("u") + "]", R"([
    {"name": "a", "match": {"path": "/a"}, "handler": "echo", "upstream": "u"},
    {"name": "b", "match": {"path": "/b"}, "respond": {}, "upstream": "u"}])");
  CHECK_ERROR(r, "/routes/0", "has more than one target");
  CHECK_ERROR(r, "/routes/1", "has more than one target");
}

TEST_CASE("upstreams: name, targets and unknown keys") {
  LoadResult r = load_with(R"([
    {"targets": [{"address": "127.0.0.1:1"}]},
    {"name": "a b", "targets": [{"address": "127.0.0.1:1"}]},
    {"name": "u"},
    {"name": "u", "targets": []},
    {"name": "v", "targets": {"address": "127.0.0.1:1"}},
    {"name": "w", "targets": [{"weight": 2}, "127.0.0.1:1", {"address": "127.0.0.1:1", "wieght": 1}],
     "balanse": "random", "retries": {"attempt": 2}},
    7])",
                           "[]");
  CHECK_ERROR(r, "/upstreams/0", "missing required key \"name\"");
  CHECK_ERROR(r, "/upstreams/1/name", "upstream name \"a b\" may only hold");
  CHECK_ERROR(r, "/upstreams/2", "missing required key \"targets\"");
  CHECK_ERROR(r, "/upstreams/3/name", "duplicate upstream name \"u\"");
  CHECK_ERROR(r, "/upstreams/3/targets", "at least one target is needed");
  CHECK_ERROR(r, "/upstreams/4/targets", "expected array");
  CHECK_ERROR(r, "/upstreams/5/targets/0", "missing required key \"address\"");
  CHECK_ERROR(r, "/upstreams/5/targets/1", "expected object");
  CHECK_ERROR(r, "/upstreams/5/targets/2/wieght", "unknown key \"wieght\" (did you mean \"weight\"?)");
  CHECK_ERROR(r, "/upstreams/5/balanse", "unknown key \"balanse\" (did you mean \"balance\"?)");
  CHECK_ERROR(r, "/upstreams/5/retries/attempt", "(did you mean \"attempts\"?)");
  CHECK_ERROR(r, "/upstreams/6", "expected object");
  CHECK(r.builder.state().upstreams.empty());

  LoadResult top = load(R"({"listeners": [{"address": "127.0.0.1:0"}], "upstream": [], "upstreams": {}})");
  CHECK_ERROR(top, "/upstream", "unknown key \"upstream\" (did you mean \"upstreams\"?)");
  CHECK_ERROR(top, "/upstreams", "expected array");
}

TEST_CASE("upstreams: target addresses") {
  LoadResult r = load_with(R"([{"name": "u", "targets": [
    {"address": "127.0.0.1:80"}, {"address": "[::1]:443"}, {"address": "a-b.c0.example:8080"},
    {"address": "localhost"}, {"address": "127.0.0.1:0"}, {"address": "127.0.0.1:65536"},
    {"address": "::1:80"}, {"address": "[::1]"}, {"address": "[zz]:80"}, {"address": "a_b:80"},
    {"address": "a..b:80"}, {"address": "-a:80"}, {"address": "300.1.1.1:80"}, {"address": ":80"},
    {"address": "h:8x"}, {"address": "[::1]x80"}]}])",
                           "[]");
  CHECK(r.errors.size() == 13);
  const std::string at = "/upstreams/0/targets/";
  CHECK_ERROR(r, at + "3/address", "invalid address \"localhost\": has no port");
  CHECK_ERROR(r, at + "4/address", "port must be 1..65535");
  CHECK_ERROR(r, at + "5/address", "port must be 1..65535");
  CHECK_ERROR(r, at + "6/address", "an IPv6 address needs brackets");
  CHECK_ERROR(r, at + "7/address", "has no port");
  CHECK_ERROR(r, at + "8/address", "is not an IPv6 address");
  CHECK_ERROR(r, at + "9/address", "is not a host name");
  CHECK_ERROR(r, at + "10/address", "empty label");
  CHECK_ERROR(r, at + "11/address", "starts or ends with '-'");
  CHECK_ERROR(r, at + "12/address", "\"300.1.1.1\" is not an IPv4 address");
  CHECK_ERROR(r, at + "13/address", "empty host");
  CHECK_ERROR(r, at + "14/address", "port must be 1..65535");
  CHECK_ERROR(r, at + "15/address", "after ']'");
  CHECK_ERROR(r, at + "3/address", "; expected IP:PORT, [IPv6]:PORT or HOST:PORT");
}

TEST_CASE("upstreams: duplicate targets in one upstream") {
  LoadResult r = load_with(R"([
    {"name": "a", "targets": [{"address": "10.0.0.1:80"}, {"address": "10.0.0.2:80"},
                              {"address": "10.0.0.1:80", "weight": 5}]},
    {"name": "b", "targets": [{"address": "Api.Internal:80"}, {"address": "api.internal:80"}]},
    {"name": "c", "targets": [{"address": "10.0.0.1:80"}]}])",
                           "[]");
  CHECK(r.errors.size() == 2);
  CHECK_ERROR(r, "/upstreams/0/targets/2/address", "duplicate target \"10.0.0.1:80\"");
  CHECK_ERROR(r, "/upstreams/1/targets/1/address", "duplicate target \"api.internal:80\"");
  // The same target in two upstreams is fine; only the valid one is built.
  REQUIRE(r.builder.state().upstreams.size() == 1);
  CHECK(r.builder.state().upstreams[0].name == "c");
}

TEST_CASE("upstreams: every range is checked at its pointer") {
  LoadResult r = load_with("[" + upstream("u", R"(
    "timeouts": {"connect_ms": 0, "response_ms": 86400001, "idle_ms": -1},
    "retries": {"attempts": 11, "backoff_ms": 60001, "budget_percent": 101},
    "health_check": {"path": "healthz", "healthy_threshold": 0, "unhealthy_threshold": 101},
    "circuit_breaker": {"consecutive_failures": 0, "eject_ms": 0, "max_ejected_percent": 101,
                        "max_pending": 1000001},
    "max_connections_per_target": 100001)") + R"(,
    {"name": "v", "targets": [{"address": "127.0.0.1:1", "weight": 0}, {"address": "127.0.0.1:2", "weight": 1001}],
     "retries": {"attempts": 0}, "circuit_breaker": {"consecutive_failures": 1001, "max_pending": 0},
     "max_connections_per_target": 0, "timeouts": {"connect_ms": 1.5}}])",
                           "[]");
  const std::string u = "/upstreams/0/";
  CHECK_ERROR(r, u + "timeouts/connect_ms", "must be 1..86400000 (got 0)");
  CHECK_ERROR(r, u + "timeouts/response_ms", "must be 1..86400000 (got 86400001)");
  CHECK_ERROR(r, u + "timeouts/idle_ms", "(got -1)");
  CHECK_ERROR(r, u + "retries/attempts", "must be 1..10 (got 11)");
  CHECK_ERROR(r, u + "retries/backoff_ms", "must be 0..60000 (got 60001)");
  CHECK_ERROR(r, u + "retries/budget_percent", "must be 0..100 (got 101)");
  CHECK_ERROR(r, u + "health_check/path", "must start with '/'");
  CHECK_ERROR(r, u + "health_check/healthy_threshold", "must be 1..100 (got 0)");
  CHECK_ERROR(r, u + "health_check/unhealthy_threshold", "must be 1..100 (got 101)");
  CHECK_ERROR(r, u + "circuit_breaker/consecutive_failures", "must be 1..1000 (got 0)");
  CHECK_ERROR(r, u + "circuit_breaker/eject_ms", "must be 1..86400000 (got 0)");
  CHECK_ERROR(r, u + "circuit_breaker/max_ejected_percent", "must be 0..100 (got 101)");
  CHECK_ERROR(r, u + "circuit_breaker/max_pending", "must be 1..1000000 (got 1000001)");
  CHECK_ERROR(r, u + "max_connections_per_target", "must be 1..100000 (got 100001)");
  const std::string v = "/upstreams/1/";
  CHECK_ERROR(r, v + "targets/0/weight", "must be 1..1000 (got 0)");
  CHECK_ERROR(r, v + "targets/1/weight", "must be 1..1000 (got 1001)");
  CHECK_ERROR(r, v + "retries/attempts", "must be 1..10 (got 0)");
  CHECK_ERROR(r, v + "circuit_breaker/consecutive_failures", "must be 1..1000 (got 1001)");
  CHECK_ERROR(r, v + "circuit_breaker/max_pending", "must be 1..1000000 (got 0)");
  CHECK_ERROR(r, v + "max_connections_per_target", "must be 1..100000 (got 0)");
  CHECK_ERROR(r, v + "timeouts/connect_ms", "expected integer");
  CHECK(r.errors.size() == 21);
  CHECK(r.builder.state().upstreams.empty());
}

TEST_CASE("upstreams: health check timeout must be shorter than its interval") {
  LoadResult r = load_with(R"([
    {"name": "a", "targets": [{"address": "127.0.0.1:1"}], "health_check": {"interval_ms": 500, "timeout_ms": 500}},
    {"name": "b", "targets": [{"address": "127.0.0.1:1"}], "health_check": {"interval_ms": 400}},
    {"name": "c", "targets": [{"address": "127.0.0.1:1"}], "health_check": {"interval_ms": 0, "timeout_ms": 9}},
    {"name": "d", "targets": [{"address": "127.0.0.1:1"}], "health_check": {"timeout_ms": 1999}}])",
                           "[]");
  CHECK(r.errors.size() == 3);
  CHECK_ERROR(r, "/upstreams/0/health_check/timeout_ms", "timeout_ms (500) must be less than interval_ms (500)");
  // The default timeout (500) against the given interval, reported at the object.
  CHECK_ERROR(r, "/upstreams/1/health_check", "timeout_ms (500) must be less than interval_ms (400)");
  CHECK_ERROR(r, "/upstreams/2/health_check/interval_ms", "must be 1..");  // and nothing more
  REQUIRE(r.builder.state().upstreams.size() == 1);
  CHECK(r.builder.state().upstreams[0].health_check->timeout_ms == 1999);
}

TEST_CASE("upstreams: balance and hash_on") {
  LoadResult r = load_with(R"([
    {"name": "a", "targets": [{"address": "127.0.0.1:1"}], "balance": "round_robn"},
    {"name": "b", "targets": [{"address": "127.0.0.1:1"}], "balance": "round_robin", "hash_on": "ip"},
    {"name": "c", "targets": [{"address": "127.0.0.1:1"}], "hash_on": "path"},
    {"name": "d", "targets": [{"address": "127.0.0.1:1"}], "balance": "consistent_hash", "hash_on": "ipp"},
    {"name": "e", "targets": [{"address": "127.0.0.1:1"}], "balance": "consistent_hash", "hash_on": "header:"},
    {"name": "f", "targets": [{"address": "127.0.0.1:1"}], "balance": "consistent_hash", "hash_on": "cookie:a b"},
    {"name": "g", "targets": [{"address": "127.0.0.1:1"}], "balance": "least_con", "hash_on": "ip"},
    {"name": "h", "targets": [{"address": "127.0.0.1:1"}], "balance": "consistent_hash", "hash_on": "cookie:Sess"},
    {"name": "i", "targets": [{"address": "127.0.0.1:1"}], "balance": "consistent_hash", "hash_on": "path"},
    {"name": "j", "targets": [{"address": "127.0.0.1:1"}], "balance": 1}])",
                           "[]");
  CHECK_ERROR(r, "/upstreams/0/balance",
              "expected one of \"round_robin\", \"least_conn\", \"peak_ewma\", \"consistent_hash\", \"random\", "
              "got \"round_robn\" (did you mean \"round_robin\"?)");
  CHECK_ERROR(r, "/upstreams/1/hash_on", "hash_on needs balance consistent_hash");
  CHECK_ERROR(r, "/upstreams/2/hash_on", "hash_on needs balance consistent_hash");  // the default round_robin
  CHECK_ERROR(r, "/upstreams/3/hash_on",
              "expected \"ip\", \"path\", \"header:NAME\" or \"cookie:NAME\", got \"ipp\" (did you mean \"ip\"?)");
  CHECK_ERROR(r, "/upstreams/4/hash_on", "got \"header:\"");
  CHECK_ERROR(r, "/upstreams/5/hash_on", "got \"cookie:a b\"");
  CHECK_ERROR(r, "/upstreams/6/balance", "(did you mean \"least_conn\"?)");
  CHECK_FALSE(has_error(r, "/upstreams/6/hash_on", ""));  // the typo in balance is the one error
  CHECK_ERROR(r, "/upstreams/9/balance", "expected string");
  CHECK(r.errors.size() == 8);
  const auto& ups = r.builder.state().upstreams;
  REQUIRE(ups.size() == 2);
  CHECK(ups[0].hash_on.kind == HashOn::Kind::kCookie);
  CHECK(ups[0].hash_on.name == "Sess");  // cookie names keep their case
  CHECK(ups[1].hash_on.kind == HashOn::Kind::kPath);
}

TEST_CASE("upstreams: retry conditions") {
  LoadResult r = load_with("[" + upstream("u", R"("retries": {"on": ["connect_failure", "reset", "500", "599",
    "connect_failur", "rst", "499", "600", "5xx", "5000", 503]})") + "]",
                           "[]");
  const std::string on = "/upstreams/0/retries/on/";
  CHECK_ERROR(r, on + "4", "got \"connect_failur\" (did you mean \"connect_failure\"?)");
  CHECK_ERROR(r, on + "5", "expected \"connect_failure\", \"reset\" or a status code \"500\"..\"599\", got \"rst\"");
  CHECK_ERROR(r, on + "6", "got \"499\"");
  CHECK_ERROR(r, on + "7", "got \"600\"");
  CHECK_ERROR(r, on + "8", "got \"5xx\"");
  CHECK_ERROR(r, on + "9", "got \"5000\"");
  CHECK_ERROR(r, on + "10", "expected string");
  CHECK(r.errors.size() == 7);

  LoadResult none = load_with("[" + upstream("u", R"("retries": {"on": []})") + "]", "[]");
  REQUIRE_MESSAGE(none.ok(), dump(none));
  CHECK(none.builder.state().upstreams[0].retries.on.empty());
}

#if APIGW_WITH_TLS
TEST_CASE("upstreams: tls options reach the builder") {
  LoadResult r = load_with("[" + upstream("users", R"("tls": {"server_name": "users.internal", "ca_file": "ca.pem",
                                                              "cert_file": "/c.pem", "key_file": "/c.key"})") + "]",
                           R"([{"name": "a", "match": {"path": "/"}, "upstream": "users"}])");
  REQUIRE_MESSAGE(r.ok(), dump(r));
  const auto& tls = r.builder.state().upstreams[0].tls;
  REQUIRE(tls.has_value());
  CHECK(tls->server_name == "users.internal");
  CHECK(tls->ca_file.size() > 6);  // resolved against the config's directory
  CHECK(tls->ca_file.substr(tls->ca_file.size() - 6) == "ca.pem");
  CHECK(tls->verify);
  CHECK(tls->cert_file == "/c.pem");
}

TEST_CASE("upstreams: tls mistakes") {
  LoadResult r = load_with("[" + upstream("users", R"("tls": {"cert_file": "/c.pem", "verfy": false})") + "]",
                           R"([{"name": "a", "match": {"path": "/"}, "upstream": "users"}])");
  CHECK_MESSAGE(r.errors.size() == 2, dump(r));
}
#else
TEST_CASE("upstreams: tls is refused by a build without TLS") {
  LoadResult r = load_with("[" + upstream("users", R"("tls": {"server_name": "users.internal"})") + "]",
                           R"([{"name": "a", "match": {"path": "/"}, "upstream": "users"}])");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].to_string() == "/upstreams/0/tls: TLS is not in this build (built with APIGW_WITH_TLS=OFF)");
}
#endif

TEST_CASE("upstreams: an upstream declared but broken is not also unknown on routes") {
  LoadResult r = load_with(R"([{"name": "users", "targets": []}])",
                           R"([{"name": "a", "match": {"path": "/"}, "upstream": "users",
                                "split": [{"upstream": "users", "weight": 1}], "mirror": {"upstream": "users"}}])");
  REQUIRE(r.errors.size() == 1);
  CHECK_ERROR(r, "/upstreams/0/targets", "at least one target");
}

TEST_CASE("upstreams: rewrite") {
  LoadResult r = load_with("[" + upstream("u") + "]", R"([
    {"name": "r0", "match": {"path": "/v1/users/{id}"}, "upstream": "u", "rewrite": {"path": "/users/{idd}"}},
    {"name": "r1", "match": {"path": "/v1/{*rest}"}, "upstream": "u", "rewrite": {"path": "/v2/{rest}/{*rest}/{x}"}},
    {"name": "r2", "match": {"path_prefix": "/p/"}, "upstream": "u", "rewrite": {"path": "/q/{id}"}},
    {"name": "r3", "match": {"path": "/a"}, "respond": {}, "rewrite": {"path": "/b"}},
    {"name": "r4", "match": {"path": "/a/{id}"}, "upstream": "u", "rewrite": {"path": "/b", "strip_prefix": "/a"}},
    {"name": "r5", "match": {"path": "/a"}, "upstream": "u",
     "rewrite": {"path": "b", "host": "a_b", "strp_prefix": "/"}},
    {"name": "r6", "match": {"path": "/a"}, "upstream": "u", "rewrite": {"strip_prefix": "a", "host": "h:0"}},
    {"name": "r7", "match": {"path": "/a"}, "upstream": "u", "rewrite": {"path": "/{x", "host": "*.example.org"}},
    {"name": "r8", "match": {"path": "/a"}, "upstream": "u", "rewrite": {"path": "/x y"}},
    {"name": "r9", "match": {"path": "no-slash/{id}"}, "upstream": "u", "rewrite": {"path": "/{anything}"}},
    {"name": "r10", "match": {"path": "/a"}, "upstream": "u", "rewrite": {"path": "/{}"}},
    {"name": "r11", "match": {"path": "/a/{id}"}, "upstream": "u",
     "rewrite": {"path": "/b/{id}.json", "host": "[::1]:8080"}},
    {"name": "r12", "match": {"path": "/a"}, "upstream": "u", "rewrite": []}])");
  CHECK_ERROR(r, "/routes/0/rewrite/path",
              "unknown parameter \"{idd}\": match.path \"/v1/users/{id}\" has no such parameter (did you mean \"id\"?)");
  CHECK_ERROR(r, "/routes/1/rewrite/path", "unknown parameter \"{x}\"");
  CHECK_FALSE(has_error(r, "/routes/1/rewrite/path", "\"{rest}\""));
  CHECK_ERROR(r, "/routes/2/rewrite/path", "unknown parameter \"{id}\": match.path_prefix has no parameters");
  CHECK_ERROR(r, "/routes/3/rewrite", "needs \"upstream\" on the route");
  CHECK_ERROR(r, "/routes/4/rewrite", "give only one of \"path\", \"strip_prefix\"");
  CHECK_ERROR(r, "/routes/5/rewrite/path", "must start with '/'");
  CHECK_ERROR(r, "/routes/5/rewrite/host", "invalid host \"a_b\"");
  CHECK_ERROR(r, "/routes/5/rewrite/strp_prefix", "(did you mean \"strip_prefix\"?)");
  CHECK_ERROR(r, "/routes/6/rewrite/strip_prefix", "must start with '/'");
  CHECK_ERROR(r, "/routes/6/rewrite/host", "port must be 1..65535");
  CHECK_ERROR(r, "/routes/7/rewrite/path", "unbalanced braces");
  CHECK_ERROR(r, "/routes/7/rewrite/host", "invalid host \"*.example.org\"");
  CHECK_ERROR(r, "/routes/8/rewrite/path", "must not hold spaces");
  CHECK_ERROR(r, "/routes/9/match/path", "path must start with \"/\"");
  CHECK_FALSE(has_error(r, "/routes/9/rewrite/path", ""));  // no second error from a broken match
  CHECK_ERROR(r, "/routes/10/rewrite/path", "empty parameter name");
  CHECK_FALSE(has_error(r, "/routes/11/rewrite", ""));
  CHECK_ERROR(r, "/routes/12/rewrite", "expected object");
  CHECK(r.errors.size() == 16);
  REQUIRE(r.builder.state().routes.size() == 1);
  CHECK(r.builder.state().routes[0].rewrite.path == "/b/{id}.json");
  CHECK(r.builder.state().routes[0].rewrite.host == "[::1]:8080");
}

TEST_CASE("upstreams: split") {
  LoadResult r = load_with("[" + upstream("a") + ", " + upstream("b") + ", " + upstream("c") + "]", R"([
    {"name": "s0", "match": {"path": "/0"}, "upstream": "a",
     "split": [{"upstream": "b", "weight": 60}, {"upstream": "c", "weight": 41}]},
    {"name": "s1", "match": {"path": "/1"}, "upstream": "a",
     "split": [{"upstream": "bb", "weight": 0}, {"weight": 101}, {"upstream": "c"}, {"upstream": "b", "wieght": 1}]},
    {"name": "s2", "match": {"path": "/2"}, "handler": "echo", "split": [{"upstream": "b", "weight": 1}]},
    {"name": "s3", "match": {"path": "/3"}, "upstream": "a", "split": {"upstream": "b", "weight": 1}},
    {"name": "s4", "match": {"path": "/4"}, "upstream": "a",
     "split": [{"upstream": "b", "weight": 50}, {"upstream": "c", "weight": 50}]},
    {"name": "s5", "match": {"path": "/5"}, "upstream": "a", "split": []}])");
  CHECK_ERROR(r, "/routes/0/split", "weights add up to 101, more than 100");
  CHECK_ERROR(r, "/routes/1/split/0/upstream", "unknown upstream \"bb\" (did you mean \"b\"?)");
  CHECK_ERROR(r, "/routes/1/split/0/weight", "must be 1..100 (got 0)");
  CHECK_ERROR(r, "/routes/1/split/1", "missing required key \"upstream\"");
  CHECK_ERROR(r, "/routes/1/split/1/weight", "must be 1..100 (got 101)");
  CHECK_ERROR(r, "/routes/1/split/2", "missing required key \"weight\"");
  CHECK_ERROR(r, "/routes/1/split/3/wieght", "(did you mean \"weight\"?)");
  CHECK_FALSE(has_error(r, "/routes/1/split", "add up"));  // not judged with weights missing
  CHECK_ERROR(r, "/routes/2/split", "needs \"upstream\" on the route");
  CHECK_ERROR(r, "/routes/3/split", "expected array");
  CHECK(r.errors.size() == 10);
  const auto& routes = r.builder.state().routes;
  REQUIRE(routes.size() == 2);
  REQUIRE(routes[0].split.size() == 2);
  CHECK(routes[0].split[1].upstream == "c");
  CHECK(routes[0].split[1].weight == 50);
  CHECK(routes[1].split.empty());
}

TEST_CASE("upstreams: mirror") {
  LoadResult r = load_with("[" + upstream("users") + ", " + upstream("shadow") + "]", R"([
    {"name": "m0", "match": {"path": "/0"}, "upstream": "users", "mirror": {"upstream": "shadw", "percent": 0}},
    {"name": "m1", "match": {"path": "/1"}, "upstream": "users", "mirror": {"percent": 101, "sample": 1}},
    {"name": "m2", "match": {"path": "/2"}, "respond": {}, "mirror": {"upstream": "shadow"}},
    {"name": "m3", "match": {"path": "/3"}, "upstream": "users", "mirror": "shadow"},
    {"name": "m4", "match": {"path": "/4"}, "upstream": "users", "mirror": {"upstream": "shadow", "percent": 1}}])");
  CHECK_ERROR(r, "/routes/0/mirror/upstream", "unknown upstream \"shadw\" (did you mean \"shadow\"?)");
  CHECK_ERROR(r, "/routes/0/mirror/percent", "must be 1..100 (got 0)");
  CHECK_ERROR(r, "/routes/1/mirror", "missing required key \"upstream\"");
  CHECK_ERROR(r, "/routes/1/mirror/percent", "must be 1..100 (got 101)");
  CHECK_ERROR(r, "/routes/1/mirror/sample", "unknown key \"sample\"");
  CHECK_ERROR(r, "/routes/2/mirror", "needs \"upstream\" on the route");
  CHECK_ERROR(r, "/routes/3/mirror", "expected object");
  CHECK(r.errors.size() == 7);
  const auto& routes = r.builder.state().routes;
  REQUIRE(routes.size() == 1);
  REQUIRE(routes[0].mirror.has_value());
  CHECK(routes[0].mirror->upstream == "shadow");
  CHECK(routes[0].mirror->percent == 1);
}

TEST_CASE("upstreams: errors come in a fixed order, whatever the order in the file") {
  const std::string routes = R"([{"name": "a", "match": {"path": "/"}, "upstream": "usres"}])";
  const std::string ups = R"([{"name": "users", "targets": [{"address": "x"}]}])";
  LoadResult first = load(R"({"listeners": [{"address": "127.0.0.1:0"}], "routes": )" + routes +
                          R"(, "upstreams": )" + ups + "}");
  LoadResult second = load(R"({"upstreams": )" + ups + R"(, "routes": )" + routes +
                           R"(, "listeners": [{"address": "127.0.0.1:0"}]})");
  REQUIRE(first.errors.size() == 2);
  REQUIRE(second.errors.size() == 2);
  for (size_t i = 0; i < 2; ++i) CHECK(first.errors[i].to_string() == second.errors[i].to_string());
  CHECK(first.errors[0].pointer == "/upstreams/0/targets/0/address");
  CHECK(first.errors[1].to_string() == R"(/routes/0/upstream: unknown upstream "usres" (did you mean "users"?))");
}

TEST_CASE("upstreams: the SPEC.md section 2 example, but for what this build refuses") {
  // As in SPEC.md, less upstream tls (not in this build) and with hash_on on a
  // consistent_hash pool; the split and mirror pools it names are declared.
  LoadResult r = load(R"({
    "listeners": [{"name": "public", "address": "127.0.0.1:8080"}],
    "upstreams": [
      {"name": "users",
       "targets": [{"address": "127.0.0.1:9001", "weight": 1}],
       "balance": "consistent_hash",
       "hash_on": "header:X-User",
       "timeouts": {"connect_ms": 1000, "response_ms": 15000, "idle_ms": 60000},
       "retries": {"attempts": 2, "on": ["connect_failure", "502", "503", "504"],
                   "backoff_ms": 25, "budget_percent": 20},
       "health_check": {"path": "/healthz", "interval_ms": 2000, "timeout_ms": 500,
                        "healthy_threshold": 2, "unhealthy_threshold": 3},
       "circuit_breaker": {"consecutive_failures": 5, "eject_ms": 10000,
                           "max_ejected_percent": 50, "max_pending": 1024},
       "max_connections_per_target": 256},
      {"name": "users-v2", "targets": [{"address": "127.0.0.1:9002"}]},
      {"name": "shadow", "targets": [{"address": "127.0.0.1:9003"}]}
    ],
    "routes": [
      {"name": "users",
       "match": {"hosts": ["api.example.com", "*.example.org"],
                 "path": "/v1/users/{id}", "methods": ["GET", "PUT"],
                 "headers": {"x-canary": "1"}},
       "upstream": "users",
       "rewrite": {"path": "/users/{id}"},
       "split": [{"upstream": "users-v2", "weight": 5}],
       "mirror": {"upstream": "shadow", "percent": 10},
       "enabled": true}
    ]
  })");
  REQUIRE_MESSAGE(r.ok(), dump(r));
  CHECK(r.builder.state().upstreams.size() == 3);
  CHECK(r.builder.state().routes.size() == 1);
}

TEST_CASE("upstreams: split_on makes a split sticky, and is checked") {
  apigw::config::LoadResult ok = apigw::config::load(R"({
    "listeners": [{"address": "127.0.0.1:0"}],
    "upstreams": [{"name": "a", "targets": [{"address": "127.0.0.1:9001"}]},
                  {"name": "b", "targets": [{"address": "127.0.0.1:9002"}]}],
    "routes": [{"name": "r", "match": {"path": "/"}, "upstream": "a",
                "split": [{"upstream": "b", "weight": 10}], "split_on": "cookie:session"}]})");
  REQUIRE(ok.ok());
  const auto& route = ok.builder.state().routes.at(0);
  REQUIRE(route.split_on.has_value());
  CHECK(route.split_on->kind == apigw::HashOn::Kind::kCookie);
  CHECK(route.split_on->name == "session");
  apigw::config::LoadResult bad = apigw::config::load(R"({
    "listeners": [{"address": "127.0.0.1:0"}],
    "upstreams": [{"name": "a", "targets": [{"address": "127.0.0.1:9001"}]}],
    "routes": [{"name": "r", "match": {"path": "/"}, "upstream": "a", "split_on": "cookies:x"}]})");
  bool wrong_value = false, needs_split = false;
  for (const auto& e : bad.errors) {
    wrong_value = wrong_value || (e.pointer == "/routes/0/split_on" && e.message.find("expected") != std::string::npos);
    needs_split = needs_split || (e.pointer == "/routes/0/split_on" && e.message == "split_on needs a split");
  }
  CHECK(wrong_value);
  CHECK(needs_split);
}
