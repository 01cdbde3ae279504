// JWS signature algorithms (RFC 7518) and the keys that verify them, over
// mbedTLS: HMAC (HS256/384/512), RSASSA-PKCS1-v1_5 (RS256/384/512),
// RSASSA-PSS (PS256: MGF1 with SHA-256, salt as long as the hash) and ECDSA
// (ES256 on P-256, ES384 on P-384; signatures as raw r || s).
//
// A key is pinned to the algorithms it may verify, chosen when it is loaded;
// the token's "alg" only selects among them. That is what stops "alg: none"
// and the RS -> HS confusion (an RSA public key used as an HMAC secret): an
// RSA key has no HS algorithm to be asked for.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "apigw/status.hpp"

struct mbedtls_pk_context;

namespace apigw::policy::jwt {

class HmacPrefix;

enum class Alg : uint8_t { kHS256, kHS384, kHS512, kRS256, kRS384, kRS512, kPS256, kES256, kES384 };
inline constexpr size_t kAlgCount = 9;
enum class KeyType : uint8_t { kOct, kRsa, kEc };

std::optional<Alg> alg_from_name(std::string_view name) noexcept;  // exact, case-sensitive (RFC 7518)
std::string_view alg_name(Alg alg) noexcept;
KeyType key_type_of(Alg alg) noexcept;

// A set of algorithms, one bit each.
using AlgMask = uint16_t;
inline constexpr AlgMask alg_bit(Alg a) noexcept { return static_cast<AlgMask>(1u << static_cast<unsigned>(a)); }
AlgMask algs_of_type(KeyType type) noexcept;

// Immutable once made; verify() is safe from any number of threads.
class Key {
 public:
  // An HMAC secret for `algs` (HS algorithms only). RFC 7518 wants a secret
  // at least as long as the hash: shorter ones are refused.
  static Result<std::shared_ptr<const Key>> hmac(std::string kid, std::string secret, AlgMask algs);
  // A PEM public key (SubjectPublicKeyInfo or PKCS#1 RSA) or a DER one.
  static Result<std::shared_ptr<const Key>> public_key(std::string kid, std::string_view pem_or_der, AlgMask algs);
  // From JWK members (big-endian bytes, already base64url-decoded).
  static Result<std::shared_ptr<const Key>> rsa(std::string kid, std::string_view n, std::string_view e, AlgMask algs);
  static Result<std::shared_ptr<const Key>> ec(std::string kid, std::string_view crv, std::string_view x,
                                               std::string_view y, AlgMask algs);

  ~Key();
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;

  const std::string& kid() const noexcept { return kid_; }
  KeyType type() const noexcept { return type_; }
  AlgMask algs() const noexcept { return algs_; }
  bool allows(Alg alg) const noexcept { return (algs_ & alg_bit(alg)) != 0; }

  // True when `signature` is `alg`'s signature of `signing_input` under this
  // key, and this key may verify `alg`.
  bool verify(Alg alg, std::string_view signing_input, std::string_view signature) const noexcept;

 private:
  Key(std::string kid, KeyType type, AlgMask algs);
  static Result<std::shared_ptr<const Key>> finish_public(std::unique_ptr<Key> key, AlgMask algs);
  bool verify_hmac(Alg alg, std::string_view input, std::string_view signature) const noexcept;
  bool verify_rsa(Alg alg, std::string_view input, std::string_view signature) const noexcept;
  bool verify_ecdsa(Alg alg, std::string_view input, std::string_view signature) const noexcept;

  std::string kid_;
  KeyType type_;
  AlgMask algs_;
  std::array<std::unique_ptr<const HmacPrefix>, 3> hmac_;  // kOct: per HS256, HS384, HS512 it allows
  std::unique_ptr<mbedtls_pk_context> pk_;  // kRsa, kEc
  size_t bits_ = 0;                         // kRsa: modulus; kEc: curve
  uint64_t id_;                             // unique per process: names this key's per-thread RSA copies
};

using KeyPtr = std::shared_ptr<const Key>;

}  // namespace apigw::policy::jwt
