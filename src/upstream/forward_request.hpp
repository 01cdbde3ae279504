// The request head an upstream receives (RFC 9110 section 7.6 for proxies).
//
// Hop-by-hop fields (Connection and every field it names, Keep-Alive, TE,
// Trailer, Transfer-Encoding, Upgrade, Proxy-*) stay behind; X-Forwarded-For,
// -Proto and -Host and Via are added; Host is kept unless the route rewrites
// it. The body is framed by Content-Length.
#pragma once

#include <memory_resource>
#include <string_view>

#include "apigw/exchange.hpp"
#include "apigw/upstream.hpp"

namespace apigw::upstream {

// A request asking to switch protocols (WebSocket): Upgrade, and Connection listing it.
bool wants_upgrade(const Request& r) noexcept;

// True for fields that describe one connection rather than the message.
bool is_hop_by_hop(std::string_view name, std::string_view connection_header) noexcept;

// The path sent upstream: the route's rewrite applied to the request's path.
std::string_view rewritten_path(Exchange& ex, const RewriteOptions& rewrite);

// `streamed_body`: the body follows later, framed as the client framed it
// (its Content-Length, or chunked); otherwise it is the buffered one.
// `traceparent` (tracing on): sent instead of the client's.
void append_upstream_head(std::pmr::string& out, Exchange& ex, const RewriteOptions& rewrite,
                          bool streamed_body = false, std::string_view traceparent = {});

}  // namespace apigw::upstream
