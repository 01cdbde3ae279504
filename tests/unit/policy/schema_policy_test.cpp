// The schema policy through the in-memory client: valid bodies reach the
// handler, invalid ones get 400 with the pointer, and the Content-Type rule.
#include <doctest/doctest.h>

#include "apigw/testing.hpp"
#include "policy/builtin.hpp"
#include "policy/json_schema.hpp"
#include "policy/media_type.hpp"

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
const Headers kJson = {{"content-type", "application/json"}};

std::shared_ptr<const apigw::policy::JsonSchema> schema(std::string_view text) {
  std::vector<apigw::policy::JsonSchema::Error> errors;
  auto s = apigw::policy::JsonSchema::compile(text, 64, &errors);
  REQUIRE(s);
  return s;
}

apigw::testing::Client client_with(apigw::policy::SchemaOptions o) {
  apigw::GatewayBuilder b;
  b.listener({"t", "127.0.0.1:0"});
  b.policy("schema", apigw::policy::make_schema(std::move(o)));
  apigw::RouteOptions r;
  r.name = "orders";
  r.match.path = "/orders";
  r.policies = {"schema"};
  r.handler = "echo";
  b.route(r);
  return apigw::testing::Client::create(b).value();
}

const char* const kOrder = R"({"type": "object", "required": ["items"], "properties": {"items": {"type": "array",
    "items": {"type": "object", "properties": {"price": {"type": "number", "minimum": 0}}}}}})";

bool has(const std::string& body, const std::string& part) { return body.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("schema policy: a valid body passes unchanged, an invalid one is 400 naming the pointer") {
  auto c = client_with({schema(kOrder)});
  const std::string body = R"({"items": [{"price": 1.5}]})";
  auto ok = c.request("POST", "/orders", kJson, body);
  CHECK(ok.status == 200);
  CHECK(has(ok.body, "\"body\":\"{\\\"items\\\": [{\\\"price\\\": 1.5}]}\""));  // echoed as sent
  auto bad = c.request("POST", "/orders", kJson, R"({"items": [{"price": 1}, {}, {"price": -2}]})");
  CHECK(bad.status == 400);
  CHECK(bad.header("content-type").rfind("application/json", 0) == 0);
  CHECK(has(bad.body, "\"code\":\"schema_violation\""));
  CHECK(has(bad.body, "\"message\":\"/items/2/price: must be >= 0\""));
}

TEST_CASE("schema policy: malformed JSON is 400 invalid_json, an empty body 400 when the schema needs one") {
  auto c = client_with({schema(kOrder)});
  auto bad = c.request("POST", "/orders", kJson, R"({"items": [)");
  CHECK(bad.status == 400);
  CHECK(has(bad.body, "\"code\":\"invalid_json\""));
  auto empty = c.request("POST", "/orders", kJson, "");
  CHECK(empty.status == 400);
  CHECK(has(empty.body, "request body is required"));
  CHECK(c.get("/orders").status == 400);  // no body and no Content-Type
  // A schema that accepts anything lets a bodiless request through.
  CHECK(client_with({schema("true")}).get("/orders").status == 200);
}

TEST_CASE("schema policy: a Content-Type not listed is 400, as Kong's request-validator answers") {
  auto c = client_with({schema(kOrder)});
  const std::string body = R"({"items": []})";
  auto text = c.request("POST", "/orders", {{"content-type", "text/plain"}}, body);
  CHECK(text.status == 400);
  CHECK(has(text.body, "\"code\":\"content_type_not_allowed\""));
  CHECK(c.request("POST", "/orders", {}, body).status == 400);
  CHECK(c.request("POST", "/orders", {{"content-type", "Application/JSON"}}, body).status == 200);
  // A listed type without parameters allows any parameters.
  CHECK(c.request("POST", "/orders", {{"content-type", "application/json; charset=utf-8"}}, body).status == 200);
  auto lenient = client_with({schema(kOrder), {"application/json", "application/json; charset=utf-8", "application/*+json"}});
  CHECK(lenient.request("POST", "/orders", {{"content-type", "application/json;charset=UTF-8"}}, body).status == 200);
  CHECK(lenient.request("POST", "/orders", {{"content-type", "application/merge-patch+json"}}, body).status == 400);
  auto any = client_with({schema(kOrder), {"*/*"}});
  CHECK(any.request("POST", "/orders", {{"content-type", "text/plain"}}, body).status == 200);
}

TEST_CASE("schema policy: a chunked body is validated once complete") {
  auto c = client_with({schema(kOrder)});
  std::string ok = c.raw("POST /orders HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                         "transfer-encoding: chunked\r\n\r\n6\r\n{\"item\r\n9\r\ns\": [{}]}\r\n0\r\n\r\n");
  CHECK(apigw::testing::Client::parse(ok).status == 200);
  std::string bad = c.raw("POST /orders HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                          "transfer-encoding: chunked\r\n\r\n6\r\n{\"item\r\n6\r\ns\": 1}\r\n0\r\n\r\n");
  auto res = apigw::testing::Client::parse(bad);
  CHECK(res.status == 400);
  CHECK(has(res.body, "/items: expected array, got integer"));
}

TEST_CASE("media_type: parsing and Kong's strict matching") {
  using apigw::policy::MediaType;
  auto allows = [](std::string_view allowed, std::string_view got) {
    MediaType a, g;
    REQUIRE(apigw::policy::parse_media_type(allowed, &a));
    return apigw::policy::parse_media_type(got, &g) && apigw::policy::media_type_allows(a, g);
  };
  CHECK(allows("application/json", "application/json"));
  CHECK(allows("application/json", " APPLICATION/Json "));
  CHECK(allows("application/json", "application/json; charset=utf-8"));
  CHECK_FALSE(allows("application/json; charset=utf-8", "application/json"));
  CHECK(allows("application/json; charset=utf-8", "application/json;charset=\"UTF-8\""));
  CHECK_FALSE(allows("application/json; charset=utf-8", "application/json; charset=latin1"));
  CHECK_FALSE(allows("application/json; v=A", "application/json; v=a"));  // other values are case-sensitive
  CHECK(allows("application/*", "application/xml"));
  CHECK_FALSE(allows("application/json", "application/jsonx"));
  CHECK_FALSE(allows("application/json", "application"));
  CHECK_FALSE(allows("application/json", ""));
  MediaType m;
  CHECK_FALSE(apigw::policy::parse_media_type("application/json; charset", &m));
  CHECK_FALSE(apigw::policy::parse_media_type("a/b; x=\"unterminated", &m));
  CHECK_FALSE(apigw::policy::parse_media_type("a b/c", &m));
}
