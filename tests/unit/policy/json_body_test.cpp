// json_body through the in-memory client: answers of a handler, request
// bodies as the echo handler sees them, content types, overflow, validators.
#include <doctest/doctest.h>

#include <string>

#include "apigw/exchange.hpp"
#include "apigw/testing.hpp"
#include "policy/builtin.hpp"

namespace {

using apigw::policy::JsonBodyOptions;

apigw::policy::JsonPointer pointer(std::string_view text) {
  apigw::policy::JsonPointer p;
  REQUIRE(apigw::policy::parse_json_pointer(text, &p).empty());
  return p;
}

// The answer the "answer" handler gives: a body, its content type and more headers.
struct Answer {
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

apigw::testing::Client client_with(JsonBodyOptions o, std::shared_ptr<Answer> answer) {
  apigw::GatewayBuilder b;
  b.listener({"t", "127.0.0.1:0"});
  b.policy("jb", apigw::policy::make_json_body(std::move(o)));
  b.handler("answer", [answer](apigw::Exchange& ex) {
    for (const auto& [name, value] : answer->headers) ex.response().headers.set(name, value);
    return ex.respond(200, answer->body, answer->content_type);
  });
  apigw::RouteOptions r;
  r.name = "answer";
  r.match.path = "/answer";
  r.policies = {"jb"};
  r.handler = "answer";
  b.route(r);
  apigw::RouteOptions e;
  e.name = "echo";
  e.match.path = "/echo";
  e.policies = {"jb"};
  e.handler = "echo";
  b.route(e);
  return apigw::testing::Client::create(b).value();
}

JsonBodyOptions masking_card() {
  JsonBodyOptions o;
  o.response.mask = {pointer("/card")};
  o.response.remove = {pointer("/internal")};
  return o;
}

}  // namespace

TEST_CASE("json_body: masks and removes in a JSON answer, with its new length and no ETag") {
  auto answer = std::make_shared<Answer>();
  answer->body = R"({"card": "4111 1111", "internal": {"x": 1}, "ok": true})";
  answer->headers = {{"etag", "\"v1\""}, {"content-md5", "abc"}, {"x-keep", "1"}};
  auto c = client_with(masking_card(), answer);
  auto res = c.get("/answer");
  CHECK(res.status == 200);
  CHECK(res.body == R"({"card": "***", "ok": true})");
  CHECK(res.header("content-length") == std::to_string(res.body.size()));
  CHECK(res.header("etag") == "");
  CHECK(res.header("content-md5") == "");
  CHECK(res.header("x-keep") == "1");
}

TEST_CASE("json_body: +json types are JSON, other types and compressed bodies pass untouched") {
  auto answer = std::make_shared<Answer>();
  answer->body = R"({"card": 1})";
  answer->headers = {{"etag", "\"v1\""}};
  auto c = client_with(masking_card(), answer);
  answer->content_type = "Application/Problem+JSON; charset=utf-8";
  CHECK(c.get("/answer").body == R"({"card": "***"})");
  for (std::string type : {"text/plain", "application/jsonx", "+json", "application/x-ndjson"}) {
    answer->content_type = type;
    auto res = c.get("/answer");
    CHECK_MESSAGE(res.body == R"({"card": 1})", type);
    CHECK(res.header("etag") == "\"v1\"");
  }
  answer->content_type = "application/json";
  answer->headers = {{"content-encoding", "gzip"}};
  CHECK(c.get("/answer").body == R"({"card": 1})");
}

TEST_CASE("json_body: content_types replaces the JSON default") {
  auto answer = std::make_shared<Answer>();
  answer->body = R"({"card": 1})";
  JsonBodyOptions o = masking_card();
  o.content_types = {"text/x-json"};
  auto c = client_with(o, answer);
  answer->content_type = "text/x-json";
  CHECK(c.get("/answer").body == R"({"card": "***"})");
  answer->content_type = "application/json";
  CHECK(c.get("/answer").body == R"({"card": 1})");
}

TEST_CASE("json_body: malformed JSON and answers that match nothing pass unchanged") {
  auto answer = std::make_shared<Answer>();
  answer->headers = {{"etag", "\"v1\""}};
  auto c = client_with(masking_card(), answer);
  answer->body = R"({"card": 1,)";
  auto bad = c.get("/answer");
  CHECK(bad.status == 200);
  CHECK(bad.body == R"({"card": 1,)");
  answer->body = R"({"other": 1})";
  auto untouched = c.get("/answer");
  CHECK(untouched.body == R"({"other": 1})");
  CHECK(untouched.header("etag") == "\"v1\"");  // unchanged bodies keep their validators
}

TEST_CASE("json_body: an answer over max_body_bytes passes, or is refused with 502 under reject") {
  auto answer = std::make_shared<Answer>();
  answer->body = R"({"card": "1234567890"})";
  JsonBodyOptions o = masking_card();
  o.max_body_bytes = 10;
  auto pass = client_with(o, answer);
  CHECK(pass.get("/answer").body == answer->body);
  o.on_overflow = JsonBodyOptions::OnOverflow::kReject;
  auto reject = client_with(o, answer);
  auto res = reject.get("/answer");
  CHECK(res.status == 502);
  CHECK(res.body.find("upstream_body_too_large") != std::string::npos);
}

TEST_CASE("json_body: request bodies are rewritten before the target sees them") {
  JsonBodyOptions o;
  o.request.mask = {pointer("/password")};
  o.request.remove = {pointer("/debug")};
  auto c = client_with(o, std::make_shared<Answer>());
  auto res = c.request("POST", "/echo", {{"content-type", "application/json"}, {"digest", "sha-256=x"}},
                       R"({"user": "ada", "password": "hunter2", "debug": [1]})");
  CHECK(res.status == 200);
  CHECK(res.body.find("hunter2") == std::string::npos);
  CHECK(res.body.find("debug") == std::string::npos);
  CHECK(res.body.find(R"(\"password\": \"***\")") != std::string::npos);
  CHECK(res.body.find("sha-256") == std::string::npos);
  // The echoed Content-Length is the new body's.
  CHECK(res.body.find(R"(["content-length","34"])") != std::string::npos);
  auto text = c.request("POST", "/echo", {{"content-type", "text/plain"}}, R"({"password": "hunter2"})");
  CHECK(text.body.find("hunter2") != std::string::npos);
}

TEST_CASE("json_body: a request body over max_body_bytes passes, or gets 413 under reject") {
  JsonBodyOptions o;
  o.request.mask = {pointer("/password")};
  o.max_body_bytes = 16;
  const std::string body = R"({"password": "hunter2"})";
  auto pass = client_with(o, std::make_shared<Answer>());
  CHECK(pass.request("POST", "/echo", {{"content-type", "application/json"}}, body).body.find("hunter2") !=
        std::string::npos);
  o.on_overflow = JsonBodyOptions::OnOverflow::kReject;
  auto reject = client_with(o, std::make_shared<Answer>());
  CHECK(reject.request("POST", "/echo", {{"content-type", "application/json"}}, body).status == 413);
  // Only JSON bodies are held to the cap.
  CHECK(reject.request("POST", "/echo", {{"content-type", "text/plain"}}, body).status == 200);
}
