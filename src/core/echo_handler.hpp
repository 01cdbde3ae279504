// The built-in `echo` handler: answers with the request as JSON.
#pragma once

#include "apigw/exchange.hpp"

namespace apigw {

Decision echo_handler(Exchange& ex);

}  // namespace apigw
