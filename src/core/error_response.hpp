// The one place where a Status becomes an HTTP answer (SPEC.md section 2):
//   {"error": {"status": 429, "code": "rate_limited", "message": "...", "request_id": "..."}}
#pragma once

#include <memory_resource>
#include <string_view>

#include "apigw/status.hpp"

namespace apigw {

// The HTTP status for `status`: its own when set, else by source and code
// (upstream 502/504, downstream 400, internal 500; Pingora's fail_to_proxy).
int error_http_status(const Status& status) noexcept;

// Appends the JSON error body.
void append_error_body(std::pmr::string& out, const Status& status, std::string_view request_id);

}  // namespace apigw
