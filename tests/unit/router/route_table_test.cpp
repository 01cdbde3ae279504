#include "router/route_table.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "apigw/arena.hpp"
#include "apigw/headers.hpp"

using apigw::Arena;
using apigw::Code;
using apigw::HeaderMap;
using apigw::router::Match;
using apigw::router::MatchParams;
using apigw::router::RouteSpec;
using apigw::router::RouteTable;
using apigw::router::validate_pattern;

namespace {

RouteSpec route(std::string path, std::vector<std::string> methods = {},
                std::vector<std::string> hosts = {}) {
  RouteSpec s;
  s.path = std::move(path);
  s.methods = std::move(methods);
  s.hosts = std::move(hosts);
  return s;
}

RouteSpec prefix(std::string path, std::vector<std::string> methods = {}) {
  RouteSpec s = route(std::move(path), std::move(methods));
  s.is_prefix = true;
  return s;
}

RouteTable make(const std::vector<RouteSpec>& specs) {
  auto r = RouteTable::build(specs);
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::move(r).value();
}

Match get(const RouteTable& t, std::string_view path, std::string_view method = "GET",
          std::string_view host = "example.com") {
  Arena arena;
  HeaderMap headers(arena);
  return t.match(host, method, path, headers);
}

// Route index when found, -1 for 404, -2 for 405.
int which(const RouteTable& t, std::string_view path, std::string_view method = "GET",
          std::string_view host = "example.com") {
  Match m = get(t, path, method, host);
  if (m.kind == Match::Kind::kNotFound) return -1;
  if (m.kind == Match::Kind::kMethodNotAllowed) return -2;
  return static_cast<int>(m.route);
}

std::string param(const Match& m, std::string_view name) {
  for (size_t i = 0; i < m.params.size; ++i)
    if (m.params.items[i].name == name) return std::string(m.params.items[i].value);
  return "<absent>";
}

std::string build_error(const std::vector<RouteSpec>& specs) {
  auto r = RouteTable::build(specs);
  if (r.is_ok()) return "<ok>";
  CHECK(r.status().code() == Code::kInvalidArgument);
  return std::string(r.status().message());
}

std::string pattern_error(std::string_view pattern) {
  auto s = validate_pattern(pattern);
  if (s.is_ok()) return "<ok>";
  CHECK(s.code() == Code::kInvalidArgument);
  return std::string(s.message());
}

}  // namespace

TEST_CASE("router: exact path") {
  auto t = make({route("/hello"), route("/")});
  CHECK(t.size() == 2);
  CHECK(which(t, "/hello") == 0);
  CHECK(get(t, "/hello").params.size == 0);
  CHECK(which(t, "/") == 1);
  CHECK(which(t, "/hello/") == -1);  // strict trailing slash
  CHECK(which(t, "/hell") == -1);
  CHECK(which(t, "/hello/x") == -1);
  CHECK(which(t, "/Hello") == -1);  // case-sensitive
}

TEST_CASE("router: param extraction") {
  auto t = make({route("/v1/users/{id}/posts/{post_id}")});
  Match m = get(t, "/v1/users/42/posts/abc");
  REQUIRE(m.kind == Match::Kind::kFound);
  REQUIRE(m.params.size == 2);
  CHECK(m.params.items[0].name == "id");
  CHECK(m.params.items[0].value == "42");
  CHECK(m.params.items[1].name == "post_id");
  CHECK(m.params.items[1].value == "abc");
  CHECK(which(t, "/v1/users/42/posts") == -1);
  CHECK(which(t, "/v1/users/42/posts/abc/x") == -1);
}

TEST_CASE("router: param does not match an empty segment") {
  auto t = make({route("/u/{id}"), route("/u/{id}/x")});
  CHECK(which(t, "/u/") == -1);
  CHECK(which(t, "/u//x") == -1);
  CHECK(which(t, "/u/7/x") == 1);
}

TEST_CASE("router: params are views into the path and the table") {
  auto t = make({route("/f/{name}/{*rest}")});
  std::string path = "/f/file/a/b";
  Arena arena;
  HeaderMap headers(arena);
  Match m = t.match("h", "GET", path, headers);
  REQUIRE(m.params.size == 2);
  CHECK(m.params.items[0].value.data() == path.data() + 3);
  CHECK(m.params.items[1].value.data() == path.data() + 8);
  // Names stay valid after the table moves.
  RouteTable moved = std::move(t);
  CHECK(m.params.items[0].name == "name");
  CHECK(m.params.items[1].name == "rest");
  CHECK(moved.size() == 1);
}

TEST_CASE("router: catch-all") {
  auto t = make({route("/echo/{*rest}"), route("/{*all}")});
  Match m = get(t, "/echo/a/b");
  REQUIRE(m.kind == Match::Kind::kFound);
  CHECK(m.route == 0);
  CHECK(param(m, "rest") == "a/b");
  CHECK(param(get(t, "/echo/"), "rest") == "");
  CHECK(get(t, "/echo/").route == 0);
  // "/echo" without the slash matches with an empty rest.
  m = get(t, "/echo");
  CHECK(m.route == 0);
  CHECK(m.params.size == 1);
  CHECK(param(m, "rest") == "");
  CHECK(param(get(t, "/echo//x/"), "rest") == "/x/");
  // Not on a segment boundary: falls to the root catch-all.
  m = get(t, "/echox");
  CHECK(m.route == 1);
  CHECK(param(m, "all") == "echox");
  CHECK(param(get(t, "/"), "all") == "");
}

TEST_CASE("router: prefix is a plain string prefix") {
  auto t = make({prefix("/api")});
  CHECK(which(t, "/api") == 0);
  CHECK(which(t, "/api/") == 0);
  CHECK(which(t, "/api/v1/x") == 0);
  CHECK(which(t, "/apix") == 0);  // like nginx `location /api`
  CHECK(which(t, "/ap") == -1);
  CHECK(which(t, "/other") == -1);
  CHECK(get(t, "/api/x").params.size == 0);
  // A prefix has no parameters: braces are plain characters.
  auto b = make({prefix("/a/{id}")});
  CHECK(which(b, "/a/{id}/x") == 0);
  CHECK(which(b, "/a/7") == -1);
}

TEST_CASE("router: literal beats param") {
  // Either order: specificity, not position.
  auto t = make({route("/u/{id}"), route("/u/me")});
  CHECK(which(t, "/u/me") == 1);
  CHECK(which(t, "/u/you") == 0);
  auto t2 = make({route("/u/me"), route("/u/{id}")});
  CHECK(which(t2, "/u/me") == 0);
  CHECK(which(t2, "/u/you") == 1);
}

TEST_CASE("router: param beats catch-all") {
  auto t = make({route("/u/{*rest}"), route("/u/{id}")});
  CHECK(which(t, "/u/7") == 1);
  CHECK(which(t, "/u/7/x") == 0);
  CHECK(which(t, "/u/") == 0);  // empty segment: no param, catch-all with ""
}

TEST_CASE("router: literal beats catch-all") {
  auto t = make({route("/s/{*rest}"), route("/s/index.html")});
  CHECK(which(t, "/s/index.html") == 1);
  CHECK(which(t, "/s/other.html") == 0);
}

TEST_CASE("router: segments compare from the left") {
  // Segment 1 decides: literal "a" beats {x}, even though the other route has
  // more literals later on.
  auto t = make({route("/{x}/b/c"), route("/a/{y}/{z}")});
  CHECK(which(t, "/a/b/c") == 1);
  CHECK(which(t, "/q/b/c") == 0);
  auto t2 = make({route("/{x}/b/c"), route("/a/{*rest}")});
  CHECK(which(t2, "/a/b/c") == 1);
  // Backtracking: the literal branch dead-ends, the param branch matches.
  auto t3 = make({route("/a/b/c"), route("/{x}/b/d")});
  CHECK(which(t3, "/a/b/d") == 1);
  CHECK(param(get(t3, "/a/b/d"), "x") == "a");
}

TEST_CASE("router: exact path beats catch-all on the same node") {
  auto t = make({route("/echo/{*rest}"), route("/echo")});
  CHECK(which(t, "/echo") == 1);
  CHECK(which(t, "/echo/") == 0);
}

TEST_CASE("router: longer catch-all beats shorter") {
  auto t = make({route("/a/{*r}"), route("/a/b/{*r}")});
  CHECK(which(t, "/a/b/c") == 1);
  CHECK(param(get(t, "/a/b/c"), "r") == "c");
  CHECK(which(t, "/a/b") == 1);
  CHECK(which(t, "/a/c") == 0);
}

TEST_CASE("router: exact or pattern path beats prefix") {
  auto t = make({prefix("/api/users/"), route("/api/{*rest}"), prefix("/")});
  CHECK(which(t, "/api/users/1") == 1);
  CHECK(which(t, "/other") == 2);
}

TEST_CASE("router: longer prefix beats shorter") {
  auto t = make({prefix("/"), prefix("/api"), prefix("/api/v2")});
  CHECK(which(t, "/api/v2/x") == 2);
  CHECK(which(t, "/api/v1/x") == 1);
  CHECK(which(t, "/web") == 0);
}

TEST_CASE("router: earlier route wins ties") {
  auto t = make({route("/u/{id}"), route("/u/{name}"), route("/same"), route("/same")});
  Match m = get(t, "/u/7");
  CHECK(m.route == 0);
  CHECK(param(m, "id") == "7");
  CHECK(param(m, "name") == "<absent>");
  CHECK(which(t, "/same") == 2);
  auto p = make({prefix("/api"), prefix("/api")});
  CHECK(which(p, "/api/x") == 0);
  // The earlier route loses the tie only when its filters reject the request.
  auto m2 = make({route("/u/{id}", {"POST"}), route("/u/{name}", {"GET"})});
  m = get(m2, "/u/7");
  CHECK(m.route == 1);
  CHECK(param(m, "name") == "7");
}

TEST_CASE("router: exact host beats wildcard beats any host") {
  auto t = make({route("/x"), route("/x", {}, {"*.example.org"}), route("/x", {}, {"a.example.org"})});
  CHECK(which(t, "/x", "GET", "a.example.org") == 2);
  CHECK(which(t, "/x", "GET", "b.example.org") == 1);
  CHECK(which(t, "/x", "GET", "example.org") == 0);
  CHECK(which(t, "/x", "GET", "other.com") == 0);
  CHECK(which(t, "/x", "GET", "") == 0);
  // Host class beats path specificity: an any-host literal loses to an exact-host param.
  auto t2 = make({route("/u/me"), route("/u/{id}", {}, {"api.com"})});
  CHECK(which(t2, "/u/me", "GET", "api.com") == 1);
  CHECK(which(t2, "/u/me", "GET", "web.com") == 0);
}

TEST_CASE("router: wildcard host depth") {
  auto t = make({route("/", {}, {"*.example.org"}), route("/", {}, {"*.b.example.org"})});
  CHECK(which(t, "/", "GET", "a.example.org") == 0);
  CHECK(which(t, "/", "GET", "a.c.example.org") == 0);
  CHECK(which(t, "/", "GET", "x.b.example.org") == 1);  // longer suffix is more specific
  CHECK(which(t, "/", "GET", "y.x.b.example.org") == 1);
  CHECK(which(t, "/", "GET", "b.example.org") == 0);
  CHECK(which(t, "/", "GET", "example.org") == -1);  // the bare domain is not a subdomain
  CHECK(which(t, "/", "GET", "badexample.org") == -1);
  CHECK(which(t, "/", "GET", ".example.org") == -1);  // an empty label is not a subdomain
  CHECK(which(t, "/", "GET", "example.org.evil") == -1);
}

TEST_CASE("router: hosts are case-insensitive in the config and '*' means any") {
  auto t = make({route("/a", {}, {"API.Example.COM"}), route("/b", {}, {"*"})});
  CHECK(which(t, "/a", "GET", "api.example.com") == 0);
  CHECK(which(t, "/b", "GET", "anything") == 1);
}

TEST_CASE("router: host falls back to less specific groups") {
  auto t = make({route("/a", {}, {"api.com"}), route("/b", {}, {"*.com"}), route("/c"),
                 route("/m", {"POST"}, {"api.com"}), route("/m", {"GET"})});
  CHECK(which(t, "/a", "GET", "api.com") == 0);
  CHECK(which(t, "/b", "GET", "api.com") == 1);
  CHECK(which(t, "/c", "GET", "api.com") == 2);
  // The exact host group matches the path but not the method: fall back.
  CHECK(which(t, "/m", "GET", "api.com") == 4);
  CHECK(which(t, "/a", "GET", "web.com") == -1);
}

TEST_CASE("router: method 405 with a sorted unique Allow") {
  auto t = make({route("/x", {"PUT", "GET"}), route("/x", {"POST", "GET", "PUT"}),
                 route("/{p}", {"DELETE"}), prefix("/x", {"OPTIONS"}), route("/y", {"GET"})});
  Match m = get(t, "/x", "PATCH");
  CHECK(m.kind == Match::Kind::kMethodNotAllowed);
  CHECK(m.allow == "DELETE, GET, HEAD, OPTIONS, POST, PUT");
  CHECK(which(t, "/x", "DELETE") == 2);  // falls through to a less specific route
  CHECK(which(t, "/x", "OPTIONS") == 3);
  m = get(t, "/zz", "GET");
  CHECK(m.kind == Match::Kind::kMethodNotAllowed);
  CHECK(m.allow == "DELETE");
  CHECK(get(t, "/y", "GET").allow.empty());
  CHECK(which(t, "/nope/x", "GET") == -1);
}

TEST_CASE("router: method falls through to a less specific route") {
  auto t = make({route("/u/me", {"GET"}), route("/u/{id}", {"DELETE"}), route("/u/{*r}")});
  CHECK(which(t, "/u/me", "GET") == 0);
  CHECK(which(t, "/u/me", "DELETE") == 1);
  CHECK(which(t, "/u/me", "PUT") == 2);
}

TEST_CASE("router: HEAD is allowed where GET is") {
  auto t = make({route("/g", {"GET"}), route("/h", {"HEAD"}), route("/p", {"POST"})});
  CHECK(which(t, "/g", "HEAD") == 0);
  CHECK(which(t, "/h", "HEAD") == 1);
  CHECK(which(t, "/h", "GET") == -2);  // not the other way round
  CHECK(get(t, "/h", "GET").allow == "HEAD");
  CHECK(which(t, "/p", "HEAD") == -2);
  CHECK(get(t, "/g", "POST").allow == "GET, HEAD");
}

TEST_CASE("router: methods are case-sensitive") {
  auto t = make({route("/x", {"GET"})});
  CHECK(which(t, "/x", "get") == -2);
}

TEST_CASE("router: 405 uses the best host class that matched the path") {
  auto t = make({route("/x", {"GET"}), route("/x", {"PUT"}, {"*.example.com"}),
                 route("/x", {"POST"}, {"api.example.com"})});
  Match m = get(t, "/x", "DELETE", "api.example.com");
  CHECK(m.kind == Match::Kind::kMethodNotAllowed);
  CHECK(m.allow == "POST");
  CHECK(get(t, "/x", "DELETE", "web.example.com").allow == "PUT");
  CHECK(get(t, "/x", "DELETE", "other.org").allow == "GET, HEAD");
  // A better host class that lacks the path does not hide a worse one.
  auto t2 = make({route("/y", {"GET"}), route("/z", {"PUT"}, {"api.example.com"})});
  CHECK(get(t2, "/y", "DELETE", "api.example.com").allow == "GET, HEAD");
}

TEST_CASE("router: header matchers filter candidates") {
  RouteSpec canary = route("/x");
  canary.headers = {{"X-Canary", "1"}};
  auto t = make({canary, route("/x", {"POST"})});
  Arena arena;
  HeaderMap h(arena);
  h.add("x-canary", "1");
  CHECK(t.match("h", "GET", "/x", h).route == 0);  // name is case-insensitive
  HeaderMap wrong(arena);
  wrong.add("X-CANARY", "2");
  wrong.add("x-canary", "1 ");
  // Not a candidate: the remaining route only allows POST, so 405 without GET.
  Match m = t.match("h", "GET", "/x", wrong);
  CHECK(m.kind == Match::Kind::kMethodNotAllowed);
  CHECK(m.allow == "POST");
  HeaderMap several(arena);
  several.add("x-canary", "0");
  several.add("x-canary", "1");  // any field with the name may carry the value
  CHECK(t.match("h", "GET", "/x", several).route == 0);

  // A route with unmatched headers alone gives 404, not 405.
  RouteSpec only = route("/only", {"GET"});
  only.headers = {{"x-a", "1"}};
  auto t2 = make({only});
  HeaderMap none(arena);
  CHECK(t2.match("h", "PUT", "/only", none).kind == Match::Kind::kNotFound);
  CHECK(t2.match("h", "GET", "/only", none).kind == Match::Kind::kNotFound);
}

TEST_CASE("router: more header matchers is not more specific") {
  RouteSpec one = route("/x");
  one.headers = {{"a", "1"}};
  RouteSpec two = route("/x");
  two.headers = {{"a", "1"}, {"b", "2"}};
  auto t = make({one, two});
  Arena arena;
  HeaderMap h(arena);
  h.add("a", "1");
  h.add("b", "2");
  CHECK(t.match("h", "GET", "/x", h).route == 0);
  auto t2 = make({two, one});
  CHECK(t2.match("h", "GET", "/x", h).route == 0);
  HeaderMap only_a(arena);
  only_a.add("a", "1");
  CHECK(t2.match("h", "GET", "/x", only_a).route == 1);
}

TEST_CASE("router: 404 when nothing matches") {
  auto t = make({route("/a"), route("/b/{id}"), prefix("/c/"), route("/h", {}, {"h.com"})});
  CHECK(which(t, "/z") == -1);
  CHECK(which(t, "/b") == -1);
  CHECK(which(t, "/c") == -1);
  CHECK(which(t, "/h", "GET", "other.com") == -1);
  CHECK(which(t, "") == -1);
  CHECK(which(t, "*", "OPTIONS") == -1);
  CHECK(which(t, "a") == -1);
  CHECK(get(t, "/z").allow.empty());
  auto empty = make({});
  CHECK(empty.size() == 0);
  CHECK(which(empty, "/") == -1);
  RouteTable def;
  CHECK(which(def, "/") == -1);
}

TEST_CASE("router: invalid patterns") {
  CHECK(pattern_error("/a/{id}") == "<ok>");
  CHECK(pattern_error("/a/{*rest}") == "<ok>");
  CHECK(pattern_error("/") == "<ok>");
  CHECK(pattern_error("/a//b/") == "<ok>");
  CHECK(pattern_error("") == "path must start with \"/\"");
  CHECK(pattern_error("a/b") == "path must start with \"/\"");
  CHECK(pattern_error("/a/{}").find("empty parameter name") == 0);
  CHECK(pattern_error("/a/{*}").find("empty parameter name") == 0);
  CHECK(pattern_error("/a/{id").find("unbalanced braces") == 0);
  CHECK(pattern_error("/a/id}").find("unbalanced braces") == 0);
  CHECK(pattern_error("/a/}id{").find("unbalanced braces") == 0);
  CHECK(pattern_error("/a/{{id}}").find("unbalanced braces") == 0);
  CHECK(pattern_error("/a/{i/d}").find("unbalanced braces") == 0);
  CHECK(pattern_error("/a{id}") == "\"a{id}\": a parameter must be a whole segment");
  CHECK(pattern_error("/a/{id}.json") == "\"{id}.json\": a parameter must be a whole segment");
  CHECK(pattern_error("/{*rest}/x") == "\"{*rest}\" must be the last segment");
  CHECK(pattern_error("/{*rest}/") == "\"{*rest}\" must be the last segment");
  CHECK(pattern_error("/{id}/{id}") == "duplicate parameter \"id\"");
  CHECK(pattern_error("/{id}/{*id}") == "duplicate parameter \"id\"");
  CHECK(pattern_error("/{a b}").find("parameter names use") != std::string::npos);

  CHECK(build_error({route("/ok"), route("/{*rest}/x")}) ==
        "route 1: \"{*rest}\" must be the last segment");
  CHECK(build_error({route("nope")}) == "route 0: path must start with \"/\"");
  CHECK(build_error({prefix("api")}) == "route 0: path_prefix must start with \"/\"");
  CHECK(build_error({route("/", {}, {"a.*.com"})}) == "route 0: invalid host \"a.*.com\"");
  CHECK(build_error({route("/", {}, {""})}) == "route 0: invalid host \"\"");
  CHECK(build_error({route("/", {}, {"*."})}) == "route 0: invalid wildcard host \"*.\"");
  CHECK(build_error({route("/", {""})}) == "route 0: empty method");
}

TEST_CASE("router: many params") {
  std::string pattern, path;
  for (int i = 0; i < 15; ++i) {
    pattern += "/{p" + std::to_string(i) + "}";
    path += "/v" + std::to_string(i);
  }
  auto t = make({route(pattern + "/{*rest}")});
  path += "/tail/end";  // outlives the match: values are views into it
  Match m = get(t, path);
  REQUIRE(m.kind == Match::Kind::kFound);
  REQUIRE(m.params.size == MatchParams::kMaxParams);
  for (int i = 0; i < 15; ++i) CHECK(param(m, "p" + std::to_string(i)) == "v" + std::to_string(i));
  CHECK(param(m, "rest") == "tail/end");

  CHECK(pattern_error(pattern + "/{a}") == "<ok>");  // exactly 16
  CHECK(pattern_error(pattern + "/{a}/{b}") == "more than 16 parameters");
  CHECK(pattern_error(pattern + "/{a}/{*b}") == "more than 16 parameters");
  CHECK(build_error({route(pattern + "/{a}/{b}")}) == "route 0: more than 16 parameters");
}

TEST_CASE("router: 10,000 routes still match correctly") {
  std::vector<RouteSpec> specs;
  for (int i = 0; i < 2500; ++i) {
    std::string n = std::to_string(i);
    specs.push_back(route("/svc" + n + "/items"));                       // 4i
    specs.push_back(route("/svc" + n + "/items/{id}", {"GET", "PUT"}));  // 4i+1
    specs.push_back(route("/svc" + n + "/files/{*path}", {}, {"h" + n + ".example.com"}));  // 4i+2
    specs.push_back(prefix("/static" + n + "/"));                        // 4i+3
  }
  specs.push_back(route("/svc7/items/special"));  // 10000
  specs.push_back(route("/{*any}", {}, {"*.example.com"}));  // 10001
  auto t = make(specs);
  CHECK(t.size() == 10002);
  for (int i : {0, 1, 7, 42, 999, 1234, 2499}) {
    std::string n = std::to_string(i);
    CHECK(which(t, "/svc" + n + "/items") == 4 * i);
    std::string item = "/svc" + n + "/items/x" + n, file = "/svc" + n + "/files/a/b";
    Match m = get(t, item);
    CHECK(m.route == static_cast<uint32_t>(4 * i + 1));
    CHECK(param(m, "id") == "x" + n);
    CHECK(which(t, "/svc" + n + "/items/1", "DELETE") == -2);
    m = get(t, file, "GET", "h" + n + ".example.com");
    CHECK(m.route == static_cast<uint32_t>(4 * i + 2));
    CHECK(param(m, "path") == "a/b");
    // Another host: the wildcard catch-all.
    CHECK(which(t, "/svc" + n + "/files/a/b", "GET", "zz.example.com") == 10001);
    CHECK(which(t, "/svc" + n + "/files/a/b", "GET", "other.org") == -1);
    CHECK(which(t, "/static" + n + "/css/x.css") == 4 * i + 3);
  }
  CHECK(which(t, "/svc7/items/special") == 10000);
  CHECK(which(t, "/svc2500/items") == -1);
  CHECK(which(t, "/static2500/x") == -1);
}
