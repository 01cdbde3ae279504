#include "net/tls_random.hpp"

#if APIGW_WITH_TLS
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

namespace apigw::net {
namespace {

struct ThreadDrbg {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  int seed_error = 0;

  ThreadDrbg() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    static const unsigned char kPersonalisation[] = "apigw tls";
    seed_error = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, kPersonalisation,
                                       sizeof kPersonalisation - 1);
  }
  ~ThreadDrbg() {
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
};

}  // namespace

int tls_random(void*, unsigned char* out, size_t len) {
  thread_local ThreadDrbg generator;
  if (generator.seed_error != 0) return generator.seed_error;  // never hand out unseeded bytes
  return mbedtls_ctr_drbg_random(&generator.drbg, out, len);
}

}  // namespace apigw::net
#endif
