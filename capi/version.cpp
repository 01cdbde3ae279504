// C ABI: version calls.
#include "apigw/apigw.h"
#include "apigw_build_version.hpp"

extern "C" {

APIGW_EXTERN uint32_t apigw_abi_version(void) {
  return (uint32_t{APIGW_ABI_MAJOR} << 16) | uint32_t{APIGW_ABI_MINOR};
}

APIGW_EXTERN const char* apigw_version(void) { return APIGW_BUILD_VERSION; }

}  // extern "C"
