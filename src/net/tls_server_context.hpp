// TlsServerContext: one listener's certificates and TLS settings, loaded once
// and shared by every worker's handshakes (read-only; mbedTLS locks what a
// handshake may touch, the keys' blinding state and the ticket keys).
//
// A reload or a certificate change on disk builds a new context; open
// connections keep the one they were made with.
#pragma once

#if APIGW_WITH_TLS
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>
#endif

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "apigw/status.hpp"
#include "apigw/tls.hpp"
#include "net/tls_failures.hpp"

namespace apigw::net {

#if APIGW_WITH_TLS

// Session ticket keys; kept across reloads so tickets stay valid. mbedTLS
// rotates the key every lifetime and accepts the previous one.
class TlsTicketKeys {
 public:
  static Result<std::shared_ptr<TlsTicketKeys>> create(uint32_t lifetime_ms);
  ~TlsTicketKeys();
  mbedtls_ssl_ticket_context* get() { return &ctx_; }
  uint32_t lifetime_ms() const { return lifetime_ms_; }

 private:
  TlsTicketKeys() = default;
  mbedtls_ssl_ticket_context ctx_;
  uint32_t lifetime_ms_ = 0;
};

class TlsServerContext {
 public:
  // Reads and checks every file; the error names the file, never key bytes.
  // `tickets` may be null when session tickets are off.
  static Result<std::shared_ptr<const TlsServerContext>> create(const ListenerTlsOptions& options,
                                                               std::shared_ptr<TlsTicketKeys> tickets);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  const mbedtls_ssl_config* config() const { return &conf_; }
  const ListenerTlsOptions& options() const { return options_; }

  // Why the SNI callback refused the last handshake step on this thread
  // (reset by the call); see TlsServerTransport.
  static bool take_sni_refusal() noexcept;

 private:
  struct Certificate {
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
  };

  TlsServerContext();
  Status load(std::shared_ptr<TlsTicketKeys> tickets);
  Status load_certificate(const TlsCertificate& c, Certificate& out);
  static int on_sni(void* self, mbedtls_ssl_context* ssl, const unsigned char* name, size_t len);

  ListenerTlsOptions options_;
  std::vector<std::unique_ptr<Certificate>> certificates_;
  // Lower-case name (exact) or the suffix after "*." (wildcard) -> certificates.
  std::unordered_map<std::string, std::vector<const Certificate*>> exact_;
  std::unordered_map<std::string, std::vector<const Certificate*>> wildcard_;
  bool explicit_default_ = false;
  mbedtls_x509_crt client_ca_;
  std::vector<int> ciphers_;  // zero-terminated; the config points into it
  std::shared_ptr<TlsTicketKeys> tickets_;
  mbedtls_ssl_config conf_;
};

// Default cipher suites: AEAD with ECDHE key exchange only.
const std::vector<std::string>& default_tls_ciphers();
// The key exchange groups, fastest first (mbedTLS prefers its own order, and
// its default starts at P-521, several times slower than P-256).
void set_tls_groups(mbedtls_ssl_config* conf);
// An IANA (TLS_ECDHE_...) or mbedTLS (TLS-ECDHE-...) suite name this build knows.
bool known_tls_cipher(const std::string& name);
// Its mbedTLS id; 0 when unknown.
int tls_cipher_id(const std::string& name);

#endif  // APIGW_WITH_TLS

// Checks listener options without reading files (the builder's validate()).
Status check_listener_tls(const ListenerTlsOptions& options);

}  // namespace apigw::net
