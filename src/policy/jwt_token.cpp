#ifdef APIGW_WITH_TLS  // mbedTLS does the cryptography
#include "policy/jwt_token.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace apigw::policy::jwt {
namespace {

constexpr std::array<int8_t, 256> kDecode = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}();

// RFC 7515 and 7519 do not say what to do with duplicate member names; one
// parser taking the first and another the last is how a token says two
// things. Refused. Objects with more members than this are refused too.
constexpr size_t kMaxMembers = 128;

bool has_duplicates(simdjson::dom::object obj) noexcept {
  std::array<std::string_view, kMaxMembers> keys;
  size_t n = 0;
  for (auto field : obj) {
    if (n == kMaxMembers) return true;
    keys[n++] = field.key;
  }
  std::sort(keys.begin(), keys.begin() + static_cast<ptrdiff_t>(n));
  return std::adjacent_find(keys.begin(), keys.begin() + static_cast<ptrdiff_t>(n)) != keys.begin() + static_cast<ptrdiff_t>(n);
}

TokenError check_header(simdjson::dom::object header, Token* out, char* kid_buffer) noexcept {
  if (has_duplicates(header)) return TokenError::kHeader;
  std::string_view alg;
  if (header["alg"].get(alg) != simdjson::SUCCESS) return TokenError::kHeader;
  auto known = alg_from_name(alg);
  if (!known) return TokenError::kAlgorithm;  // "none" included
  out->alg = *known;
  for (const char* embedded : {"jwk", "jku", "x5u", "x5c"})
    if (header[embedded].error() == simdjson::SUCCESS) return TokenError::kEmbeddedKey;
  if (header["crit"].error() == simdjson::SUCCESS) return TokenError::kCritical;
  auto kid = header["kid"];
  if (kid.error() == simdjson::SUCCESS) {
    std::string_view k;
    if (kid.get(k) != simdjson::SUCCESS || k.size() > kMaxKidBytes) return TokenError::kHeader;
    std::memcpy(kid_buffer, k.data(), k.size());  // the parser's strings go with its next parse
    out->kid = std::string_view(kid_buffer, k.size());
    out->has_kid = true;
  }
  return TokenError::kNone;
}

}  // namespace

std::optional<size_t> base64url_decode(std::string_view in, char* out) noexcept {
  if (in.size() % 4 == 1) return std::nullopt;
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    int8_t v = kDecode[c];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-canonical tail
  return n;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out(in.size() * 3 / 4 + 1, '\0');
  auto n = base64url_decode(in, out.data());
  if (!n) return std::nullopt;
  out.resize(*n);
  return out;
}

std::string_view token_error_text(TokenError e) noexcept {
  switch (e) {
    case TokenError::kNone: return "ok";
    case TokenError::kTooLarge: return "the token is too large";
    case TokenError::kSegments: return "the token is not three base64url segments";
    case TokenError::kBase64: return "the token is not valid base64url";
    case TokenError::kHeader: return "the token header is malformed";
    case TokenError::kAlgorithm: return "the token algorithm is not accepted";
    case TokenError::kEmbeddedKey: return "keys embedded in the token header are not accepted";
    case TokenError::kCritical: return "the token has critical header extensions";
    case TokenError::kClaims: return "the token claims are malformed";
  }
  return "invalid token";
}

TokenError parse_token(std::string_view text, TokenBuffer& buffer, simdjson::dom::parser& parser, Token* out) noexcept {
  if (text.size() > kMaxTokenBytes) return TokenError::kTooLarge;
  const size_t dot1 = text.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : text.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || text.find('.', dot2 + 1) != std::string_view::npos)
    return TokenError::kSegments;
  std::string_view h = text.substr(0, dot1), c = text.substr(dot1 + 1, dot2 - dot1 - 1), s = text.substr(dot2 + 1);
  if (h.empty() || c.empty() || s.empty()) return TokenError::kSegments;
  auto hn = base64url_decode(h, buffer.header);
  auto cn = base64url_decode(c, buffer.claims);
  auto sn = base64url_decode(s, buffer.signature);
  if (!hn || !cn || !sn) return TokenError::kBase64;
  std::memset(buffer.header + *hn, 0, simdjson::SIMDJSON_PADDING);
  std::memset(buffer.claims + *cn, 0, simdjson::SIMDJSON_PADDING);
  simdjson::dom::object header;
  try {
    if (parser.parse(buffer.header, *hn, false).get(header) != simdjson::SUCCESS) return TokenError::kHeader;
  } catch (...) {
    return TokenError::kHeader;  // the parser could not grow its buffers
  }
  *out = Token{};
  if (TokenError e = check_header(header, out, buffer.kid); e != TokenError::kNone) return e;
  out->signing_input = text.substr(0, dot2);
  out->claims = std::string_view(buffer.claims, *cn);
  out->signature = std::string_view(buffer.signature, *sn);
  return TokenError::kNone;
}

TokenError parse_claims(const Token& token, simdjson::dom::parser& parser, simdjson::dom::object* out) noexcept {
  try {
    if (parser.parse(token.claims.data(), token.claims.size(), false).get(*out) != simdjson::SUCCESS)
      return TokenError::kClaims;
  } catch (...) {
    return TokenError::kClaims;
  }
  return has_duplicates(*out) ? TokenError::kClaims : TokenError::kNone;
}

}  // namespace apigw::policy::jwt
#endif  // APIGW_WITH_TLS
