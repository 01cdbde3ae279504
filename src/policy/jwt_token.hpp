// JWS compact tokens (RFC 7515, 7519): base64url, the split into header,
// claims and signature, and the JSON of the first two. Parsing only: the
// signature is checked by jwt::Key, the claims' values by the jwt policy.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "policy/jwt_key.hpp"

namespace apigw::policy::jwt {

inline constexpr size_t kMaxTokenBytes = 8192;
inline constexpr size_t kMaxKidBytes = 256;

// Strict base64url: the URL-safe alphabet, no padding, no spaces, and the
// unused low bits of the last character zero (one token, one spelling).
// Returns the decoded length, or nullopt; `out` holds at least in.size() * 3 / 4.
std::optional<size_t> base64url_decode(std::string_view in, char* out) noexcept;
std::optional<std::string> base64url_decode(std::string_view in);

enum class TokenError : uint8_t {
  kNone,
  kTooLarge,           // more than kMaxTokenBytes
  kSegments,           // not three '.'-separated segments
  kBase64,             // a segment is not strict base64url
  kHeader,             // the header is not a JSON object, has duplicate members, no alg string, a bad kid
  kAlgorithm,          // alg "none" or one this gateway does not verify
  kEmbeddedKey,        // jwk, jku, x5u or x5c: keys come from the config, never from the token
  kCritical,           // crit: no extension is understood, so any is refused (RFC 7515 4.1.11)
  kClaims,             // the claims are not a JSON object, or have duplicate members
};
std::string_view token_error_text(TokenError e) noexcept;

// Room for one decoded token; its views point in here and into the text.
struct TokenBuffer {
  char header[kMaxTokenBytes + simdjson::SIMDJSON_PADDING];
  char claims[kMaxTokenBytes + simdjson::SIMDJSON_PADDING];
  char signature[kMaxTokenBytes];
  char kid[kMaxKidBytes];
};

struct Token {
  std::string_view signing_input;  // "header.claims" as sent
  Alg alg = Alg::kHS256;
  bool has_kid = false;
  std::string_view kid;        // into TokenBuffer::kid
  std::string_view claims;     // decoded JSON, padded for simdjson
  std::string_view signature;  // decoded
};

// Splits, decodes and checks the header of `text`.
TokenError parse_token(std::string_view text, TokenBuffer& buffer, simdjson::dom::parser& parser, Token* out) noexcept;

// Parses the claims of a parsed token; the object lives until `parser` parses again.
TokenError parse_claims(const Token& token, simdjson::dom::parser& parser, simdjson::dom::object* out) noexcept;

}  // namespace apigw::policy::jwt
