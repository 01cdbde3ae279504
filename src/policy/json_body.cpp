// json_body: removes or masks values, by JSON pointer, in JSON request and
// response bodies; policy/json_redact.hpp does the work.
//
// It reads whole bodies: request rules make the route buffer request bodies
// (needs_request_body), response rules make it hold answers up to
// max_body_bytes (response_body_limit). A body it cannot read passes on
// unchanged and is counted: too long (unless on_overflow is "reject"),
// compressed, or not JSON although labelled so. An origin's bad JSON is
// never turned into an error.
#include <algorithm>
#include <string>

#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"
#include "policy/policy_state.hpp"

namespace apigw::policy {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Validators of the old bytes: a client or cache checking them against the
// new body would find a mismatch, or take the redacted body for the original.
constexpr std::string_view kValidators[] = {"etag", "content-md5", "digest", "content-digest", "repr-digest"};

// A larger output buffer is not kept for the next body.
constexpr size_t kKeepCapacity = 64 * 1024;

// One JsonRedactor per worker thread: its parser keeps its buffers between bodies.
JsonRedactor& redactor() {
  thread_local JsonRedactor r;
  return r;
}

class JsonBody final : public Policy, public StatefulPolicy {
 public:
  JsonBody(JsonBodyOptions o, std::shared_ptr<JsonBodyCounters> counters)
      : o_(std::move(o)), counters_(std::move(counters)) {}

  std::string_view type() const noexcept override { return "json_body"; }

  Result<PolicyPtr> bind(BindContext& ctx, const std::string& name) const override {
    return PolicyPtr(std::make_shared<JsonBody>(o_, ctx.states.json_body(name)));
  }

  bool needs_request_body() const noexcept override { return !o_.request.empty(); }
  size_t response_body_limit() const noexcept override {
    return o_.response.empty() ? 0 : static_cast<size_t>(o_.max_body_bytes);
  }

  Decision on_request(Exchange& ex) const noexcept override {
    // Refusing a long body: the connection answers 413 once it passes the
    // cap, instead of reading all of it first.
    Request& r = ex.request();
    if (!o_.request.empty() && o_.on_overflow == JsonBodyOptions::OnOverflow::kReject && is_json(r.headers) &&
        !is_encoded(r.headers))
      r.max_body_bytes = std::min(r.max_body_bytes, o_.max_body_bytes);
    return Decision::kContinue;
  }

  Decision on_request_body(Exchange& ex) const noexcept override {
    Request& r = ex.request();
    if (o_.request.empty() || r.body.empty() || !readable(r.headers)) return Decision::kContinue;
    if (r.body.size() > o_.max_body_bytes) {
      if (o_.on_overflow == JsonBodyOptions::OnOverflow::kReject)
        return ex.fail(Status::http(413, "payload_too_large", "JSON request body longer than json_body's max_body_bytes"));
      count(JsonBodySkip::kOverflow);
      return Decision::kContinue;
    }
    if (redact(o_.request, r.body)) {
      drop_validators(r.headers);
      // The upstream gets the new length from the body; a handler reads the header.
      if (r.headers.has("content-length")) r.headers.set("content-length", std::to_string(r.body.size()));
    }
    return Decision::kContinue;
  }

  Decision on_response_body(Exchange& ex) const noexcept override {
    Response& res = ex.response();
    // No body to read: HEAD, 1xx, 204, 304; a 206 holds only part of a document.
    if (o_.response.empty() || ex.request().method == "HEAD" || res.status < 200 || res.status == 204 ||
        res.status == 206 || res.status == 304 || !readable(res.headers))
      return Decision::kContinue;
    if (ex.response_body_overflowed() || res.body.size() > o_.max_body_bytes) {
      if (o_.on_overflow == JsonBodyOptions::OnOverflow::kReject)
        return ex.fail(Status::http(502, "upstream_body_too_large",
                                    "the JSON answer is longer than json_body's max_body_bytes"));
      count(JsonBodySkip::kOverflow);
      return Decision::kContinue;  // streams on unchanged
    }
    if (!res.body.empty() && redact(o_.response, res.body)) drop_validators(res.headers);
    return Decision::kContinue;
  }

 private:
  void count(JsonBodySkip reason) const noexcept {
    if (counters_) counters_->add(reason);
  }

  bool is_json(const HeaderMap& headers) const noexcept {
    std::string_view value = headers.get("content-type");
    std::string_view type = trim(value.substr(0, value.find(';')));
    if (!o_.content_types.empty())
      return std::any_of(o_.content_types.begin(), o_.content_types.end(),
                         [&](const std::string& t) { return iequals(t, type); });
    const size_t slash = type.find('/');
    if (slash == std::string_view::npos || slash == 0) return false;
    return iequals(type, "application/json") ||
           (type.size() - slash > 5 && iequals(type.substr(type.size() - 5), "+json"));
  }

  static bool is_encoded(const HeaderMap& headers) noexcept {
    std::string_view encoding = trim(headers.get("content-encoding"));
    return !encoding.empty() && !iequals(encoding, "identity");
  }

  // A JSON body this policy can read; compressed ones are counted.
  bool readable(const HeaderMap& headers) const noexcept {
    if (!is_json(headers)) return false;
    if (!is_encoded(headers)) return true;
    count(JsonBodySkip::kEncoded);
    return false;
  }

  // Rewrites `body` in place; false when unchanged (also when not JSON, counted).
  bool redact(const JsonRedactRules& rules, std::pmr::string& body) const noexcept {
    thread_local std::string out;
    switch (redactor().apply(body, rules, &out)) {
      case RedactResult::kChanged:
        body.assign(out);
        if (out.capacity() > kKeepCapacity) std::string().swap(out);
        return true;
      case RedactResult::kMalformed:
        count(JsonBodySkip::kUnparsable);
        return false;
      case RedactResult::kUnchanged:
        return false;
    }
    return false;
  }

  static void drop_validators(HeaderMap& headers) {
    for (std::string_view name : kValidators) headers.remove(name);
  }

  JsonBodyOptions o_;
  std::shared_ptr<JsonBodyCounters> counters_;  // null until bound to a gateway
};

}  // namespace

PolicyPtr make_json_body(JsonBodyOptions options) {
  return std::make_shared<JsonBody>(std::move(options), nullptr);
}

}  // namespace apigw::policy
