// mbedTLS error codes as text, for messages about configuration files.
#pragma once

#include <string>

namespace apigw::net {

std::string tls_error_text(int mbedtls_error);

}  // namespace apigw::net
