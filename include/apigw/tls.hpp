// TLS options of listeners and upstreams (SPEC.md section 2, `tls`).
//
// Built only with APIGW_WITH_TLS (mbedTLS); without it, a builder that asks
// for TLS is refused at build() with a clear error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace apigw {

// One certificate (full chain, leaf first) and its private key, PEM files.
struct TlsCertificate {
  std::string cert_file;
  std::string key_file;
  std::string key_password;  // for an encrypted key; "" = none
  // Names this certificate serves (exact, or "*.example.com" for one label).
  // Empty: a default certificate, served to clients that name no server or
  // a server no other certificate names. RSA and ECDSA certificates may
  // share names: the client's cipher suites choose.
  std::vector<std::string> server_names;
};

enum class ClientAuth : uint8_t { kNone, kOptional, kRequired };

struct ListenerTlsOptions {
  std::vector<TlsCertificate> certificates;
  std::string min_version = "1.2";   // "1.2" or "1.3" (1.3 needs mbedTLS 3)
  std::vector<std::string> ciphers;  // IANA names; empty = AEAD suites with forward secrecy
  uint32_t handshake_timeout_ms = 10000;
  bool session_tickets = true;
  uint32_t session_ticket_lifetime_ms = 3600000;  // ticket keys rotate this often
  ClientAuth client_auth = ClientAuth::kNone;
  std::string client_ca_file;        // needed unless client_auth is kNone
  // When set, the verified client certificate's subject is passed to
  // upstreams in this request header (any value the client sent is removed).
  std::string client_subject_header;
  // The certificate files are checked for changes this often; 0 = never.
  uint32_t reload_check_ms = 5000;
};

struct UpstreamTlsOptions {
  std::string server_name;  // SNI and the name verified; "" = the target's host
  std::string ca_file;      // "" = the system store
  bool verify = true;       // false: encrypt only (tests, never production)
  std::string cert_file;    // client certificate for mTLS to the origin; "" = none
  std::string key_file;
};

}  // namespace apigw
