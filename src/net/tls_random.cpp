#include "net/tls_random.hpp"

#if APIGW_WITH_TLS
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/version.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

#include <mutex>

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

void tls_library_init() {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
  static std::once_flag once;
  std::call_once(once, [] { (void)psa_crypto_init(); });
#endif
}

}  // namespace apigw::net
#endif
