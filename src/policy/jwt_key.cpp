// Verification keys from secrets, PEM or DER public keys and JWK members.
#ifdef APIGW_WITH_TLS  // mbedTLS does the cryptography
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include <atomic>

#include "policy/hmac_prefix.hpp"
#include "policy/jwt_key.hpp"

namespace apigw::policy::jwt {
namespace {

constexpr size_t kMinRsaBits = 2048;  // RFC 7518 section 3.3
constexpr size_t kMaxRsaBits = 8192;  // beyond, one verify costs more than a request should

const unsigned char* bytes(std::string_view s) noexcept { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string names_of(AlgMask algs) {
  std::string out;
  for (size_t i = 0; i < kAlgCount; ++i)
    if (algs & alg_bit(static_cast<Alg>(i))) out += (out.empty() ? "" : ", ") + std::string(alg_name(Alg(i)));
  return out;
}

Status key_error(const std::string& kid, const std::string& why) {
  return Status(Code::kInvalidArgument, (kid.empty() ? "key" : "key \"" + kid + "\"") + ": " + why);
}

// SubjectPublicKeyInfo DER up to the uncompressed point, for P-256 and P-384.
constexpr unsigned char kP256Spki[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                       0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
constexpr unsigned char kP384Spki[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
                                       0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00};

}  // namespace

Key::Key(std::string kid, KeyType type, AlgMask algs) : kid_(std::move(kid)), type_(type), algs_(algs) {
  static std::atomic<uint64_t> next_id{1};
  id_ = next_id.fetch_add(1, std::memory_order_relaxed);
}

Key::~Key() {
  if (pk_) mbedtls_pk_free(pk_.get());
}

Result<KeyPtr> Key::hmac(std::string kid, std::string secret, AlgMask algs) {
  if (algs == 0 || (algs & ~algs_of_type(KeyType::kOct)) != 0)
    return key_error(kid, "a secret verifies HS256, HS384 or HS512 only");
  for (size_t i = 0; i < kAlgCount; ++i) {
    if (!(algs & alg_bit(Alg(i)))) continue;
    const size_t need = i == size_t(Alg::kHS256) ? 32 : i == size_t(Alg::kHS384) ? 48 : 64;
    if (secret.size() < need)
      return key_error(kid, std::string(alg_name(Alg(i))) + " needs a secret of at least " + std::to_string(need) +
                                " bytes (RFC 7518 3.2), this one has " + std::to_string(secret.size()));
  }
  std::unique_ptr<Key> key(new Key(std::move(kid), KeyType::kOct, algs));
  constexpr mbedtls_md_type_t kHashes[] = {MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512};
  for (size_t i = 0; i < key->hmac_.size(); ++i) {
    if (!(algs & alg_bit(Alg(i)))) continue;
    key->hmac_[i] = HmacPrefix::make(kHashes[i], secret);
    if (!key->hmac_[i]) return key_error(key->kid_, "mbedTLS cannot set up " + std::string(alg_name(Alg(i))));
  }
  mbedtls_platform_zeroize(secret.data(), secret.size());  // only the padded-key digests are kept
  return KeyPtr(std::move(key));
}

Result<KeyPtr> Key::public_key(std::string kid, std::string_view pem_or_der, AlgMask algs) {
  std::unique_ptr<Key> key(new Key(std::move(kid), KeyType::kRsa, algs));
  key->pk_ = std::make_unique<mbedtls_pk_context>();
  mbedtls_pk_init(key->pk_.get());
  // mbedTLS takes PEM with its terminating NUL counted, DER as it is.
  const bool pem = pem_or_der.find("-----BEGIN") != std::string_view::npos;
  std::string buffer(pem_or_der);
  if (mbedtls_pk_parse_public_key(key->pk_.get(), bytes(buffer), buffer.size() + (pem ? 1 : 0)) != 0)
    return key_error(key->kid_, "not a PEM or DER public key (RSA, or EC on P-256 or P-384)");
  return finish_public(std::move(key), algs);
}

Result<KeyPtr> Key::rsa(std::string kid, std::string_view n, std::string_view e, AlgMask algs) {
  std::unique_ptr<Key> key(new Key(std::move(kid), KeyType::kRsa, algs));
  key->pk_ = std::make_unique<mbedtls_pk_context>();
  mbedtls_pk_init(key->pk_.get());
  mbedtls_rsa_context* rsa = nullptr;
  bool ok = !n.empty() && !e.empty() && mbedtls_pk_setup(key->pk_.get(), mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) == 0;
  if (ok) {
    rsa = mbedtls_pk_rsa(*key->pk_);
    ok = mbedtls_rsa_import_raw(rsa, bytes(n), n.size(), nullptr, 0, nullptr, 0, nullptr, 0, bytes(e), e.size()) == 0 &&
         mbedtls_rsa_complete(rsa) == 0 && mbedtls_rsa_check_pubkey(rsa) == 0;
  }
  if (!ok) return key_error(key->kid_, "not a valid RSA public key (n, e)");
  return finish_public(std::move(key), algs);
}

Result<KeyPtr> Key::ec(std::string kid, std::string_view crv, std::string_view x, std::string_view y, AlgMask algs) {
  const bool p256 = crv == "P-256";
  if (!p256 && crv != "P-384") return key_error(kid, "curve \"" + std::string(crv) + "\" is not P-256 or P-384");
  const size_t n = p256 ? 32 : 48;
  if (x.size() != n || y.size() != n)
    return key_error(kid, "x and y of a " + std::string(crv) + " key are " + std::to_string(n) + " bytes each");
  std::string der(reinterpret_cast<const char*>(p256 ? kP256Spki : kP384Spki), p256 ? sizeof kP256Spki : sizeof kP384Spki);
  der += '\x04';  // uncompressed point
  der.append(x).append(y);
  std::string shown = kid;
  auto key = public_key(std::move(kid), der, algs);
  if (!key && key.status().message().find("not a PEM") != std::string_view::npos)
    return key_error(shown, "(x, y) is not a point on " + std::string(crv));
  return key;
}

Result<KeyPtr> Key::finish_public(std::unique_ptr<Key> key, AlgMask algs) {
  mbedtls_pk_type_t type = mbedtls_pk_get_type(key->pk_.get());
  key->bits_ = mbedtls_pk_get_bitlen(key->pk_.get());
  AlgMask allowed = 0;
  if (type == MBEDTLS_PK_RSA) {
    key->type_ = KeyType::kRsa;
    if (key->bits_ < kMinRsaBits || key->bits_ > kMaxRsaBits)
      return key_error(key->kid_, "RSA keys of " + std::to_string(key->bits_) + " bits are refused (2048..8192)");
    allowed = algs_of_type(KeyType::kRsa);
  } else if (type == MBEDTLS_PK_ECKEY || type == MBEDTLS_PK_ECDSA) {
    key->type_ = KeyType::kEc;
    if (key->bits_ == 256) allowed = alg_bit(Alg::kES256);
    else if (key->bits_ == 384) allowed = alg_bit(Alg::kES384);
    else return key_error(key->kid_, "EC keys must be on P-256 or P-384");
  } else {
    return key_error(key->kid_, "only RSA and EC public keys are supported");
  }
  if (algs == 0) return key_error(key->kid_, "no algorithm may use this key");
  if ((algs & ~allowed) != 0)
    return key_error(key->kid_, "this key verifies only " + names_of(allowed) + ", not " + names_of(algs & ~allowed));
  key->algs_ = algs;
  // mbedTLS fills per-key caches (RSA blinding and Montgomery values, EC
  // tables) on first use; do that here, before the key is shared by threads.
  const size_t signature_size = key->type_ == KeyType::kEc ? key->bits_ / 4 : mbedtls_pk_get_len(key->pk_.get());
  const std::string junk(signature_size, '\x01');
  for (size_t i = 0; i < kAlgCount; ++i)
    if (algs & alg_bit(Alg(i))) (void)key->verify(Alg(i), "warm-up", junk);
  return KeyPtr(std::move(key));
}

}  // namespace apigw::policy::jwt
#endif  // APIGW_WITH_TLS
