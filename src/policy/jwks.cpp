#ifdef APIGW_WITH_TLS  // mbedTLS does the cryptography
#include "policy/jwks.hpp"

#include <simdjson.h>

#include "policy/jwt_token.hpp"

namespace apigw::policy::jwt {
namespace {

constexpr size_t kMaxKeys = 64;  // beyond, a token without kid would be tried against too many

std::string member(simdjson::dom::object jwk, std::string_view name) {
  std::string_view v;
  return jwk[name].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
}

// A base64url member, decoded; nullopt when absent or malformed.
std::optional<std::string> binary(simdjson::dom::object jwk, std::string_view name) {
  std::string_view v;
  if (jwk[name].get(v) != simdjson::SUCCESS || v.empty()) return std::nullopt;
  return base64url_decode(v);
}

Result<KeyPtr> read_key(simdjson::dom::object jwk, AlgMask accepted) {
  const std::string kid = member(jwk, "kid");
  const std::string kty = member(jwk, "kty");
  auto fail = [](std::string why) { return Status(Code::kInvalidArgument, std::move(why)); };
  if (jwk["use"].error() == simdjson::SUCCESS && member(jwk, "use") != "sig") return fail("\"use\" is not \"sig\"");
  if (simdjson::dom::array ops; jwk["key_ops"].get(ops) == simdjson::SUCCESS) {
    bool verify = false;
    for (auto op : ops) {
      std::string_view name;
      verify = verify || (op.get(name) == simdjson::SUCCESS && name == "verify");
    }
    if (!verify) return fail("\"key_ops\" has no \"verify\"");
  }
  KeyType type;
  if (kty == "RSA") type = KeyType::kRsa;
  else if (kty == "EC") type = KeyType::kEc;
  else if (kty == "oct") type = KeyType::kOct;
  else return fail("kty \"" + kty + "\" is not RSA, EC or oct");

  AlgMask algs = accepted & algs_of_type(type);
  if (jwk["alg"].error() == simdjson::SUCCESS) {
    auto alg = alg_from_name(member(jwk, "alg"));
    if (!alg || key_type_of(*alg) != type) return fail("alg \"" + member(jwk, "alg") + "\" does not fit kty " + kty);
    algs = accepted & alg_bit(*alg);
  } else if (type == KeyType::kOct) {
    return fail("an oct key needs \"alg\"");
  } else if (type == KeyType::kEc) {
    algs &= alg_bit(member(jwk, "crv") == "P-384" ? Alg::kES384 : Alg::kES256);
  }
  if (algs == 0) return fail("its algorithm is not in the policy's \"algorithms\"");

  if (type == KeyType::kOct) {
    auto k = binary(jwk, "k");
    if (!k) return fail("\"k\" is missing or not base64url");
    return Key::hmac(kid, std::move(*k), algs);
  }
  if (type == KeyType::kRsa) {
    auto n = binary(jwk, "n");
    auto e = binary(jwk, "e");
    if (!n || !e) return fail("\"n\" or \"e\" is missing or not base64url");
    return Key::rsa(kid, *n, *e, algs);
  }
  auto x = binary(jwk, "x");
  auto y = binary(jwk, "y");
  if (!x || !y) return fail("\"x\" or \"y\" is missing or not base64url");
  return Key::ec(kid, member(jwk, "crv"), *x, *y, algs);
}

}  // namespace

Result<KeySetPtr> parse_jwks(std::string_view json, AlgMask accepted, std::vector<std::string>* skipped) {
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  simdjson::dom::array keys;
  try {
    simdjson::padded_string padded(json);
    if (parser.parse(padded).get(doc) != simdjson::SUCCESS)
      return Status(Code::kInvalidArgument, "not a JSON object");
  } catch (const std::exception&) {
    return Status(Code::kInvalidArgument, "not a JSON object");
  }
  if (doc["keys"].get(keys) != simdjson::SUCCESS)
    return Status(Code::kInvalidArgument, "not a JWK Set: no \"keys\" array");
  auto set = std::make_shared<KeySet>();
  size_t i = 0;
  for (auto item : keys) {
    const std::string at = "keys[" + std::to_string(i++) + "]";
    simdjson::dom::object jwk;
    Result<KeyPtr> key = item.get(jwk) == simdjson::SUCCESS ? read_key(jwk, accepted)
                                                             : Status(Code::kInvalidArgument, "not an object");
    if (key && set->keys.size() == kMaxKeys) key = Status(Code::kInvalidArgument, "more than 64 keys");
    if (key) set->keys.push_back(std::move(key.value()));
    else if (skipped) skipped->push_back(at + ": " + std::string(key.status().message()));
  }
  return KeySetPtr(std::move(set));
}

}  // namespace apigw::policy::jwt
#endif  // APIGW_WITH_TLS
