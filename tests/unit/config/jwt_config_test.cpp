// The jwt policy from the JSON config: keys from secrets, files and JWKS
// files, and every error at its pointer.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <fstream>
#include <string>

#include "config/config_loader.hpp"
#include "unit/config/config_errors.hpp"

namespace {

using apigw::config::LoadResult;
using apigw::test::has_error;

std::string config(std::string policy) {
  return R"({"listeners": [{"address": "127.0.0.1:0"}], "consumers": [{"id": "alice"}], "policies": [)" + policy +
         R"(], "routes": [{"name": "r", "match": {"path": "/"}, "policies": ["auth"], "handler": "echo"}]})";
}

}  // namespace

#ifdef APIGW_WITH_TLS
TEST_CASE("config: jwt keys come inline, from the environment, from PEM and JWKS files") {
  ::setenv("APIGW_TEST_JWT", "0123456789abcdef0123456789abcdef", 1);
  const std::string dir = std::string(APIGW_SOURCE_DIR) + "/tests/fixtures/jwt";
  LoadResult r = apigw::config::load(config(R"(
    {"name": "auth", "type": "jwt", "keys": [{"kid": "k1", "alg": "HS256", "secret_env": "APIGW_TEST_JWT"}],
     "issuer": "https://id.example", "audience": ["api", "web"], "leeway_ms": 0, "required_scopes": ["read"],
     "consumer_claim": "sub", "from": {"cookie": "session"}, "algorithms": ["RS256", "ES256"],
     "jwks_url": "http://127.0.0.1:1/jwks", "jwks_refresh_ms": 60000, "jwks_min_refresh_ms": 1000})"), dir);
  CHECK_MESSAGE(r.errors.empty(), apigw::test::dump(r));
}

TEST_CASE("config: jwt errors are reported at their pointers") {
  LoadResult r = apigw::config::load(config(R"(
    {"name": "auth", "type": "jwt",
     "keys": [{"kid": "a", "alg": "HS265", "secret": "0123456789abcdef0123456789abcdef"},
              {"kid": "b", "alg": "HS256", "secret": "short"},
              {"kid": "c", "alg": "RS256", "secret": "0123456789abcdef0123456789abcdef"},
              {"kid": "d", "alg": "RS256", "public_key_pem": "nope"},
              {"kid": "e", "alg": "HS256"},
              {"kid": "f", "alg": "ES256", "public_key_file": "missing.pem"}],
     "jwks_url": "https://id.example/jwks", "jwks_file": "missing.json", "from": {"header": "a", "query": "b"},
     "issuer": [], "consumer_claim": "", "leeway": 5})"));
  CHECK_ERROR(r, "/policies/0/keys/0/alg", "unknown algorithm \"HS265\"");
  CHECK_ERROR(r, "/policies/0/keys/0/alg", "(did you mean \"HS256\"?)");
  CHECK_ERROR(r, "/policies/0/keys/1", "HS256 needs a secret of at least 32 bytes");
  CHECK_ERROR(r, "/policies/0/keys/2/alg", "RS256 needs a public key");
  CHECK_ERROR(r, "/policies/0/keys/3", "not a PEM or DER public key");
  CHECK_ERROR(r, "/policies/0/keys/4", "give exactly one of");
  CHECK_ERROR(r, "/policies/0/keys/5/public_key_file", "cannot read");
  CHECK_ERROR(r, "/policies/0/jwks_url", "must be an http:// URL");
  CHECK_ERROR(r, "/policies/0/jwks_file", "cannot read");
  CHECK_ERROR(r, "/policies/0/from", "exactly one of");
  CHECK_ERROR(r, "/policies/0/issuer", "non-empty list");
  CHECK_ERROR(r, "/policies/0/consumer_claim", "must not be empty");
  CHECK_ERROR(r, "/policies/0/leeway", "unknown key \"leeway\"");

  LoadResult none = apigw::config::load(config(R"({"name": "auth", "type": "jwt"})"));
  CHECK_ERROR(none, "/policies/0", "needs keys");
}
#else
TEST_CASE("config: jwt is refused clearly without mbedTLS") {
  LoadResult r = apigw::config::load(config(R"({"name": "auth", "type": "jwt"})"));
  CHECK_ERROR(r, "/policies/0/type", "jwt needs mbedTLS");
}
#endif
