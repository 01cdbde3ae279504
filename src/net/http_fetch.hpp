// A small blocking HTTP/1.1 client for the gateway's own background threads
// (the trace exporter, the JWKS fetcher): one request per connection, plain
// http://, one deadline over the whole exchange, answers parsed by the same
// strict ResponseParser the proxy uses. Never called on a worker's loop.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "apigw/status.hpp"

namespace apigw::net {

struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string path;  // with the query, if any
};

// "http://host[:port][/path]"; `option` names the config key in messages,
// `default_path` is used when the URL has none. https needs a TLS client
// context of its own, which these helpers do not have.
Result<HttpUrl> parse_http_url(std::string_view url, std::string_view option, std::string_view default_path = "/");

struct FetchRequest {
  std::string_view method = "GET";
  std::string_view content_type;  // "" = no body
  std::string_view body;
  int64_t timeout_ms = 5000;           // connect + send + whole answer
  size_t max_body_bytes = 1 << 20;     // a larger answer is an error
  // Checked while waiting on the socket, so that a stopping owner need not
  // wait out the timeout.
  const std::atomic<bool>* cancel = nullptr;
};

struct FetchAnswer {
  int status = 0;
  std::string body;
};

// Any status is an answer; an error is a failure to get one.
Result<FetchAnswer> http_fetch(const HttpUrl& url, const FetchRequest& request);

}  // namespace apigw::net
