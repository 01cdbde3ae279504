// json_body's JSON options: a working policy from config, and the errors.
#include <doctest/doctest.h>

#include <string>

#include "apigw/testing.hpp"
#include "config/config_loader.hpp"
#include "unit/config/config_errors.hpp"

namespace {

apigw::config::LoadResult load_policy(const std::string& policy) {
  return apigw::config::load(R"({"listeners": [{"address": "127.0.0.1:0"}],
    "policies": [)" + policy + R"(],
    "routes": [{"name": "a", "match": {"path": "/a"}, "handler": "echo", "policies": ["jb"]}]})");
}

}  // namespace

TEST_CASE("config: json_body with request pointers rewrites what the handler gets") {
  auto r = load_policy(R"({"name": "jb", "type": "json_body", "request": {"mask": ["/a~1b", "/items/*/card"],
                            "remove": ["/x"]}, "max_body_bytes": 4096, "on_overflow": "reject",
                            "content_types": ["Application/JSON"]})");
  REQUIRE_MESSAGE(r.ok(), apigw::test::dump(r));
  auto c = apigw::testing::Client::create(r.builder).value();
  auto res = c.request("POST", "/a", {{"content-type", "application/json"}},
                       R"({"a/b": 1, "x": 2, "items": [{"card": 3}]})");
  CHECK(res.status == 200);
  CHECK(res.body.find(R"({\"a/b\": \"***\", \"items\": [{\"card\": \"***\"}]})") != std::string::npos);
}

TEST_CASE("config: json_body errors point at the option at fault") {
  auto r = load_policy(R"({"name": "jb", "type": "json_body",
                            "response": {"mask": ["/ok", "no-slash", ""], "remove": ["/a~2"], "mask_all": true},
                            "request": {"remove": "/x"},
                            "max_body_bytes": 0, "on_overflow": "drop", "content_types": ["json", "text/x json"]})");
  CHECK_ERROR(r, "/policies/0/response/mask/1", "starts with \"/\"");
  CHECK_ERROR(r, "/policies/0/response/mask/2", "whole document");
  CHECK_ERROR(r, "/policies/0/response/remove/0", "\"~\" must be followed by 0");
  CHECK_ERROR(r, "/policies/0/response/mask_all", "unknown key");
  CHECK_ERROR(r, "/policies/0/request/remove", "expected array of strings");
  CHECK_ERROR(r, "/policies/0/max_body_bytes", "must be 1..1073741824");
  CHECK_ERROR(r, "/policies/0/on_overflow", "expected one of \"pass\", \"reject\"");
  CHECK_ERROR(r, "/policies/0/content_types/0", "is not a media type");
  CHECK_ERROR(r, "/policies/0/content_types/1", "is not a media type");
}

TEST_CASE("config: json_body needs a pointer and knows its keys") {
  auto none = load_policy(R"({"name": "jb", "type": "json_body", "response": {"mask": []}})");
  CHECK_ERROR(none, "/policies/0", "needs pointers to remove or mask");
  auto typo = load_policy(R"({"name": "jb", "type": "json_body", "response": {"mask": ["/a"]}, "on_overflw": "pass"})");
  CHECK_ERROR(typo, "/policies/0/on_overflw", "did you mean \"on_overflow\"");
  auto empty_types = load_policy(R"({"name": "jb", "type": "json_body", "response": {"mask": ["/a"]}, "content_types": []})");
  CHECK_ERROR(empty_types, "/policies/0/content_types", "must not be empty");
}
