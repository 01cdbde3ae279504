#include "net/tls_errors.hpp"

#if APIGW_WITH_TLS
#include <mbedtls/error.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace apigw::net {

std::string tls_error_text(int mbedtls_error) {
  char buf[160];
  mbedtls_strerror(mbedtls_error, buf, sizeof buf);
  return buf;
}

std::string unreadable(const std::string& path) {
  if (::access(path.c_str(), R_OK) == 0) return "";
  return std::strerror(errno);
}

}  // namespace apigw::net
#endif
