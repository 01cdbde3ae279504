// JWK Sets (RFC 7517) -> verification keys. RSA (n, e), EC (crv P-256 or
// P-384, x, y) and oct (k) keys; each is pinned to algorithms: its "alg"
// when given, else the algorithms of its type that the policy accepts
// (oct keys must name theirs: a bare secret says nothing of its use).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "apigw/status.hpp"
#include "policy/jwt_key.hpp"

namespace apigw::policy::jwt {

struct KeySet {
  std::vector<KeyPtr> keys;
};
using KeySetPtr = std::shared_ptr<const KeySet>;

// Keys with "use" other than "sig", "key_ops" without "verify", or an
// algorithm outside `accepted` are left out, as are keys that cannot be
// read; each left-out key adds a line to *skipped. An error only when the
// document is not a JWK Set at all.
Result<KeySetPtr> parse_jwks(std::string_view json, AlgMask accepted, std::vector<std::string>* skipped);

}  // namespace apigw::policy::jwt
