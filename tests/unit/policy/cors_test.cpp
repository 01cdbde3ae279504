// cors through the in-memory client: preflights, actual requests, origins.
#include <doctest/doctest.h>

#include "apigw/testing.hpp"
#include "policy/builtin.hpp"

namespace {

apigw::testing::Client client_with(apigw::policy::CorsOptions o, std::vector<apigw::PolicyPtr> after = {}) {
  apigw::GatewayBuilder b;
  b.listener({"t", "127.0.0.1:0"});
  b.policy("cors", apigw::policy::make_cors(std::move(o)));
  apigw::RouteOptions r;
  r.name = "r";
  r.match.path = "/u/{id}";
  r.match.methods = {"GET", "PUT"};  // no OPTIONS: preflights still work
  r.policies = {"cors"};
  for (size_t i = 0; i < after.size(); ++i) {
    b.policy("after" + std::to_string(i), after[i]);
    r.policies.push_back("after" + std::to_string(i));
  }
  r.handler = "echo";
  b.route(r);
  apigw::RouteOptions own;  // a target with CORS headers of its own
  own.name = "own";
  own.match.path = "/own";
  own.policies = {"cors"};
  own.respond = apigw::StaticResponse{200, {{"Access-Control-Allow-Origin", "*"},
                                            {"access-control-allow-credentials", "true"}}, "hi"};
  b.route(own);
  apigw::RouteOptions plain;
  plain.name = "plain";
  plain.match.path = "/plain";
  plain.match.methods = {"GET"};
  plain.handler = "echo";
  b.route(plain);
  return apigw::testing::Client::create(b).value();
}

apigw::policy::CorsOptions options() {
  apigw::policy::CorsOptions o;
  o.origins = {"https://app.example.com", "https://*.example.org"};
  o.methods = {"GET", "PUT"};
  o.headers = {"content-type", "x-token"};
  o.expose_headers = {"x-request-id"};
  o.credentials = true;
  o.max_age_s = 600;
  return o;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers preflight(std::string origin, std::string method, std::string headers = "") {
  Headers h = {{"origin", std::move(origin)}, {"access-control-request-method", std::move(method)}};
  if (!headers.empty()) h.emplace_back("access-control-request-headers", std::move(headers));
  return h;
}

}  // namespace

TEST_CASE("cors: a preflight from an allowed origin is answered 204 by the gateway") {
  auto c = client_with(options());
  auto res = c.request("OPTIONS", "/u/1", preflight("https://app.example.com", "PUT", "Content-Type, X-Token"));
  CHECK(res.status == 204);
  CHECK(res.body.empty());
  CHECK(res.header("access-control-allow-origin") == "https://app.example.com");
  CHECK(res.header("access-control-allow-methods") == "GET, PUT");
  CHECK(res.header("access-control-allow-headers") == "content-type, x-token");
  CHECK(res.header("access-control-allow-credentials") == "true");
  CHECK(res.header("access-control-max-age") == "600");
  CHECK(res.header("vary") == "Origin");
  CHECK(res.header("content-type") == "");
}

TEST_CASE("cors: disallowed origins, methods and headers get no CORS headers") {
  auto c = client_with(options());
  // (A method no route serves is the router's 405: see the last test.)
  for (const auto& h : {preflight("https://evil.example.com", "PUT"), preflight("https://app.example.com", "PUT", "x-other"),
                        preflight("http://app.example.com", "GET"), preflight("https://example.org", "GET"),
                        preflight("https://a.example.org.evil.com", "GET")}) {
    auto res = c.request("OPTIONS", "/u/1", h);
    CHECK(res.status == 204);
    CHECK(res.header("access-control-allow-origin") == "");
    CHECK(res.header("access-control-allow-methods") == "");
    CHECK(res.header("vary") == "Origin");
  }
  apigw::policy::CorsOptions get_only = options();
  get_only.methods = {"GET"};
  auto g = client_with(get_only);
  auto put = g.request("OPTIONS", "/u/1", preflight("https://app.example.com", "PUT"));  // the route serves PUT
  CHECK(put.status == 204);
  CHECK(put.header("access-control-allow-origin") == "");
  CHECK(g.request("OPTIONS", "/u/1", preflight("https://app.example.com", "GET")).header(
            "access-control-allow-origin") == "https://app.example.com");

  auto actual = c.get("/u/1", {{"origin", "https://evil.example.com"}});
  CHECK(actual.status == 200);
  CHECK(actual.header("access-control-allow-origin") == "");
  CHECK(actual.header("vary") == "Origin");
}

TEST_CASE("cors: wildcard subdomains match, the bare domain does not") {
  auto c = client_with(options());
  auto res = c.request("OPTIONS", "/u/1", preflight("https://a.b.example.org", "GET"));
  CHECK(res.header("access-control-allow-origin") == "https://a.b.example.org");
  CHECK(c.get("/u/1", {{"origin", "https://x.example.org"}}).header("access-control-allow-origin") ==
        "https://x.example.org");
}

TEST_CASE("cors: actual requests get allow-origin, credentials and expose headers") {
  auto c = client_with(options());
  auto res = c.get("/u/1", {{"origin", "https://app.example.com"}});
  CHECK(res.status == 200);
  CHECK(res.header("access-control-allow-origin") == "https://app.example.com");
  CHECK(res.header("access-control-allow-credentials") == "true");
  CHECK(res.header("access-control-expose-headers") == "x-request-id");
  CHECK(res.header("vary") == "Origin");
  auto none = c.get("/u/1");
  CHECK(none.header("access-control-allow-origin") == "");
  CHECK(none.header("vary") == "Origin");
}

TEST_CASE("cors: any origin without credentials gets a star and headers default to what is asked") {
  apigw::policy::CorsOptions o;
  o.origins = {"*"};
  auto c = client_with(o);
  auto res = c.request("OPTIONS", "/u/1", preflight("https://anything.test", "PUT", "x-custom"));
  CHECK(res.status == 204);
  CHECK(res.header("access-control-allow-origin") == "*");
  CHECK(res.header("access-control-allow-headers") == "x-custom");
  CHECK(res.header("access-control-allow-methods") == "GET, HEAD, POST, PUT, PATCH, DELETE");
  CHECK(res.header("access-control-max-age") == "");
  CHECK(res.header("access-control-allow-credentials") == "");
  CHECK(c.get("/u/1", {{"origin", "https://x.test"}}).header("access-control-allow-origin") == "*");
}

TEST_CASE("cors: a preflight runs only the policies listed before cors and error answers carry CORS headers") {
  apigw::policy::SizeLimitOptions tiny{1};
  auto c = client_with(options(), {apigw::policy::make_size_limit(tiny)});
  auto pre = c.request("OPTIONS", "/u/1", preflight("https://app.example.com", "PUT"));
  CHECK(pre.status == 204);
  auto rejected = c.request("PUT", "/u/1", {{"origin", "https://app.example.com"}}, "too big");
  CHECK(rejected.status == 413);
  CHECK(rejected.header("access-control-allow-origin") == "https://app.example.com");
}

TEST_CASE("cors: routes without cors still answer a preflight with 405 and Allow") {
  auto c = client_with(options());
  auto res = c.request("OPTIONS", "/plain", preflight("https://app.example.com", "GET"));
  CHECK(res.status == 405);
  CHECK(res.header("allow") == "GET, HEAD");
  // A preflight asking for a method no route serves: 405 as well.
  CHECK(c.request("OPTIONS", "/u/1", preflight("https://app.example.com", "DELETE")).status == 405);
  // A plain OPTIONS (no preflight headers) is still 405.
  CHECK(c.request("OPTIONS", "/u/1").status == 405);
}

TEST_CASE("cors: the policy replaces CORS headers the target sets itself") {
  apigw::policy::CorsOptions o = options();
  o.credentials = false;
  auto c = client_with(o);
  auto count = [](const apigw::testing::ClientResponse& res, std::string_view name) {
    int n = 0;
    for (const auto& [k, v] : res.headers) n += apigw::iequals(k, name);
    return n;
  };
  auto evil = c.get("/own", {{"origin", "https://evil.example.com"}});
  CHECK(evil.status == 200);
  CHECK(count(evil, "access-control-allow-origin") == 0);
  CHECK(count(evil, "access-control-allow-credentials") == 0);
  auto app = c.get("/own", {{"origin", "https://app.example.com"}});
  CHECK(count(app, "access-control-allow-origin") == 1);
  CHECK(app.header("access-control-allow-origin") == "https://app.example.com");
  CHECK(count(app, "access-control-allow-credentials") == 0);
}
