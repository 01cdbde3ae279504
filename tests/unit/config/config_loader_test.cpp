// The JSON config front end: what it puts in the builder, and every error it
// reports with the exact JSON pointer of the value at fault.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

#include "config/config_loader.hpp"
#include "unit/config/config_errors.hpp"
#include "core/builder_state.hpp"

namespace {

using apigw::config::LoadResult;
using apigw::test::dump;
using apigw::test::has_error;


LoadResult load(std::string_view json) { return apigw::config::load(json, "."); }

// A temporary directory, removed (with its files) at scope exit.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/apigw-config-test-XXXXXX";
    path = mkdtemp(tmpl) ? tmpl : "/tmp";
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string write(const std::string& name, const std::string& content) const {
    std::string file = path + "/" + name;
    std::ofstream(file) << content;
    return file;
  }
};

const char* const kFullConfig = R"({
  "workers": 4,
  "listeners": [
    {"name": "public", "address": "127.0.0.1:8080"},
    {"address": "[::1]:0"}
  ],
  "limits": {"max_header_bytes": 8192, "max_headers": 50, "max_uri_bytes": 4096,
             "max_body_bytes": 1048576, "header_timeout_ms": 5000, "body_timeout_ms": 6000,
             "idle_timeout_ms": 7000, "max_connections": 500, "drain_timeout_ms": 0},
  "admin": {"address": "0.0.0.0:9901", "token": "s3cret"},
  "policies": [
    {"name": "rid", "type": "request_id", "header": "X-Req-Id", "trust_incoming": false},
    {"name": "per-ip", "type": "rate_limit", "key": "header:X-User", "limit": 10, "window_ms": 1000,
     "burst": 5, "store": "local", "on_store_error": "deny", "headers": "ietf"}
  ],
  "routes": [
    {"name": "hello",
     "match": {"hosts": ["API.Example.com", "*.Example.org"], "path": "/hello/{who}",
               "methods": ["get", "Put"], "headers": {"x-canary": "1"}},
     "policies": ["rid", {"type": "headers", "request": {"set": {"x-gateway": "apigw"}, "remove": ["cookie"]},
                          "response": {"rename": {"x-a": "x-b"}, "add": {"x-c": "d"}}}, "per-ip"],
     "respond": {"status": 201, "headers": {"content-type": "text/plain"}, "body": "hi {who}\n"}},
    {"name": "echo", "match": {"path_prefix": "/echo/"}, "handler": "echo", "enabled": false}
  ]
})";

}  // namespace

TEST_CASE("config: a full valid config fills the builder") {
  LoadResult r = load(kFullConfig);
  REQUIRE_MESSAGE(r.ok(), dump(r));
  const auto& s = r.builder.state();
  CHECK(s.workers == 4);
  CHECK(s.limits.max_header_bytes == 8192);
  CHECK(s.limits.max_headers == 50);
  CHECK(s.limits.max_uri_bytes == 4096);
  CHECK(s.limits.max_body_bytes == 1048576);
  CHECK(s.limits.header_timeout_ms == 5000);
  CHECK(s.limits.body_timeout_ms == 6000);
  CHECK(s.limits.idle_timeout_ms == 7000);
  CHECK(s.limits.max_connections == 500);
  CHECK(s.limits.drain_timeout_ms == 0);

  REQUIRE(s.listeners.size() == 2);
  CHECK(s.listeners[0].name == "public");
  CHECK(s.listeners[0].address == "127.0.0.1:8080");
  CHECK(s.listeners[1].name == "listener-1");
  CHECK(s.listeners[1].address == "[::1]:0");
  CHECK(s.admin.address == "0.0.0.0:9901");
  CHECK(s.admin.token == "s3cret");

  REQUIRE(s.routes.size() == 2);
  const auto& hello = s.routes[0];
  CHECK(hello.name == "hello");
  CHECK(hello.match.hosts == std::vector<std::string>{"api.example.com", "*.example.org"});
  CHECK(hello.match.path == "/hello/{who}");
  CHECK(hello.match.methods == std::vector<std::string>{"GET", "PUT"});
  REQUIRE(hello.match.headers.size() == 1);
  CHECK(hello.match.headers[0].first == "x-canary");
  REQUIRE(hello.respond.has_value());
  CHECK(hello.respond->status == 201);
  CHECK(hello.respond->body == "hi {who}\n");
  REQUIRE(hello.respond->headers.size() == 1);
  CHECK(hello.respond->headers[0].second == "text/plain");
  CHECK(hello.policies == std::vector<std::string>{"rid", "routes/0/policies/1", "per-ip"});
  CHECK(hello.enabled);

  const auto& echo = s.routes[1];
  CHECK(echo.match.path_prefix == "/echo/");
  CHECK(echo.handler == "echo");
  CHECK_FALSE(echo.respond.has_value());
  CHECK_FALSE(echo.enabled);

  CHECK(s.policies.size() == 3);
  CHECK(s.policies.count("rid") == 1);
  CHECK(s.policies.count("per-ip") == 1);
  CHECK(s.policies.count("routes/0/policies/1") == 1);
  CHECK(r.builder.validate().is_ok());
}

TEST_CASE("config: defaults apply to what the file leaves out") {
  LoadResult r = load(R"({"listeners": [{"address": "127.0.0.1:0"}]})");
  REQUIRE_MESSAGE(r.ok(), dump(r));
  const auto& s = r.builder.state();
  CHECK(s.workers == 1);
  CHECK(s.limits.max_headers == apigw::Limits{}.max_headers);
  CHECK(s.admin.address.empty());
  CHECK(s.routes.empty());
}

TEST_CASE("config: unknown keys are errors with a suggestion") {
  LoadResult r = load(R"({"listeners": [{"address": "127.0.0.1:0", "adress": "x"}],
                          "rotues": [], "zzzzzz": 1,
                          "limits": {"max_header": 100}})");
  CHECK(r.errors.size() == 4);
  CHECK_ERROR(r, "/rotues", "unknown key \"rotues\" (did you mean \"routes\"?)");
  CHECK_ERROR(r, "/listeners/0/adress", "unknown key \"adress\" (did you mean \"address\"?)");
  CHECK_ERROR(r, "/limits/max_header", "(did you mean \"max_headers\"?)");
  CHECK_ERROR(r, "/zzzzzz", "unknown key \"zzzzzz\"");
  CHECK_FALSE(has_error(r, "/zzzzzz", "did you mean"));
}

TEST_CASE("config: several errors are reported at once") {
  LoadResult r = load(R"({
    "workers": 0,
    "listeners": [{"address": "127.0.0.1:8080"}],
    "limits": {"max_headers": 0, "idle_timeout_ms": -5},
    "routes": [{"name": "a", "match": {"path": "no-slash"}, "respond": {"status": 99}}]
  })");
  CHECK(r.errors.size() == 5);
  CHECK_ERROR(r, "/workers", "must be 1..256 (got 0)");
  CHECK_ERROR(r, "/limits/max_headers", "must be 1..10000 (got 0)");
  CHECK_ERROR(r, "/limits/idle_timeout_ms", "(got -5)");
  CHECK_ERROR(r, "/routes/0/match/path", "path must start with \"/\"");
  CHECK_ERROR(r, "/routes/0/respond/status", "must be 100..599");
}

TEST_CASE("config: wrong JSON types name the expected type") {
  LoadResult r = load(R"({
    "workers": "2",
    "listeners": {"address": "127.0.0.1:1"},
    "limits": {"max_body_bytes": 1.5},
    "routes": [{"name": 7, "match": {"path": "/", "methods": "GET", "hosts": ["a", 1]},
                "handler": "echo", "enabled": "yes"}],
    "admin": []
  })");
  CHECK_ERROR(r, "/workers", "expected integer");
  CHECK_ERROR(r, "/listeners", "expected array");
  CHECK_ERROR(r, "/limits/max_body_bytes", "expected integer");
  CHECK_ERROR(r, "/routes/0/name", "expected string");
  CHECK_ERROR(r, "/routes/0/match/methods", "expected array of strings");
  CHECK_ERROR(r, "/routes/0/match/hosts/1", "expected string");
  CHECK_ERROR(r, "/routes/0/enabled", "expected boolean");
  CHECK_ERROR(r, "/admin", "expected object");
}

TEST_CASE("config: missing required keys are reported at their object") {
  LoadResult r = load(R"({"listeners": [{"name": "x"}],
                          "routes": [{"match": {"path": "/"}}, {"name": "b", "handler": "echo"}],
                          "policies": [{"type": "request_id"}, {"name": "rl", "type": "rate_limit"}]})");
  CHECK_ERROR(r, "/listeners/0", "missing required key \"address\"");
  CHECK_ERROR(r, "/routes/0", "missing required key \"name\"");
  CHECK_ERROR(r, "/routes/0", "needs a target");
  CHECK_ERROR(r, "/routes/1", "missing required key \"match\"");
  CHECK_ERROR(r, "/policies/0", "missing required key \"name\"");
  CHECK_ERROR(r, "/policies/1", "missing required key \"limit\"");
  CHECK_ERROR(r, "/policies/1", "missing required key \"window_ms\"");

  LoadResult none = load("{}");
  CHECK_ERROR(none, "", "missing required key \"listeners\"");
}

TEST_CASE("config: route match needs exactly one of path and path_prefix") {
  LoadResult r = load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "routes": [{"name": "a", "match": {}, "handler": "echo"},
               {"name": "b", "match": {"path": "/x", "path_prefix": "/y"}, "handler": "echo"},
               {"name": "c", "match": {"path_prefix": "y"}, "handler": "echo"},
               {"name": "d", "match": {"path": "/", "methods": ["GE T"], "hosts": ["*", "a..b", "x:80"]},
                "respond": {}, "handler": "echo"}]})");
  CHECK_ERROR(r, "/routes/0/match", "needs exactly one of \"path\", \"path_prefix\"");
  CHECK_ERROR(r, "/routes/1/match", "needs exactly one of");
  CHECK_ERROR(r, "/routes/2/match/path_prefix", "must start with '/'");
  CHECK_ERROR(r, "/routes/3/match/methods/0", "not a valid method");
  CHECK_ERROR(r, "/routes/3/match/hosts/0", "leave \"hosts\" out");
  CHECK_ERROR(r, "/routes/3/match/hosts/1", "empty label");
  CHECK_ERROR(r, "/routes/3/match/hosts/2", "port");
  CHECK_ERROR(r, "/routes/3", "has more than one target");
}

TEST_CASE("config: duplicate names and keys") {
  LoadResult r = load(R"({"listeners": [{"name": "a", "address": "127.0.0.1:1"},
                                        {"name": "a", "address": "127.0.0.1:2"}],
    "policies": [{"name": "p", "type": "request_id"}, {"name": "p", "type": "request_id"}],
    "routes": [{"name": "r", "match": {"path": "/"}, "handler": "echo"},
               {"name": "r", "match": {"path": "/2"}, "handler": "echo", "handler": "echo"}]})");
  CHECK_ERROR(r, "/listeners/1/name", "duplicate listener name \"a\"");
  CHECK_ERROR(r, "/policies/1/name", "duplicate policy name \"p\"");
  CHECK_ERROR(r, "/routes/1/name", "duplicate route name \"r\"");
  CHECK_ERROR(r, "/routes/1/handler", "duplicate key \"handler\"");

  LoadResult addresses = load(R"({"listeners": [{"address": "127.0.0.1:80"}, {"address": "127.0.0.1:80"},
                                                {"address": "127.0.0.1:0"}, {"address": "127.0.0.1:0"}],
                                 "admin": {"address": "127.0.0.1:80"}})");
  CHECK(addresses.errors.size() == 2);
  CHECK_ERROR(addresses, "/listeners/1/address", "already used by another listener");
  CHECK_ERROR(addresses, "/admin/address", "already used by another listener");
}

TEST_CASE("config: a route naming an unknown policy gets a suggestion") {
  LoadResult r = load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "policies": [{"name": "per-consumer", "type": "rate_limit", "key": "ip", "limit": 1, "window_ms": 1}],
    "routes": [{"name": "a", "match": {"path": "/"}, "handler": "echo",
                "policies": ["per-consumer", "per-consumr", "nothing-like-it", 5]}]})");
  CHECK(r.errors.size() == 3);
  CHECK_ERROR(r, "/routes/0/policies/1", "unknown policy \"per-consumr\" (did you mean \"per-consumer\"?)");
  CHECK_ERROR(r, "/routes/0/policies/2", "unknown policy \"nothing-like-it\"");
  CHECK_ERROR(r, "/routes/0/policies/3", "expected a policy name or a policy object");
}

TEST_CASE("config: a broken policy is not also reported as unknown where it is used") {
  LoadResult r = load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "policies": [{"name": "rl", "type": "rate_limit", "key": "ipp", "limit": 0, "window_ms": 1}],
    "routes": [{"name": "a", "match": {"path": "/"}, "handler": "echo", "policies": ["rl"]}]})");
  CHECK(r.errors.size() == 2);
  CHECK_ERROR(r, "/policies/0/key", "(did you mean \"ip\"?)");
  CHECK_ERROR(r, "/policies/0/limit", "must be 1..");
}

TEST_CASE("config: inline policies are built, named and checked") {
  LoadResult ok = load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "routes": [{"name": "a", "match": {"path": "/"}, "handler": "echo",
                "policies": [{"type": "request_id", "echo_in_response": false}]}]})");
  REQUIRE_MESSAGE(ok.ok(), dump(ok));
  CHECK(ok.builder.state().policies.count("routes/0/policies/0") == 1);
  CHECK(ok.builder.state().routes[0].policies == std::vector<std::string>{"routes/0/policies/0"});

  LoadResult bad = load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "routes": [{"name": "a", "match": {"path": "/"}, "handler": "echo",
                "policies": [{"type": "headers", "request": {"set": {"bad name": "v"}, "remov": []}},
                             {"type": "rate_limt"}, {"limit": 1}]}]})");
  CHECK_ERROR(bad, "/routes/0/policies/0/request/set/bad name", "not a valid header name");
  CHECK_ERROR(bad, "/routes/0/policies/0/request/remov", "(did you mean \"remove\"?)");
  CHECK_ERROR(bad, "/routes/0/policies/1/type", "unknown policy type \"rate_limt\" (did you mean \"rate_limit\"?)");
  CHECK_ERROR(bad, "/routes/0/policies/2", "missing required key \"type\"");
}

TEST_CASE("config: every section of SPEC.md is read, and what a build leaves out is refused, not ignored") {
  LoadResult r = load(R"({
    "listeners": [{"address": "127.0.0.1:0", "tls": {"certificates": []}}],
    "upstreams": [{"name": "users", "targets": [{"address": "127.0.0.1:9001"}],
                   "tls": {"server_name": "users.internal"}}],
    "consumers": [], "config_source": {},
    "policies": [{"name": "c", "type": "cahce", "ttl_ms": 1}],
    "routes": [{"name": "u", "match": {"path": "/"}, "upstream": "users",
                "rewrite": {"path": "/"}, "split": [], "mirror": {"upstream": "users"}}]
  })");
  // Upstream pools and their TLS have landed (upstreams_test.cpp).
  CHECK_FALSE(has_error(r, "/upstreams", ""));
#if APIGW_WITH_TLS
  CHECK_FALSE(has_error(r, "/upstreams/0/tls", ""));
#else
  CHECK_ERROR(r, "/upstreams/0/tls", "TLS is not in this build");
#endif
  CHECK_FALSE(has_error(r, "/consumers", ""));  // landed with api_key (access_config_test.cpp)
#ifdef APIGW_WITH_REDIS
  CHECK_FALSE(has_error(r, "/config_source", "not in this build"));  // config_source_test.cpp
#else
  CHECK_ERROR(r, "/config_source", "Redis is not in this build");
#endif
#if APIGW_WITH_TLS
  CHECK_ERROR(r, "/listeners/0/tls/certificates", "at least one certificate is needed");
#else
  CHECK_ERROR(r, "/listeners/0/tls", "TLS is not in this build (built with APIGW_WITH_TLS=OFF)");
#endif
  CHECK_ERROR(r, "/policies/0/type", "unknown policy type \"cahce\" (did you mean \"cache\"?)");
  CHECK_FALSE(has_error(r, "/policies/0/ttl_ms", ""));  // an unknown type's options are not judged
  // A broken upstream is not also reported as unknown where routes name it.
  CHECK_FALSE(has_error(r, "/routes/0/upstream", ""));
  CHECK_FALSE(has_error(r, "/routes/0/rewrite", ""));
  CHECK_FALSE(has_error(r, "/routes/0/split", ""));
  CHECK_FALSE(has_error(r, "/routes/0/mirror", ""));
  CHECK_FALSE(has_error(r, "/routes/0", "target"));  // upstream alone is one target
}

TEST_CASE("config: listen addresses are IP:PORT or [IPv6]:PORT") {
  LoadResult r = load(R"({"listeners": [
    {"address": "localhost:80"}, {"address": "127.0.0.1"}, {"address": "127.0.0.1:65536"},
    {"address": "[::1]"}, {"address": "::1:80"}, {"address": "1.2.3.4:8x"}, {"address": "[::1]:443"},
    {"address": "0.0.0.0:0"}]})");
  CHECK(r.errors.size() == 6);
  CHECK_ERROR(r, "/listeners/0/address", "host names are not resolved");
  CHECK_ERROR(r, "/listeners/1/address", "expected IP:PORT or [IPv6]:PORT");
  CHECK_ERROR(r, "/listeners/2/address", "port must be 0..65535");
  CHECK_ERROR(r, "/listeners/3/address", "expected IP:PORT");
  CHECK_ERROR(r, "/listeners/4/address", "expected IP:PORT");
  CHECK_ERROR(r, "/listeners/5/address", "port 0..65535");

  LoadResult empty = load(R"({"listeners": []})");
  CHECK_ERROR(empty, "/listeners", "at least one listener");
}

TEST_CASE("config: admin token from the environment") {
  const char* json = R"({"listeners": [{"address": "127.0.0.1:0"}],
                         "admin": {"address": "0.0.0.0:9901", "token_env": "APIGW_TEST_ADMIN_TOKEN"}})";
  unsetenv("APIGW_TEST_ADMIN_TOKEN");
  LoadResult missing = load(json);
  CHECK(missing.errors.size() == 1);
  CHECK_ERROR(missing, "/admin/token_env", "environment variable \"APIGW_TEST_ADMIN_TOKEN\" is not set or empty");

  setenv("APIGW_TEST_ADMIN_TOKEN", "", 1);
  CHECK_ERROR(load(json), "/admin/token_env", "is not set or empty");

  setenv("APIGW_TEST_ADMIN_TOKEN", "from-env", 1);
  LoadResult ok = load(json);
  REQUIRE_MESSAGE(ok.ok(), dump(ok));
  CHECK(ok.builder.state().admin.token == "from-env");
  unsetenv("APIGW_TEST_ADMIN_TOKEN");
}

TEST_CASE("config: admin needs a token off loopback, and one source of it") {
  LoadResult open = load(R"({"listeners": [{"address": "127.0.0.1:0"}], "admin": {"address": "0.0.0.0:9901"}})");
  CHECK_ERROR(open, "/admin/address", "non-loopback admin address needs a token");
  LoadResult local = load(R"({"listeners": [{"address": "127.0.0.1:0"}], "admin": {"address": "127.0.0.1:9901"}})");
  CHECK_MESSAGE(local.ok(), dump(local));
  LoadResult two = load(R"({"listeners": [{"address": "127.0.0.1:0"}],
                            "admin": {"address": "127.0.0.1:9901", "token": "a", "token_env": "B"}})");
  CHECK_ERROR(two, "/admin", "give only one of \"token\", \"token_env\", \"token_file\"");
}

TEST_CASE("config: admin token from a file relative to the config file") {
  TempDir dir;
  dir.write("token.txt", "file-token\n");
  std::string config = dir.write("apigw.json", R"({"listeners": [{"address": "127.0.0.1:0"}],
                        "admin": {"address": "127.0.0.1:9901", "token_file": "token.txt"}})");
  LoadResult ok = apigw::config::load_file(config);
  REQUIRE_MESSAGE(ok.ok(), dump(ok));
  CHECK(ok.builder.state().admin.token == "file-token");

  LoadResult missing = load(R"({"listeners": [{"address": "127.0.0.1:0"}],
                          "admin": {"address": "127.0.0.1:9901", "token_file": "/nonexistent/apigw-token"}})");
  CHECK_ERROR(missing, "/admin/token_file", "cannot read \"/nonexistent/apigw-token\": No such file or directory");
}

TEST_CASE("config: load_file reports an unreadable file") {
  LoadResult r = apigw::config::load_file("/nonexistent/apigw.json");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].pointer == "");
  CHECK(r.errors[0].message.find("/nonexistent/apigw.json") != std::string::npos);
  CHECK(r.errors[0].message.find("No such file or directory") != std::string::npos);
}

TEST_CASE("config: handlers are checked when the caller names the known ones") {
  const char* json = R"({"listeners": [{"address": "127.0.0.1:0"}],
    "routes": [{"name": "a", "match": {"path": "/a"}, "handler": "ecoh"},
               {"name": "b", "match": {"path": "/b"}, "handler": "users"},
               {"name": "c", "match": {"path": "/c"}, "handler": "echo"}]})";
  CHECK_MESSAGE(apigw::config::load(json, ".").ok(), "any handler name is accepted by default");
  LoadResult r = apigw::config::load(json, ".", {"user"});
  CHECK(r.errors.size() == 2);
  CHECK_ERROR(r, "/routes/0/handler", "unknown handler \"ecoh\" (did you mean \"echo\"?)");
  CHECK_ERROR(r, "/routes/1/handler", "unknown handler \"users\" (did you mean \"user\"?)");
}

TEST_CASE("config: respond headers that would break framing are refused") {
  LoadResult r = load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "routes": [{"name": "a", "match": {"path": "/"},
                "respond": {"headers": {"Content-Length": "5", "x-a": "b\r\nc"}, "bdy": ""}}]})");
  CHECK_ERROR(r, "/routes/0/respond/headers/Content-Length", "set by the gateway");
  CHECK_ERROR(r, "/routes/0/respond/headers/x-a", "control characters");
  CHECK_ERROR(r, "/routes/0/respond/bdy", "(did you mean \"body\"?)");
}

TEST_CASE("config: pointers escape '~' and '/' in keys (RFC 6901)") {
  LoadResult r = load(R"({"listeners": [{"address": "127.0.0.1:0"}], "a/b~c": 1})");
  CHECK_ERROR(r, "/a~1b~0c", "unknown key \"a/b~c\"");
}

TEST_CASE("config: invalid JSON is one error for the whole document") {
  LoadResult r = load(R"({"listeners": [)");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].pointer == "");
  CHECK(r.errors[0].message.find("invalid JSON") != std::string::npos);

  LoadResult trailing = load(R"({"listeners": []} x)");
  REQUIRE(trailing.errors.size() == 1);
  CHECK(trailing.errors[0].pointer == "");

  LoadResult array = load("[1, 2]");
  REQUIRE(array.errors.size() == 1);
  CHECK_ERROR(array, "", "expected object");
}

TEST_CASE("config: an empty document is an error") {
  for (const char* json : {"", "   \n"}) {
    LoadResult r = load(json);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].pointer == "");
    CHECK(r.errors[0].message.find("empty document") != std::string::npos);
  }
}

TEST_CASE("config: deeply nested garbage is an error, not a crash") {
  std::string deep(100000, '[');
  LoadResult r = load(deep);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].pointer == "");

  std::string nested = R"({"listeners": [{"address": "127.0.0.1:0"}], "routes": [{"name": "a", "match": )";
  for (int i = 0; i < 500; ++i) nested += R"({"path": )";
  nested += "1";
  for (int i = 0; i < 500; ++i) nested += "}";
  nested += "}]}";
  LoadResult n = load(nested);
  CHECK_FALSE(n.ok());
  CHECK_ERROR(n, "/routes/0/match/path", "expected string");
}

TEST_CASE("config: hosts may name policies they register themselves") {
  const char* json = R"({"listeners": [{"address": "127.0.0.1:0"}],
    "routes": [{"name": "a", "match": {"path": "/"}, "handler": "echo", "policies": ["host-auth"]}]})";
  CHECK_FALSE(apigw::config::load(json).ok());
  LoadResult r = apigw::config::load_with_host_policies(json);
  CHECK(r.ok());
  // Left for the builder: it refuses the route until the host registers the policy.
  CHECK_FALSE(r.builder.validate().is_ok());
  r.builder.policy("host-auth", std::make_shared<apigw::PassThroughPolicy>());
  CHECK(r.builder.validate().is_ok());
}
