// Randomness for TLS: mbedTLS's CTR-DRBG, seeded from the OS, one per thread.
//
// Each worker is one thread, so each worker has its own generator and
// handshakes on different workers never contend on a lock. mbedTLS takes it
// as an f_rng callback; the p_rng argument is unused.
#pragma once

#include <cstddef>

namespace apigw::net {

// The f_rng of mbedTLS: fills `out` from this thread's generator (created
// and seeded on first use). 0 on success, an mbedTLS error otherwise.
int tls_random(void* unused, unsigned char* out, size_t len);

// Once per process before any TLS object is made: mbedTLS 3 needs PSA
// crypto initialised; 2.x needs nothing. Safe to call repeatedly.
void tls_library_init();

}  // namespace apigw::net
