// Helpers for the jwt tests: base64url, HS256 tokens signed here (for claims
// tests; the algorithms themselves are checked against independently made
// vectors in jwt_signature_test.cpp), and the fixture vectors.
#pragma once

#include <mbedtls/md.h>
#include <simdjson.h>

#include <string>
#include <string_view>

namespace apigw::test {

inline std::string b64url(std::string_view in) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += a[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += a[(acc << (6 - bits)) & 63];
  return out;
}

inline const std::string kSecret = "0123456789abcdef0123456789abcdef";  // 32 bytes: HS256's minimum

inline std::string hs256(std::string_view signing_input, std::string_view secret = kSecret) {
  unsigned char mac[32];
  mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), reinterpret_cast<const unsigned char*>(secret.data()),
                  secret.size(), reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(),
                  mac);
  return std::string(reinterpret_cast<char*>(mac), sizeof mac);
}

// A token with these header and claims JSON texts, signed with HS256.
inline std::string make_token(std::string_view header_json, std::string_view claims_json,
                              std::string_view secret = kSecret) {
  std::string input = b64url(header_json) + "." + b64url(claims_json);
  return input + "." + b64url(hs256(input, secret));
}

inline std::string fixture_path(std::string_view name) {
  return std::string(APIGW_SOURCE_DIR) + "/tests/fixtures/jwt/" + std::string(name);
}

}  // namespace apigw::test
