// Signature checks per algorithm family. Every path compares or verifies the
// whole signature; lengths are fixed by the key and checked first.
#ifdef APIGW_WITH_TLS  // mbedTLS does the cryptography
#include <mbedtls/md.h>
#include <mbedtls/pk.h>

#include <cstring>

#include "policy/hmac_prefix.hpp"
#include "policy/jwt_key.hpp"
#include "policy/rsa_thread_copies.hpp"

namespace apigw::policy::jwt {
namespace {

struct AlgInfo {
  std::string_view name;
  KeyType type;
  mbedtls_md_type_t md;
};
constexpr AlgInfo kAlgs[kAlgCount] = {
    {"HS256", KeyType::kOct, MBEDTLS_MD_SHA256}, {"HS384", KeyType::kOct, MBEDTLS_MD_SHA384},
    {"HS512", KeyType::kOct, MBEDTLS_MD_SHA512}, {"RS256", KeyType::kRsa, MBEDTLS_MD_SHA256},
    {"RS384", KeyType::kRsa, MBEDTLS_MD_SHA384}, {"RS512", KeyType::kRsa, MBEDTLS_MD_SHA512},
    {"PS256", KeyType::kRsa, MBEDTLS_MD_SHA256}, {"ES256", KeyType::kEc, MBEDTLS_MD_SHA256},
    {"ES384", KeyType::kEc, MBEDTLS_MD_SHA384},
};

const AlgInfo& info(Alg a) noexcept { return kAlgs[static_cast<size_t>(a)]; }

// No early exit on the first differing byte.
bool equal_constant_time(const unsigned char* a, const unsigned char* b, size_t n) noexcept {
  unsigned diff = 0;
  for (size_t i = 0; i < n; ++i) diff |= static_cast<unsigned>(a[i] ^ b[i]);
  return diff == 0;
}

const unsigned char* bytes(std::string_view s) noexcept { return reinterpret_cast<const unsigned char*>(s.data()); }

// The curve orders n, big-endian: r and s must be in [1, n - 1].
constexpr unsigned char kP256Order[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
constexpr unsigned char kP384Order[48] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
    0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73};

bool in_scalar_range(const unsigned char* v, const unsigned char* order, size_t n) noexcept {
  bool zero = true;
  for (size_t i = 0; i < n; ++i) zero = zero && v[i] == 0;
  return !zero && std::memcmp(v, order, n) < 0;  // big-endian, same width: memcmp orders them
}

// One DER INTEGER of a fixed-width big-endian unsigned value.
size_t der_integer(unsigned char* out, const unsigned char* v, size_t n) noexcept {
  while (n > 1 && v[0] == 0) {
    ++v;
    --n;
  }
  const bool pad = (v[0] & 0x80) != 0;  // keep it positive
  out[0] = 0x02;
  out[1] = static_cast<unsigned char>(n + pad);
  out[2] = 0;
  std::memcpy(out + 2 + pad, v, n);
  return 2 + pad + n;
}

}  // namespace

std::optional<Alg> alg_from_name(std::string_view name) noexcept {
  for (size_t i = 0; i < kAlgCount; ++i)
    if (kAlgs[i].name == name) return static_cast<Alg>(i);
  return std::nullopt;
}

std::string_view alg_name(Alg alg) noexcept { return info(alg).name; }
KeyType key_type_of(Alg alg) noexcept { return info(alg).type; }

AlgMask algs_of_type(KeyType type) noexcept {
  AlgMask m = 0;
  for (size_t i = 0; i < kAlgCount; ++i)
    if (kAlgs[i].type == type) m |= alg_bit(static_cast<Alg>(i));
  return m;
}

bool Key::verify(Alg alg, std::string_view signing_input, std::string_view signature) const noexcept {
  if (!allows(alg) || key_type_of(alg) != type_) return false;
  switch (type_) {
    case KeyType::kOct: return verify_hmac(alg, signing_input, signature);
    case KeyType::kRsa: return verify_rsa(alg, signing_input, signature);
    case KeyType::kEc: return verify_ecdsa(alg, signing_input, signature);
  }
  return false;
}

bool Key::verify_hmac(Alg alg, std::string_view input, std::string_view signature) const noexcept {
  const HmacPrefix* h = hmac_[static_cast<size_t>(alg)].get();  // HS256..HS512 are the first three
  if (!h || signature.size() != h->size()) return false;
  unsigned char mac[MBEDTLS_MD_MAX_SIZE];
  if (!h->mac(input, mac)) return false;
  return equal_constant_time(mac, bytes(signature), signature.size());
}

bool Key::verify_rsa(Alg alg, std::string_view input, std::string_view signature) const noexcept {
  const mbedtls_md_info_t* md = mbedtls_md_info_from_type(info(alg).md);
  if (!md || signature.size() != mbedtls_pk_get_len(pk_.get())) return false;
  unsigned char hash[MBEDTLS_MD_MAX_SIZE];
  if (mbedtls_md(md, bytes(input), input.size(), hash) != 0) return false;
  const size_t hash_len = mbedtls_md_get_size(md);
  mbedtls_pk_context* pk = rsa_thread_copy(id_, *pk_);  // no lock shared with other workers
  if (!pk) pk = pk_.get();
  if (alg == Alg::kPS256) {
    mbedtls_pk_rsassa_pss_options pss{info(alg).md, static_cast<int>(hash_len)};
    return mbedtls_pk_verify_ext(MBEDTLS_PK_RSASSA_PSS, &pss, pk, info(alg).md, hash, hash_len, bytes(signature),
                                 signature.size()) == 0;
  }
  return mbedtls_pk_verify(pk, info(alg).md, hash, hash_len, bytes(signature), signature.size()) == 0;
}

bool Key::verify_ecdsa(Alg alg, std::string_view input, std::string_view signature) const noexcept {
  const size_t n = alg == Alg::kES256 ? 32 : 48;
  if (bits_ != n * 8 || signature.size() != 2 * n) return false;  // ES256 only on P-256, ES384 only on P-384
  const unsigned char* order = n == 32 ? kP256Order : kP384Order;
  const unsigned char* r = bytes(signature);
  const unsigned char* s = r + n;
  if (!in_scalar_range(r, order, n) || !in_scalar_range(s, order, n)) return false;
  const mbedtls_md_info_t* md = mbedtls_md_info_from_type(info(alg).md);
  unsigned char hash[MBEDTLS_MD_MAX_SIZE];
  if (!md || mbedtls_md(md, bytes(input), input.size(), hash) != 0) return false;
  // mbedTLS reads ECDSA signatures as DER: SEQUENCE { INTEGER r, INTEGER s }
  // (at most 2 + 2 * 51 bytes for P-384, a one-byte length).
  unsigned char der[2 + 2 * (3 + 48)];
  size_t len = der_integer(der + 2, r, n);
  len += der_integer(der + 2 + len, s, n);
  der[0] = 0x30;
  der[1] = static_cast<unsigned char>(len);
  return mbedtls_pk_verify(pk_.get(), info(alg).md, hash, mbedtls_md_get_size(md), der, len + 2) == 0;
}

}  // namespace apigw::policy::jwt
#endif  // APIGW_WITH_TLS
