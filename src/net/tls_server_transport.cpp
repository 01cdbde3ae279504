#include "net/tls_server_transport.hpp"

#if APIGW_WITH_TLS
#include <mbedtls/x509.h>

#include <algorithm>

namespace apigw::net {
namespace {

constexpr unsigned char kHandshakeRecord = 0x16;
constexpr size_t kMaxPlainRecord = 16384;

void read_identity(const mbedtls_x509_crt& crt, TlsPeer& peer) {
  char dn[1024];
  if (int n = mbedtls_x509_dn_gets(dn, sizeof dn, &crt.subject); n > 0) peer.subject.assign(dn, static_cast<size_t>(n));
  for (const mbedtls_x509_sequence* s = &crt.subject_alt_names; s && s->buf.p; s = s->next) {
    int type = s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK;
    const char* prefix = type == 2 ? "DNS:" : type == 6 ? "URI:" : nullptr;  // dNSName, uniformResourceIdentifier
    if (!prefix) continue;
    if (!peer.san.empty()) peer.san += ", ";
    peer.san += prefix;
    peer.san.append(reinterpret_cast<const char*>(s->buf.p), s->buf.len);
  }
}

}  // namespace

TlsServerTransport::TlsServerTransport(Transport& lower, std::shared_ptr<const TlsServerContext> context,
                                       TlsFailureCounts* failures)
    : lower_(lower), context_(std::move(context)), failures_(failures) {
  mbedtls_ssl_init(&ssl_);
  if (mbedtls_ssl_setup(&ssl_, context_->config()) != 0) closing_ = true;  // out of memory: see on_read
  mbedtls_ssl_set_bio(&ssl_, this, bio_send, bio_recv, nullptr);
  lower_.arm_timer(context_->options().handshake_timeout_ms);
}

TlsServerTransport::~TlsServerTransport() { mbedtls_ssl_free(&ssl_); }

int TlsServerTransport::bio_send(void* self, const unsigned char* buf, size_t len) {
  static_cast<TlsServerTransport*>(self)->out_.append(reinterpret_cast<const char*>(buf), len);
  return static_cast<int>(len);
}

int TlsServerTransport::bio_recv(void* self, unsigned char* buf, size_t len) {
  auto* t = static_cast<TlsServerTransport*>(self);
  if (t->in_len_ == 0) return MBEDTLS_ERR_SSL_WANT_READ;
  size_t n = std::min(len, t->in_len_);
  std::copy(t->in_, t->in_ + n, buf);
  t->in_ += n;
  t->in_len_ -= n;
  return static_cast<int>(n);
}

void TlsServerTransport::on_read(const char* data, size_t len) {
  if (len == 0) return;
  if (!saw_bytes_) {
    saw_bytes_ = true;
    if (closing_) return fail(TlsFailure::kProtocol);
    // Plain HTTP (or anything else) on a TLS port: say so in the metrics.
    if (static_cast<unsigned char>(data[0]) != kHandshakeRecord) return fail(TlsFailure::kNotTls);
  }
  if (closing_) return;
  in_ = data;
  in_len_ = len;
  if (!established_) handshake();
  if (established_ && !closing_) read_records();
  in_ = nullptr;
  in_len_ = 0;
}

void TlsServerTransport::handshake() {
  TlsServerContext::take_sni_refusal();
  int rc = mbedtls_ssl_handshake(&ssl_);
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return flush();
  if (rc != 0) return fail(classify(rc));
  flush();
  on_established();
}

TlsFailure TlsServerTransport::classify(int rc) const {
  if (TlsServerContext::take_sni_refusal()) return TlsFailure::kUnknownServerName;
  switch (rc) {
#ifdef MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION
    case MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION:
#endif
#ifdef MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION
    case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
#endif
      return TlsFailure::kVersion;
#ifdef MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN
    case MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN:
#endif
#ifdef MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE
    case MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE:
#endif
      return TlsFailure::kNoSharedCipher;
#ifdef MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE
    case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE:
#endif
#ifdef MBEDTLS_ERR_SSL_PEER_VERIFY_FAILED
    case MBEDTLS_ERR_SSL_PEER_VERIFY_FAILED:
#endif
    case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
      return TlsFailure::kClientCertificate;
    default:
      return TlsFailure::kProtocol;
  }
}

void TlsServerTransport::on_established() {
  if (const mbedtls_x509_crt* crt = mbedtls_ssl_get_peer_cert(&ssl_)) {
    // client_auth "optional" lets a client without a certificate in, not
    // one whose certificate fails verification.
    if (mbedtls_ssl_get_verify_result(&ssl_) != 0) {
      mbedtls_ssl_send_alert_message(&ssl_, MBEDTLS_SSL_ALERT_LEVEL_FATAL, MBEDTLS_SSL_ALERT_MSG_BAD_CERT);
      return fail(TlsFailure::kClientCertificate);
    }
    peer_.verified = true;
    read_identity(*crt, peer_);
  }
  peer_.forward_header = context_->options().client_subject_header;
  established_ = true;
  lower_.arm_timer(upper_timer_ms_);
}

void TlsServerTransport::read_records() {
  char plain[kMaxPlainRecord];
  while (!closing_) {
    int n = mbedtls_ssl_read(&ssl_, reinterpret_cast<unsigned char*>(plain), sizeof plain);
    if (n > 0) {
      upper_->on_read(plain, static_cast<size_t>(n));
      continue;
    }
    if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) break;
    if (n == 0 || n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
      in_len_ = 0;  // nothing after close_notify counts
      upper_->on_eof();
      break;
    }
    // A bad record after the handshake: the stream cannot be trusted.
    closing_ = true;
    flush();
    lower_.close(false);
    return;
  }
  flush();
}

void TlsServerTransport::write(const std::string_view* bufs, size_t count) {
  if (closing_ || !established_) return;
  auto encrypt = [this](const char* p, size_t n) {
    while (n > 0) {
      int rc = mbedtls_ssl_write(&ssl_, reinterpret_cast<const unsigned char*>(p), n);
      if (rc <= 0) return false;
      p += rc;
      n -= static_cast<size_t>(rc);
    }
    return true;
  };
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) total += bufs[i].size();
  bool ok = true;
  if (count > 1 && total <= kMaxPlainRecord) {
    // A head and a small body: one record, not two.
    char joined[kMaxPlainRecord];
    size_t at = 0;
    for (size_t i = 0; i < count; ++i) {
      std::copy(bufs[i].begin(), bufs[i].end(), joined + at);
      at += bufs[i].size();
    }
    ok = encrypt(joined, at);
  } else {
    for (size_t i = 0; i < count && ok; ++i) ok = encrypt(bufs[i].data(), bufs[i].size());
  }
  if (!ok) {
    closing_ = true;
    lower_.close(false);
    return;
  }
  flush();
}

void TlsServerTransport::flush() {
  if (out_.empty()) return;
  std::string_view records = out_;
  lower_.write(&records, 1);  // takes a copy of what it cannot send at once
  out_.clear();
  if (out_.capacity() > 4 * kMaxPlainRecord) out_.shrink_to_fit();
}

void TlsServerTransport::resume_reading() { lower_.resume_reading(); }

void TlsServerTransport::arm_timer(uint64_t ms) {
  if (established_) lower_.arm_timer(ms);
  else upper_timer_ms_ = ms;  // the handshake timeout runs until then
}

void TlsServerTransport::close(bool linger) {
  if (closing_) return;
  closing_ = true;
  if (established_) {
    mbedtls_ssl_close_notify(&ssl_);
    flush();
  }
  lower_.close(linger);
}

void TlsServerTransport::fail(TlsFailure reason) {
  if (failures_) failures_->add(reason);
  closing_ = true;
  flush();  // the alert, if mbedTLS wrote one
  lower_.close(false);
}

void TlsServerTransport::on_eof() {
  if (closing_) return;
  if (established_) return upper_->on_eof();
  if (!saw_bytes_) {  // a TCP probe, not a handshake
    closing_ = true;
    lower_.close(false);
    return;
  }
  fail(TlsFailure::kTruncated);
}

void TlsServerTransport::on_timeout() {
  if (closing_) return;
  if (established_) return upper_->on_timeout();
  fail(TlsFailure::kTimeout);
}

void TlsServerTransport::on_write_done() {
  if (established_ && !closing_) upper_->on_write_done();
}

}  // namespace apigw::net
#endif
