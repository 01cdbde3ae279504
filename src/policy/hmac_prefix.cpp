#ifdef APIGW_WITH_TLS  // mbedTLS does the hashing
#include "policy/hmac_prefix.hpp"

#include <mbedtls/platform_util.h>

#include <array>

namespace apigw::policy::jwt {
namespace {

constexpr size_t kMaxBlock = 128;  // SHA-384 and SHA-512; SHA-256's is 64

size_t block_size(mbedtls_md_type_t md) noexcept { return md == MBEDTLS_MD_SHA256 ? 64 : 128; }

const unsigned char* bytes(std::string_view s) noexcept { return reinterpret_cast<const unsigned char*>(s.data()); }

// Per thread, one context per hash, set up on first use: clone needs a
// context already set up for the same hash.
class Scratch {
 public:
  Scratch() {
    for (auto& c : contexts_) mbedtls_md_init(&c);
  }
  ~Scratch() {
    for (auto& c : contexts_) mbedtls_md_free(&c);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  mbedtls_md_context_t* get(const mbedtls_md_info_t* md) noexcept {
    const auto type = mbedtls_md_get_type(md);
    const size_t i = type == MBEDTLS_MD_SHA256 ? 0 : type == MBEDTLS_MD_SHA384 ? 1 : 2;
    if (!ready_[i]) {
      if (mbedtls_md_setup(&contexts_[i], md, 0) != 0) return nullptr;
      ready_[i] = true;
    }
    return &contexts_[i];
  }

 private:
  std::array<mbedtls_md_context_t, 3> contexts_;
  std::array<bool, 3> ready_{};
};

}  // namespace

HmacPrefix::HmacPrefix(const mbedtls_md_info_t* md) : md_(md) {
  mbedtls_md_init(&inner_);
  mbedtls_md_init(&outer_);
}

HmacPrefix::~HmacPrefix() {
  mbedtls_md_free(&inner_);
  mbedtls_md_free(&outer_);
}

std::unique_ptr<const HmacPrefix> HmacPrefix::make(mbedtls_md_type_t type, std::string_view key) {
  const mbedtls_md_info_t* md = mbedtls_md_info_from_type(type);
  if (!md || (type != MBEDTLS_MD_SHA256 && type != MBEDTLS_MD_SHA384 && type != MBEDTLS_MD_SHA512)) return nullptr;
  std::unique_ptr<HmacPrefix> p(new HmacPrefix(md));
  const size_t block = block_size(type);
  // A key longer than a block is hashed first (RFC 2104 section 2).
  unsigned char hashed[MBEDTLS_MD_MAX_SIZE];
  if (key.size() > block) {
    if (mbedtls_md(md, bytes(key), key.size(), hashed) != 0) return nullptr;
    key = std::string_view(reinterpret_cast<const char*>(hashed), mbedtls_md_get_size(md));
  }
  unsigned char ipad[kMaxBlock], opad[kMaxBlock];
  for (size_t i = 0; i < block; ++i) {
    const unsigned char k = i < key.size() ? static_cast<unsigned char>(key[i]) : 0;
    ipad[i] = k ^ 0x36;
    opad[i] = k ^ 0x5c;
  }
  const bool ok = mbedtls_md_setup(&p->inner_, md, 0) == 0 && mbedtls_md_setup(&p->outer_, md, 0) == 0 &&
                  mbedtls_md_starts(&p->inner_) == 0 && mbedtls_md_update(&p->inner_, ipad, block) == 0 &&
                  mbedtls_md_starts(&p->outer_) == 0 && mbedtls_md_update(&p->outer_, opad, block) == 0;
  mbedtls_platform_zeroize(ipad, sizeof ipad);  // as good as the key
  mbedtls_platform_zeroize(opad, sizeof opad);
  mbedtls_platform_zeroize(hashed, sizeof hashed);
  if (!ok) return nullptr;
  return p;
}

bool HmacPrefix::mac(std::string_view message, unsigned char* out) const noexcept {
  thread_local Scratch scratch;
  mbedtls_md_context_t* c = scratch.get(md_);
  if (!c) return false;
  unsigned char inner[MBEDTLS_MD_MAX_SIZE];
  return mbedtls_md_clone(c, &inner_) == 0 && mbedtls_md_update(c, bytes(message), message.size()) == 0 &&
         mbedtls_md_finish(c, inner) == 0 && mbedtls_md_clone(c, &outer_) == 0 &&
         mbedtls_md_update(c, inner, size()) == 0 && mbedtls_md_finish(c, out) == 0;
}

}  // namespace apigw::policy::jwt
#endif  // APIGW_WITH_TLS
