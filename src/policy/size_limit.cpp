// size_limit: a route's own, lower request body limit; 413 beyond it.
//
// A declared Content-Length is judged here, before any body byte is read
// (the connection then closes instead of reading the rest). A chunked body
// is counted by the connection against Request::max_body_bytes as it comes.
#include <algorithm>
#include <charconv>

#include "apigw/exchange.hpp"
#include "policy/builtin.hpp"

namespace apigw::policy {
namespace {

class SizeLimit final : public Policy {
 public:
  explicit SizeLimit(SizeLimitOptions o) : o_(o) {}
  std::string_view type() const noexcept override { return "size_limit"; }

  Decision on_request(Exchange& ex) const noexcept override {
    Request& r = ex.request();
    r.max_body_bytes = std::min(r.max_body_bytes, o_.max_body_bytes);
    // The parser has checked the header's syntax already.
    std::string_view cl = r.headers.get("content-length");
    uint64_t declared = 0;
    bool too_large = std::from_chars(cl.data(), cl.data() + cl.size(), declared).ec == std::errc{} &&
                     declared > o_.max_body_bytes;
    // Bytes that arrived while an earlier policy was paused.
    if (too_large || r.body.size() > o_.max_body_bytes)
      return ex.fail(Status::http(413, "payload_too_large", "request body too large"));
    return Decision::kContinue;
  }

 private:
  SizeLimitOptions o_;
};

}  // namespace

PolicyPtr make_size_limit(SizeLimitOptions options) { return std::make_shared<SizeLimit>(options); }

}  // namespace apigw::policy
