// Fuzzes token parsing and signature checks: arbitrary bytes as a token,
// parsed, its claims parsed, and verified against one key of each type.
// Besides crashes it traps when a token verifies (no input can forge a
// signature, so a pass means a check was skipped).
#include <cstdint>
#include <memory>
#include <string_view>

#include "policy/jwt_token.hpp"

namespace {

namespace jwt = apigw::policy::jwt;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

// The P-256 generator as a public key: any valid point serves.
constexpr unsigned char kX[32] = {0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6,
                                  0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb,
                                  0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96};
constexpr unsigned char kY[32] = {0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb,
                                  0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31,
                                  0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};

struct Keys {
  jwt::KeyPtr hmac, ec;
};

const Keys& keys() {
  static const Keys k = [] {
    Keys out;
    out.hmac = jwt::Key::hmac("h", std::string(64, 's'), jwt::algs_of_type(jwt::KeyType::kOct)).value();
    out.ec = jwt::Key::ec("e", "P-256", std::string_view(reinterpret_cast<const char*>(kX), 32),
                          std::string_view(reinterpret_cast<const char*>(kY), 32), jwt::alg_bit(jwt::Alg::kES256))
                 .value();
    return out;
  }();
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static simdjson::dom::parser parser;
  auto buffer = std::make_unique<jwt::TokenBuffer>();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  jwt::Token token;
  if (jwt::parse_token(text, *buffer, parser, &token) != jwt::TokenError::kNone) return 0;
  require(token.signing_input.size() < size && token.kid.size() <= jwt::kMaxKidBytes);
  require(!keys().hmac->verify(token.alg, token.signing_input, token.signature));
  require(!keys().ec->verify(token.alg, token.signing_input, token.signature));
  simdjson::dom::object claims;
  (void)jwt::parse_claims(token, parser, &claims);
  return 0;
}
