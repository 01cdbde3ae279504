// Listener "tls" in the JSON config: options reach the builder, mistakes are
// reported at their JSON pointer. (Certificates themselves are read when the
// gateway is built: the system tests cover that.)
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "config/config_loader.hpp"
#include "unit/config/config_errors.hpp"
#include "core/builder_state.hpp"

namespace {

using apigw::config::LoadResult;
using apigw::test::dump;
using apigw::test::has_error;


LoadResult load_tls(std::string_view tls) {
  return apigw::config::load(R"({"listeners": [{"name": "l", "address": "127.0.0.1:0", "tls": )" + std::string(tls) +
                                 R"(}], "routes": []})",
                             "/etc/apigw");
}

}  // namespace

#if APIGW_WITH_TLS

TEST_CASE("config tls: options reach the builder, paths resolved against the config's directory") {
  LoadResult r = load_tls(R"({"certificates": [{"cert_file": "site.pem", "key_file": "/keys/site.key",
                                               "server_names": ["api.example.com", "*.example.org"]},
                                              {"cert_file": "default.pem", "key_file": "default.key"}],
                             "min_version": "1.2", "ciphers": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
                             "handshake_timeout_ms": 2500, "session_tickets": false,
                             "client_auth": "optional", "client_ca_file": "clients.pem",
                             "client_subject_header": "x-client-subject", "reload_check_ms": 0})");
  REQUIRE_MESSAGE(r.ok(), dump(r));
  const auto& tls = r.builder.state().listeners.at(0).tls;
  REQUIRE(tls.has_value());
  REQUIRE(tls->certificates.size() == 2);
  CHECK(tls->certificates[0].cert_file == "/etc/apigw/site.pem");
  CHECK(tls->certificates[0].key_file == "/keys/site.key");
  CHECK(tls->certificates[0].server_names.size() == 2);
  CHECK(tls->certificates[1].server_names.empty());
  CHECK(tls->ciphers.size() == 1);
  CHECK(tls->handshake_timeout_ms == 2500);
  CHECK_FALSE(tls->session_tickets);
  CHECK(tls->client_auth == apigw::ClientAuth::kOptional);
  CHECK(tls->client_ca_file == "/etc/apigw/clients.pem");
  CHECK(tls->client_subject_header == "x-client-subject");
  CHECK(tls->reload_check_ms == 0);
}

TEST_CASE("config tls: every mistake is reported where it is") {
  LoadResult r = load_tls(R"({"certificates": [{"cert_file": "", "server_names": ["bad name"]}],
                             "min_version": "1.0", "ciphers": ["TLS_RSA_WITH_NOTHING"], "client_auth": "required",
                             "client_subject_header": "bad header", "sessoin_tickets": true})");
  CHECK_ERROR(r, "/listeners/0/tls/certificates/0/cert_file", "must not be empty");
  CHECK_ERROR(r, "/listeners/0/tls/certificates/0", "missing required key \"key_file\"");
  CHECK_ERROR(r, "/listeners/0/tls/certificates/0/server_names/0", "expected a host name");
  CHECK_ERROR(r, "/listeners/0/tls/min_version", "1.2");
  CHECK_ERROR(r, "/listeners/0/tls/ciphers/0", "unknown cipher suite \"TLS_RSA_WITH_NOTHING\"");
  CHECK_ERROR(r, "/listeners/0/tls/client_auth", "needs client_ca_file");
  CHECK_ERROR(r, "/listeners/0/tls/client_subject_header", "expected a header name");
  CHECK_ERROR(r, "/listeners/0/tls/sessoin_tickets", "did you mean \"session_tickets\"");
}

TEST_CASE("config tls: no certificates") {
  CHECK_ERROR(load_tls(R"({})"), "/listeners/0/tls", "missing required key \"certificates\"");
  CHECK_ERROR(load_tls(R"({"certificates": []})"), "/listeners/0/tls/certificates", "at least one certificate");
}

#else

TEST_CASE("config tls: refused by a build without TLS") {
  CHECK_ERROR(load_tls(R"({"certificates": []})"), "/listeners/0/tls", "TLS is not in this build");
}

#endif
