// Per-thread copies of RSA public keys.
//
// Debian's mbedTLS is built with MBEDTLS_THREADING_C: every public-key
// operation locks the RSA context's mutex, so workers verifying against one
// shared key take turns (jwt_bench "RS256-threads": 38..69 us per verify
// with one shared key against 38..40 us with a key each, two threads). Each
// thread keeps its own copy of the few keys it used last.
#pragma once

#include <mbedtls/pk.h>

#include <cstdint>

namespace apigw::policy::jwt {

// The calling thread's copy of RSA key `source`, whose id is unique for the
// process's life (never reused, unlike an address); made on first use, at
// most kRsaCopiesPerThread kept (the least recently used goes). Null when
// the copy cannot be made: the caller then uses `source` itself.
inline constexpr size_t kRsaCopiesPerThread = 8;
mbedtls_pk_context* rsa_thread_copy(uint64_t id, const mbedtls_pk_context& source) noexcept;

}  // namespace apigw::policy::jwt
