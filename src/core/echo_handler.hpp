// The built-in `echo` handler: answers with the request as JSON.
#pragma once

#include "apigw/exchange.hpp"

namespace apigw {

Decision echo_handler(Exchange& ex);

// Appends `s` to `out` as a JSON string literal (quotes included).
void append_json_string(std::pmr::string& out, std::string_view s);

}  // namespace apigw
