#include "net/tls_errors.hpp"

#if APIGW_WITH_TLS
#include <mbedtls/error.h>

namespace apigw::net {

std::string tls_error_text(int mbedtls_error) {
  char buf[160];
  mbedtls_strerror(mbedtls_error, buf, sizeof buf);
  return buf;
}

}  // namespace apigw::net
#endif
