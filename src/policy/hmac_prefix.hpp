// HMAC (RFC 2104) with the key's padded blocks hashed once, at key load.
//
// HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)). Both padded blocks are
// one hash block each, so the hash states after them depend on the key
// only: kept here, each MAC copies them (mbedtls_md_clone) into per-thread
// contexts and hashes just the message and the inner digest. mbedTLS's own
// mbedtls_md_hmac would set up a context and hash both blocks every time;
// its hmac contexts cannot be cloned (mbedtls_md_clone skips the pads).
#pragma once

#include <mbedtls/md.h>

#include <memory>
#include <string_view>

namespace apigw::policy::jwt {

class HmacPrefix {
 public:
  // SHA-256, SHA-384 or SHA-512; null when mbedTLS cannot set it up.
  static std::unique_ptr<const HmacPrefix> make(mbedtls_md_type_t md, std::string_view key);
  ~HmacPrefix();
  HmacPrefix(const HmacPrefix&) = delete;
  HmacPrefix& operator=(const HmacPrefix&) = delete;

  size_t size() const noexcept { return mbedtls_md_get_size(md_); }
  // Writes size() bytes to `out`. Any number of threads at once.
  bool mac(std::string_view message, unsigned char* out) const noexcept;

 private:
  explicit HmacPrefix(const mbedtls_md_info_t* md);

  const mbedtls_md_info_t* md_;
  mbedtls_md_context_t inner_;  // after (K ^ ipad)
  mbedtls_md_context_t outer_;  // after (K ^ opad)
};

}  // namespace apigw::policy::jwt
