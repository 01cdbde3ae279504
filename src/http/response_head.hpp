// Serialises an answer's status line and header fields.
#pragma once

#include <memory_resource>
#include <string_view>

#include "apigw/exchange.hpp"

namespace apigw::http {

struct HeadOptions {
  bool head_request = false;  // HEAD: announce the length, send no body
  bool keep_alive = true;
  uint8_t version_minor = 1;  // of the request: 0 asks for explicit keep-alive
  std::string_view date;      // a full "date: ...\r\n" line
  // The body's length is not known: chunked on HTTP/1.1, close-delimited on 1.0.
  bool stream = false;
  // A length known ahead of the body (a proxied answer), or -1.
  int64_t content_length = -1;
};

// Whether an answer with this status may carry a body at all.
inline bool status_allows_body(int status) {
  return status >= 200 && status != 204 && status != 304;
}

std::string_view reason_phrase(int status) noexcept;

// Appends the head; framing headers (content-length, transfer-encoding,
// connection) are the gateway's, whatever the handler set.
void append_response_head(std::pmr::string& out, const Response& response, const HeadOptions& options);

}  // namespace apigw::http
