// schema: a route's request bodies must be JSON its schema accepts.
//
// The body is buffered (needs_request_body), parsed and walked once against
// the schema compiled at config load; the first violation is a 400 whose
// message names its JSON pointer and rule. As Kong's request-validator does,
// a Content-Type not in content_types is refused with 400 rather than let
// through unchecked: a gateway that validates JSON must not be bypassed by
// labelling the same bytes text/plain.
#include <vector>

#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"
#include "policy/json_schema.hpp"
#include "policy/media_type.hpp"

namespace apigw::policy {
namespace {

class Schema final : public Policy {
 public:
  explicit Schema(SchemaOptions o) : o_(std::move(o)) {
    for (const std::string& t : o_.content_types) {
      MediaType m;
      if (parse_media_type(t, &m)) allowed_.push_back(m);  // views into o_, which lives as long
    }
    for (const std::string& t : o_.content_types) allowed_text_ += (allowed_text_.empty() ? "" : ", ") + t;
  }
  std::string_view type() const noexcept override { return "schema"; }
  bool needs_request_body() const noexcept override { return true; }

  Decision on_request_body(Exchange& ex) const noexcept override {
    const Request& r = ex.request();
    if (!o_.schema) return ex.fail(Status(Code::kInternal, "schema policy built without a schema"));
    if (r.body.empty()) {
      if (o_.schema->accepts_anything()) return Decision::kContinue;
      return ex.fail(Status::http(400, "schema_violation", "request body is required"));
    }
    if (!content_type_allowed(r.headers.get("content-type")))
      return ex.fail(Status::http(400, "content_type_not_allowed", "Content-Type must be one of: " + allowed_text_));
    JsonSchema::Verdict v = o_.schema->validate(r.body);
    switch (v.kind) {
      case JsonSchema::Verdict::Kind::kValid: return Decision::kContinue;
      case JsonSchema::Verdict::Kind::kInvalidJson:
        return ex.fail(Status::http(400, "invalid_json", "request body is not valid JSON: " + v.message));
      case JsonSchema::Verdict::Kind::kViolation:
        return ex.fail(Status::http(400, "schema_violation", std::move(v.message)));
    }
    return Decision::kContinue;
  }

 private:
  bool content_type_allowed(std::string_view header) const noexcept {
    MediaType got;
    if (!parse_media_type(header, &got)) return false;
    for (const MediaType& a : allowed_)
      if (media_type_allows(a, got)) return true;
    return false;
  }

  SchemaOptions o_;
  std::vector<MediaType> allowed_;
  std::string allowed_text_;
};

}  // namespace

PolicyPtr make_schema(SchemaOptions options) { return std::make_shared<Schema>(std::move(options)); }

}  // namespace apigw::policy
