#include "net/tls_client_context.hpp"

#if APIGW_WITH_TLS
#include <mbedtls/version.h>
#include <unistd.h>

#include "net/tls_errors.hpp"
#include "net/tls_random.hpp"
#include "net/tls_server_context.hpp"

namespace apigw::net {

namespace {
// Debian's bundle of the system's trusted CAs (package ca-certificates).
constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";
constexpr const char* kSystemDir = "/etc/ssl/certs";
}  // namespace

TlsClientContext::TlsClientContext() {
  mbedtls_x509_crt_init(&ca_);
  mbedtls_x509_crt_init(&own_cert_);
  mbedtls_pk_init(&own_key_);
  mbedtls_ssl_config_init(&conf_);
}

TlsClientContext::~TlsClientContext() {
  mbedtls_ssl_config_free(&conf_);
  mbedtls_pk_free(&own_key_);
  mbedtls_x509_crt_free(&own_cert_);
  mbedtls_x509_crt_free(&ca_);
}

Result<std::shared_ptr<const TlsClientContext>> TlsClientContext::create(const UpstreamTlsOptions& options) {
  tls_library_init();
  std::shared_ptr<TlsClientContext> ctx(new TlsClientContext());
  ctx->options_ = options;
  if (Status st = ctx->load(); !st) return std::move(st).with_context("tls");
  return std::shared_ptr<const TlsClientContext>(std::move(ctx));
}

Status TlsClientContext::load() {
  const UpstreamTlsOptions& o = options_;
  if (int rc = mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT);
      rc != 0)
    return Status(Code::kInternal, tls_error_text(rc));
  mbedtls_ssl_conf_rng(&conf_, tls_random, nullptr);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
  mbedtls_ssl_conf_min_tls_version(&conf_, MBEDTLS_SSL_VERSION_TLS1_2);
#else
  mbedtls_ssl_conf_min_version(&conf_, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
  for (const std::string& name : default_tls_ciphers())
    if (int id = tls_cipher_id(name); id != 0) ciphers_.push_back(id);
  ciphers_.push_back(0);
  mbedtls_ssl_conf_ciphersuites(&conf_, ciphers_.data());
  set_tls_groups(&conf_);
  static const char* alpn[] = {"http/1.1", nullptr};
  mbedtls_ssl_conf_alpn_protocols(&conf_, alpn);

  for (const std::string* f : {&o.ca_file, &o.cert_file, &o.key_file})
    if (!f->empty())
      if (std::string why = unreadable(*f); !why.empty())
        return Status(Code::kInvalidArgument, "file \"" + *f + "\": " + why);
  if (o.verify) {
    int rc;
    if (!o.ca_file.empty()) {
      rc = mbedtls_x509_crt_parse_file(&ca_, o.ca_file.c_str());
      if (rc != 0) return Status(Code::kInvalidArgument, "ca_file \"" + o.ca_file + "\": " + tls_error_text(rc));
    } else {
      // The system store: some certificates in it may not parse (rc > 0); enough is enough.
      rc = ::access(kSystemBundle, R_OK) == 0 ? mbedtls_x509_crt_parse_file(&ca_, kSystemBundle)
                                              : mbedtls_x509_crt_parse_path(&ca_, kSystemDir);
      if (rc < 0 || ca_.version == 0)
        return Status(Code::kInvalidArgument, "no ca_file, and the system store (" + std::string(kSystemBundle) +
                                                  ") could not be read");
    }
    mbedtls_ssl_conf_ca_chain(&conf_, &ca_, nullptr);
    mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_REQUIRED);
  } else {
    mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_NONE);
  }

  if (!o.cert_file.empty()) {
    if (int rc = mbedtls_x509_crt_parse_file(&own_cert_, o.cert_file.c_str()); rc != 0)
      return Status(Code::kInvalidArgument, "cert_file \"" + o.cert_file + "\": " + tls_error_text(rc));
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    int rc = mbedtls_pk_parse_keyfile(&own_key_, o.key_file.c_str(), nullptr, tls_random, nullptr);
#else
    int rc = mbedtls_pk_parse_keyfile(&own_key_, o.key_file.c_str(), nullptr);
#endif
    if (rc != 0) return Status(Code::kInvalidArgument, "key_file \"" + o.key_file + "\": " + tls_error_text(rc));
    if (int rc2 = mbedtls_ssl_conf_own_cert(&conf_, &own_cert_, &own_key_); rc2 != 0)
      return Status(Code::kInvalidArgument, "cert_file: " + tls_error_text(rc2));
  }
  return Status();
}

}  // namespace apigw::net
#endif
