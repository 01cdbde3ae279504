// mbedTLS error codes as text, for messages about configuration files.
#pragma once

#include <string>

namespace apigw::net {

std::string tls_error_text(int mbedtls_error);

// "" when `path` can be read, else why not (strerror), so that a missing
// file is reported as such rather than as mbedTLS's parse error.
std::string unreadable(const std::string& path);

}  // namespace apigw::net
