#ifdef APIGW_WITH_TLS  // mbedTLS does the cryptography
#include "policy/rsa_thread_copies.hpp"

#include <mbedtls/rsa.h>

#include <array>

namespace apigw::policy::jwt {
namespace {

class Copies {
 public:
  Copies() {
    for (auto& e : entries_) mbedtls_pk_init(&e.pk);
  }
  ~Copies() {
    for (auto& e : entries_) mbedtls_pk_free(&e.pk);
  }
  Copies(const Copies&) = delete;
  Copies& operator=(const Copies&) = delete;

  mbedtls_pk_context* get(uint64_t id, const mbedtls_pk_context& source) noexcept {
    ++clock_;
    Entry* oldest = &entries_[0];
    for (auto& e : entries_) {
      if (e.id == id) {
        e.used = clock_;
        return &e.pk;
      }
      if (e.used < oldest->used) oldest = &e;
    }
    Entry& e = *oldest;
    mbedtls_pk_free(&e.pk);
    mbedtls_pk_init(&e.pk);
    e.id = 0;
    if (mbedtls_pk_get_type(&source) != MBEDTLS_PK_RSA ||
        mbedtls_pk_setup(&e.pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0 ||
        mbedtls_rsa_copy(mbedtls_pk_rsa(e.pk), mbedtls_pk_rsa(source)) != 0)
      return nullptr;
    e.id = id;
    e.used = clock_;
    return &e.pk;
  }

 private:
  struct Entry {
    uint64_t id = 0;  // 0: empty
    uint64_t used = 0;
    mbedtls_pk_context pk;
  };
  std::array<Entry, kRsaCopiesPerThread> entries_;
  uint64_t clock_ = 0;
};

}  // namespace

mbedtls_pk_context* rsa_thread_copy(uint64_t id, const mbedtls_pk_context& source) noexcept {
  thread_local Copies copies;
  return copies.get(id, source);
}

}  // namespace apigw::policy::jwt
#endif  // APIGW_WITH_TLS
