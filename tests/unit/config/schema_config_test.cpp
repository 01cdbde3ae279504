// The schema policy from the JSON config: inline schemas and schema files,
// content_types and max_depth, and every error at its JSON pointer.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "apigw/testing.hpp"
#include "config/config_loader.hpp"
#include "unit/config/config_errors.hpp"

namespace {

using apigw::config::LoadResult;
using apigw::test::dump;
using apigw::test::has_error;

std::string config(std::string policies) {
  return R"({"listeners": [{"address": "127.0.0.1:0"}], "policies": )" + policies +
         R"(, "routes": [{"name": "r", "match": {"path": "/orders"}, "policies": ["s"], "handler": "echo"}]})";
}

}  // namespace

TEST_CASE("config: schema with an inline schema validates bodies") {
  LoadResult r = apigw::config::load(config(R"([{"name": "s", "type": "schema", "max_depth": 8,
      "content_types": ["application/json", "application/json; charset=utf-8"],
      "schema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "order",
                 "type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}}])"));
  REQUIRE_MESSAGE(r.ok(), dump(r));
  auto c = apigw::testing::Client::create(r.builder).value();
  CHECK(c.request("POST", "/orders", {{"content-type", "application/json; charset=utf-8"}}, R"({"id": 1})").status == 200);
  auto bad = c.request("POST", "/orders", {{"content-type", "application/json"}}, R"({"id": "x"})");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("/id: expected integer, got string") != std::string::npos);
  auto deep = c.request("POST", "/orders", {{"content-type", "application/json"}}, "[[[[[[[[[1]]]]]]]]]");
  CHECK(deep.status == 400);
  CHECK(deep.body.find("invalid_json") != std::string::npos);
}

TEST_CASE("config: schema errors in the inline schema carry the config's JSON pointers") {
  LoadResult r = apigw::config::load(config(R"([{"name": "s", "type": "schema",
      "schema": {"type": "object", "properties": {"price": {"type": "number", "minimun": 0}}, "oneOf": []},
      "content_types": ["application/json", "json"], "max_depth": 0, "schema_fiel": "x"}])"));
  CHECK_FALSE(r.ok());
  CHECK_ERROR(r, "/policies/0/schema/properties/price/minimun", "unknown keyword \"minimun\" (did you mean \"minimum\"?)");
  CHECK_ERROR(r, "/policies/0/schema/oneOf", "keyword \"oneOf\" is not supported");
  CHECK_ERROR(r, "/policies/0/content_types/1", "\"json\" is not a media type");
  CHECK_ERROR(r, "/policies/0/max_depth", "must be 1..1024");
  CHECK_ERROR(r, "/policies/0/schema_fiel", "unknown key \"schema_fiel\" (did you mean \"schema_file\"?)");
}

TEST_CASE("config: schema needs exactly one of schema and schema_file") {
  LoadResult none = apigw::config::load(config(R"([{"name": "s", "type": "schema"}])"));
  CHECK_ERROR(none, "/policies/0", "missing required key \"schema\" (or \"schema_file\")");
  LoadResult both = apigw::config::load(config(R"([{"name": "s", "type": "schema", "schema": {}, "schema_file": "a.json"}])"));
  CHECK_ERROR(both, "/policies/0", "give only one of \"schema\" and \"schema_file\"");
  LoadResult empty = apigw::config::load(config(R"([{"name": "s", "type": "schema", "schema": true, "content_types": []}])"));
  CHECK_ERROR(empty, "/policies/0/content_types", "expected at least one media type");
  LoadResult wrong = apigw::config::load(config(R"([{"name": "s", "type": "schema", "schema": [1]}])"));
  CHECK_ERROR(wrong, "/policies/0/schema", "expected a schema");
}

TEST_CASE("config: schema_file is read relative to the config file and its errors name the file") {
  char dir_template[] = "/tmp/apigw-schema-XXXXXX";
  REQUIRE(::mkdtemp(dir_template));
  const std::string dir = dir_template;
  std::ofstream(dir + "/order.json") << R"({"type": "object", "required": ["id"]})";
  std::ofstream(dir + "/broken.json") << R"({"properties": {"id": {"tpye": "string"}}})";
  LoadResult r = apigw::config::load(config(R"([{"name": "s", "type": "schema", "schema_file": "order.json"}])"), dir);
  REQUIRE_MESSAGE(r.ok(), dump(r));
  auto c = apigw::testing::Client::create(r.builder).value();
  CHECK(c.request("POST", "/orders", {{"content-type", "application/json"}}, R"({"id": 1})").status == 200);
  CHECK(c.request("POST", "/orders", {{"content-type", "application/json"}}, R"({})").status == 400);

  LoadResult broken = apigw::config::load(config(R"([{"name": "s", "type": "schema", "schema_file": "broken.json"}])"), dir);
  CHECK_ERROR(broken, "/policies/0/schema_file",
              "\"" + dir + "/broken.json\" at /properties/id/tpye: unknown keyword \"tpye\" (did you mean \"type\"?)");
  LoadResult missing = apigw::config::load(config(R"([{"name": "s", "type": "schema", "schema_file": "nope.json"}])"), dir);
  CHECK_ERROR(missing, "/policies/0/schema_file", "cannot read");
  ::unlink((dir + "/order.json").c_str());
  ::unlink((dir + "/broken.json").c_str());
  ::rmdir(dir.c_str());
}
