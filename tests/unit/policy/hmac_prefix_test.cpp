// HmacPrefix against mbedTLS's own HMAC: every hash, keys shorter than,
// equal to and longer than a block, messages across block boundaries, and
// from several threads at once (each with its own scratch contexts).
#ifdef APIGW_WITH_TLS
#include <doctest/doctest.h>
#include <mbedtls/md.h>

#include <string>
#include <thread>
#include <vector>

#include "policy/hmac_prefix.hpp"

namespace {

using apigw::policy::jwt::HmacPrefix;

std::string reference(mbedtls_md_type_t type, const std::string& key, const std::string& message) {
  const mbedtls_md_info_t* md = mbedtls_md_info_from_type(type);
  unsigned char mac[MBEDTLS_MD_MAX_SIZE];
  REQUIRE(mbedtls_md_hmac(md, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac) == 0);
  return std::string(reinterpret_cast<char*>(mac), mbedtls_md_get_size(md));
}

std::string mac_of(const HmacPrefix& h, const std::string& message) {
  unsigned char mac[MBEDTLS_MD_MAX_SIZE];
  REQUIRE(h.mac(message, mac));
  return std::string(reinterpret_cast<char*>(mac), h.size());
}

std::string pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + static_cast<size_t>(seed) * 7) & 0xff);
  return s;
}

}  // namespace

TEST_CASE("hmac_prefix: equals mbedtls_md_hmac for every hash, key length and message length") {
  for (mbedtls_md_type_t type : {MBEDTLS_MD_SHA256, MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA512}) {
    for (size_t key_len : {0, 1, 32, 63, 64, 65, 127, 128, 129, 300}) {
      const std::string key = pattern(key_len, 1);
      auto h = HmacPrefix::make(type, key);
      REQUIRE(h);
      for (size_t msg_len : {0, 1, 55, 64, 111, 128, 1000}) {
        const std::string message = pattern(msg_len, 2);
        CAPTURE(type);
        CAPTURE(key_len);
        CAPTURE(msg_len);
        CHECK(mac_of(*h, message) == reference(type, key, message));
        CHECK(mac_of(*h, message) == reference(type, key, message));  // the prefix is untouched by a MAC
      }
    }
  }
}

TEST_CASE("hmac_prefix: only SHA-2 hashes are taken") {
  CHECK_FALSE(HmacPrefix::make(MBEDTLS_MD_SHA1, "key"));
  CHECK_FALSE(HmacPrefix::make(MBEDTLS_MD_NONE, "key"));
}

TEST_CASE("hmac_prefix: one prefix shared by threads gives each the right MAC") {
  const std::string key = pattern(40, 3);
  auto h256 = HmacPrefix::make(MBEDTLS_MD_SHA256, key);
  auto h512 = HmacPrefix::make(MBEDTLS_MD_SHA512, key);
  REQUIRE(h256);
  REQUIRE(h512);
  std::vector<std::string> messages;
  std::vector<std::string> want256, want512;
  for (int i = 0; i < 8; ++i) {
    messages.push_back(pattern(100 + static_cast<size_t>(i), i));
    want256.push_back(reference(MBEDTLS_MD_SHA256, key, messages.back()));
    want512.push_back(reference(MBEDTLS_MD_SHA512, key, messages.back()));
  }
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      unsigned char mac[MBEDTLS_MD_MAX_SIZE];
      for (int round = 0; round < 2000; ++round) {
        const size_t i = static_cast<size_t>(round + t) % messages.size();
        const bool ok256 = h256->mac(messages[i], mac) && std::string(reinterpret_cast<char*>(mac), 32) == want256[i];
        const bool ok512 = h512->mac(messages[i], mac) && std::string(reinterpret_cast<char*>(mac), 64) == want512[i];
        wrong[static_cast<size_t>(t)] += !ok256 + !ok512;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(wrong == std::vector<int>(4, 0));
}
#endif  // APIGW_WITH_TLS
