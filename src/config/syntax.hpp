// Lexical checks for values the config hands to the network layer: names,
// HTTP tokens and field values, host patterns and listen addresses.
// Each check returns "" when the value is fine, else why it is not.
#pragma once

#include <string>
#include <string_view>

namespace apigw::config {

// Names of listeners, routes and policies: they appear in metrics labels and
// admin URLs (/routes/{name}/disable), so no '/' or spaces.
std::string check_name(std::string_view name);

// RFC 9110 token: header names, methods.
bool is_token(std::string_view s);
// A header value that cannot split a message: no CR, LF, NUL or other controls but HTAB.
bool is_field_value(std::string_view s);

// "api.example.com", "*.example.org" or "[::1]"; `host` already lower case.
std::string check_host(std::string_view host);

// "IP:PORT" or "[IPv6]:PORT", port 0..65535. Sets *loopback when the IP is one.
std::string check_listen_address(std::string_view address, bool* loopback);

// An address to connect to or name: "IP", "[IPv6]" or "hostname" (letters,
// digits and '-' in dot-separated labels; all-digit labels must make an
// IPv4 address), followed by ":PORT" (1..65535). The port is optional
// unless `port_required`.
std::string check_host_port(std::string_view address, bool port_required);

}  // namespace apigw::config
