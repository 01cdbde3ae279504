// TlsClientContext: how a worker speaks TLS to one upstream's targets (CA to
// verify against, client certificate for mTLS), loaded once per (re)load and
// shared by every worker's connections to that upstream.
#pragma once

#if APIGW_WITH_TLS
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <memory>
#include <string>
#include <vector>

#include "apigw/status.hpp"
#include "apigw/tls.hpp"

namespace apigw::net {

class TlsClientContext {
 public:
  static Result<std::shared_ptr<const TlsClientContext>> create(const UpstreamTlsOptions& options);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  const mbedtls_ssl_config* config() const { return &conf_; }
  const UpstreamTlsOptions& options() const { return options_; }

 private:
  TlsClientContext();
  Status load();

  UpstreamTlsOptions options_;
  mbedtls_x509_crt ca_;
  mbedtls_x509_crt own_cert_;
  mbedtls_pk_context own_key_;
  std::vector<int> ciphers_;
  mbedtls_ssl_config conf_;
};

}  // namespace apigw::net
#endif
