#include "net/tls_server_context.hpp"

#include <algorithm>

#if APIGW_WITH_TLS
#include <mbedtls/version.h>
#endif

#include "net/tls_errors.hpp"
#include "net/tls_random.hpp"

namespace apigw::net {

const char* tls_failure_name(TlsFailure f) noexcept {
  switch (f) {
    case TlsFailure::kNotTls: return "not_tls";
    case TlsFailure::kTimeout: return "timeout";
    case TlsFailure::kTruncated: return "truncated";
    case TlsFailure::kUnknownServerName: return "unknown_server_name";
    case TlsFailure::kClientCertificate: return "client_certificate";
    case TlsFailure::kVersion: return "version";
    case TlsFailure::kNoSharedCipher: return "no_shared_cipher";
    case TlsFailure::kProtocol: return "protocol";
  }
  return "protocol";
}


#if APIGW_WITH_TLS

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string check_server_name(const std::string& n) {
  std::string_view host = n;
  if (host.rfind("*.", 0) == 0) host.remove_prefix(2);
  if (host.empty() || host.size() > 253) return "must be a host name or *.domain";
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return "must be a host name or *.domain";
  }
  return "";
}

// IANA names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) or mbedTLS names
// (TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256): the suite id, 0 when unknown.
int cipher_id(const std::string& name) {
  std::string n = name;
  std::replace(n.begin(), n.end(), '_', '-');
  if (n.rfind("TLS-AES-", 0) == 0 || n.rfind("TLS-CHACHA20-", 0) == 0) n = "TLS1-3-" + n.substr(4);  // TLS 1.3 suites
  return mbedtls_ssl_get_ciphersuite_id(n.c_str());
}

thread_local bool sni_refused = false;

}  // namespace

const std::vector<std::string>& default_tls_ciphers() {
  static const std::vector<std::string> list = {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
      "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
#endif
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
  };
  return list;
}

void set_tls_groups(mbedtls_ssl_config* conf) {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
  static const uint16_t groups[] = {MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1, MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
                                    MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1, MBEDTLS_SSL_IANA_TLS_GROUP_NONE};
  mbedtls_ssl_conf_groups(conf, groups);
#else
  static const mbedtls_ecp_group_id curves[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_CURVE25519,
                                                MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE};
  mbedtls_ssl_conf_curves(conf, curves);
#endif
}

bool known_tls_cipher(const std::string& name) { return cipher_id(name) != 0; }
int tls_cipher_id(const std::string& name) { return cipher_id(name); }

Result<std::shared_ptr<TlsTicketKeys>> TlsTicketKeys::create(uint32_t lifetime_ms) {
  tls_library_init();
  std::shared_ptr<TlsTicketKeys> keys(new TlsTicketKeys());
  mbedtls_ssl_ticket_init(&keys->ctx_);
  keys->lifetime_ms_ = lifetime_ms;
  uint32_t seconds = std::max<uint32_t>(1, lifetime_ms / 1000);
  if (int rc = mbedtls_ssl_ticket_setup(&keys->ctx_, tls_random, nullptr, MBEDTLS_CIPHER_AES_256_GCM, seconds); rc != 0)
    return Status(Code::kInternal, "session tickets: " + tls_error_text(rc));
  return keys;
}

TlsTicketKeys::~TlsTicketKeys() { mbedtls_ssl_ticket_free(&ctx_); }

TlsServerContext::TlsServerContext() {
  mbedtls_x509_crt_init(&client_ca_);
  mbedtls_ssl_config_init(&conf_);
}

TlsServerContext::~TlsServerContext() {
  mbedtls_ssl_config_free(&conf_);
  mbedtls_x509_crt_free(&client_ca_);
  for (auto& c : certificates_) {
    mbedtls_x509_crt_free(&c->chain);
    mbedtls_pk_free(&c->key);
  }
}

Result<std::shared_ptr<const TlsServerContext>> TlsServerContext::create(const ListenerTlsOptions& options,
                                                                       std::shared_ptr<TlsTicketKeys> tickets) {
  if (Status st = check_listener_tls(options); !st) return st;
  tls_library_init();
  std::shared_ptr<TlsServerContext> ctx(new TlsServerContext());
  ctx->options_ = options;
  if (Status st = ctx->load(std::move(tickets)); !st) return st;
  return std::shared_ptr<const TlsServerContext>(std::move(ctx));
}

Status TlsServerContext::load_certificate(const TlsCertificate& c, Certificate& out) {
  for (const std::string* f : {&c.cert_file, &c.key_file})
    if (std::string why = unreadable(*f); !why.empty())
      return Status(Code::kInvalidArgument, (f == &c.cert_file ? "cert_file \"" : "key_file \"") + *f + "\": " + why);
  if (int rc = mbedtls_x509_crt_parse_file(&out.chain, c.cert_file.c_str()); rc != 0)
    return Status(Code::kInvalidArgument, "cert_file \"" + c.cert_file + "\": " + tls_error_text(rc));
  const char* password = c.key_password.empty() ? nullptr : c.key_password.c_str();
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
  int rc = mbedtls_pk_parse_keyfile(&out.key, c.key_file.c_str(), password, tls_random, nullptr);
#else
  int rc = mbedtls_pk_parse_keyfile(&out.key, c.key_file.c_str(), password);
#endif
  // The key's bytes never reach a message: only the file name and mbedTLS's reason.
  if (rc != 0) return Status(Code::kInvalidArgument, "key_file \"" + c.key_file + "\": " + tls_error_text(rc));
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
  rc = mbedtls_pk_check_pair(&out.chain.pk, &out.key, tls_random, nullptr);
#else
  rc = mbedtls_pk_check_pair(&out.chain.pk, &out.key);
#endif
  if (rc != 0)
    return Status(Code::kInvalidArgument,
                  "key_file \"" + c.key_file + "\" does not belong to cert_file \"" + c.cert_file + "\"");
  return Status();
}

Status TlsServerContext::load(std::shared_ptr<TlsTicketKeys> tickets) {
  const ListenerTlsOptions& o = options_;
  std::vector<const Certificate*> defaults;
  for (size_t i = 0; i < o.certificates.size(); ++i) {
    auto cert = std::make_unique<Certificate>();
    mbedtls_x509_crt_init(&cert->chain);
    mbedtls_pk_init(&cert->key);
    certificates_.push_back(std::move(cert));
    Certificate& c = *certificates_.back();
    if (Status st = load_certificate(o.certificates[i], c); !st)
      return std::move(st).with_context("certificates[" + std::to_string(i) + "]");
    if (o.certificates[i].server_names.empty()) defaults.push_back(&c);
    for (const std::string& name : o.certificates[i].server_names) {
      if (name.rfind("*.", 0) == 0) wildcard_[lower(name.substr(2))].push_back(&c);
      else exact_[lower(name)].push_back(&c);
    }
  }
  explicit_default_ = !defaults.empty();
  // Without a default, a client naming no server gets the first certificate.
  if (defaults.empty()) defaults.push_back(certificates_.front().get());

  if (int rc = mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT);
      rc != 0)
    return Status(Code::kInternal, "tls: " + tls_error_text(rc));
  mbedtls_ssl_conf_rng(&conf_, tls_random, nullptr);
  for (const Certificate* c : defaults)
    if (int rc = mbedtls_ssl_conf_own_cert(&conf_, const_cast<mbedtls_x509_crt*>(&c->chain),
                                           const_cast<mbedtls_pk_context*>(&c->key));
        rc != 0)
      return Status(Code::kInternal, "tls: " + tls_error_text(rc));
  mbedtls_ssl_conf_sni(&conf_, on_sni, this);

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
  mbedtls_ssl_conf_min_tls_version(&conf_, o.min_version == "1.3" ? MBEDTLS_SSL_VERSION_TLS1_3
                                                                   : MBEDTLS_SSL_VERSION_TLS1_2);
#else
  mbedtls_ssl_conf_min_version(&conf_, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
  for (const std::string& name : o.ciphers.empty() ? default_tls_ciphers() : o.ciphers)
    if (int id = cipher_id(name); id != 0) ciphers_.push_back(id);
  ciphers_.push_back(0);
  mbedtls_ssl_conf_ciphersuites(&conf_, ciphers_.data());
  set_tls_groups(&conf_);

  static const char* alpn[] = {"http/1.1", nullptr};
  mbedtls_ssl_conf_alpn_protocols(&conf_, alpn);
#ifdef MBEDTLS_SSL_RENEGOTIATION
  mbedtls_ssl_conf_renegotiation(&conf_, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif

  if (o.client_auth != ClientAuth::kNone) {
    if (std::string why = unreadable(o.client_ca_file); !why.empty())
      return Status(Code::kInvalidArgument, "client_ca_file \"" + o.client_ca_file + "\": " + why);
    if (int rc = mbedtls_x509_crt_parse_file(&client_ca_, o.client_ca_file.c_str()); rc != 0)
      return Status(Code::kInvalidArgument, "client_ca_file \"" + o.client_ca_file + "\": " + tls_error_text(rc));
    mbedtls_ssl_conf_ca_chain(&conf_, &client_ca_, nullptr);
    mbedtls_ssl_conf_authmode(&conf_, o.client_auth == ClientAuth::kRequired ? MBEDTLS_SSL_VERIFY_REQUIRED
                                                                             : MBEDTLS_SSL_VERIFY_OPTIONAL);
  } else {
    mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_NONE);
  }

  tickets_ = std::move(tickets);
  if (tickets_)
    mbedtls_ssl_conf_session_tickets_cb(&conf_, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse, tickets_->get());
  else
    mbedtls_ssl_conf_session_tickets(&conf_, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
  return Status();
}

// Exact names win over wildcards; an unknown name gets the defaults if any
// were configured, else the handshake fails (a certificate for another name
// would only fail the client's verification later).
int TlsServerContext::on_sni(void* self, mbedtls_ssl_context* ssl, const unsigned char* name, size_t len) {
  auto* ctx = static_cast<TlsServerContext*>(self);
  std::string host = lower(std::string_view(reinterpret_cast<const char*>(name), len));
  const std::vector<const Certificate*>* found = nullptr;
  if (auto it = ctx->exact_.find(host); it != ctx->exact_.end()) {
    found = &it->second;
  } else if (size_t dot = host.find('.'); dot != std::string::npos && dot > 0) {
    if (auto w = ctx->wildcard_.find(host.substr(dot + 1)); w != ctx->wildcard_.end()) found = &w->second;
  }
  if (!found) {
    if (ctx->explicit_default_) return 0;
    sni_refused = true;
    return -1;
  }
  for (const Certificate* c : *found)
    if (mbedtls_ssl_set_hs_own_cert(ssl, const_cast<mbedtls_x509_crt*>(&c->chain),
                                    const_cast<mbedtls_pk_context*>(&c->key)) != 0)
      return -1;
  return 0;
}

bool TlsServerContext::take_sni_refusal() noexcept {
  bool r = sni_refused;
  sni_refused = false;
  return r;
}

#endif  // APIGW_WITH_TLS

Status check_listener_tls(const ListenerTlsOptions& o) {
#if !APIGW_WITH_TLS
  (void)o;
  return Status(Code::kInvalidArgument, "tls: TLS is not in this build (built with APIGW_WITH_TLS=OFF)");
#else
  auto invalid = [](std::string why) { return Status(Code::kInvalidArgument, "tls: " + why); };
  if (o.certificates.empty()) return invalid("at least one certificate is needed");
  for (size_t i = 0; i < o.certificates.size(); ++i) {
    const TlsCertificate& c = o.certificates[i];
    std::string at = "certificates[" + std::to_string(i) + "]: ";
    if (c.cert_file.empty()) return invalid(at + "cert_file is needed");
    if (c.key_file.empty()) return invalid(at + "key_file is needed");
    for (const std::string& n : c.server_names)
      if (std::string why = check_server_name(n); !why.empty()) return invalid(at + "server name \"" + n + "\" " + why);
  }
  if (o.min_version != "1.2" && o.min_version != "1.3")
    return invalid("min_version must be \"1.2\" or \"1.3\", got \"" + o.min_version + "\"");
#if MBEDTLS_VERSION_NUMBER < 0x03000000 || !defined(MBEDTLS_SSL_PROTO_TLS1_3)
  if (o.min_version == "1.3") return invalid("min_version \"1.3\" needs mbedTLS 3 with TLS 1.3 (this build has " MBEDTLS_VERSION_STRING ")");
#endif
  for (const std::string& name : o.ciphers)
    if (cipher_id(name) == 0) return invalid("unknown cipher suite \"" + name + "\"");
  if (o.client_auth != ClientAuth::kNone && o.client_ca_file.empty())
    return invalid("client_auth \"optional\" or \"required\" needs client_ca_file");
  if (o.handshake_timeout_ms == 0) return invalid("handshake_timeout_ms must be at least 1");
  return Status();
#endif
}

}  // namespace apigw::net
