#include "net/tls_client_stream.hpp"

#if APIGW_WITH_TLS
#include <algorithm>

namespace apigw::net {

TlsClientStream::TlsClientStream(std::shared_ptr<const TlsClientContext> context, const std::string& server_name)
    : context_(std::move(context)) {
  mbedtls_ssl_init(&ssl_);
  if (mbedtls_ssl_setup(&ssl_, context_->config()) != 0) broken_ = true;
  if (!server_name.empty() && mbedtls_ssl_set_hostname(&ssl_, server_name.c_str()) != 0) broken_ = true;
  mbedtls_ssl_set_bio(&ssl_, this, bio_send, bio_recv, nullptr);
}

TlsClientStream::~TlsClientStream() { mbedtls_ssl_free(&ssl_); }

void TlsClientStream::resume(const mbedtls_ssl_session& session) { (void)mbedtls_ssl_set_session(&ssl_, &session); }

bool TlsClientStream::save_session(mbedtls_ssl_session& out) const {
  return mbedtls_ssl_get_session(&ssl_, &out) == 0;
}

int TlsClientStream::bio_send(void* self, const unsigned char* buf, size_t len) {
  static_cast<TlsClientStream*>(self)->out_.append(reinterpret_cast<const char*>(buf), len);
  return static_cast<int>(len);
}

int TlsClientStream::bio_recv(void* self, unsigned char* buf, size_t len) {
  auto* s = static_cast<TlsClientStream*>(self);
  if (s->in_len_ == 0) return MBEDTLS_ERR_SSL_WANT_READ;
  size_t n = std::min(len, s->in_len_);
  std::copy(s->in_, s->in_ + n, buf);
  s->in_ += n;
  s->in_len_ -= n;
  return static_cast<int>(n);
}

int TlsClientStream::handshake() {
  if (broken_) return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
  int rc = mbedtls_ssl_handshake(&ssl_);
  return rc == MBEDTLS_ERR_SSL_WANT_WRITE ? MBEDTLS_ERR_SSL_WANT_READ : rc;
}

int TlsClientStream::read(char* buf, size_t len) {
  int n = mbedtls_ssl_read(&ssl_, reinterpret_cast<unsigned char*>(buf), len);
  if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return 0;
  if (n == MBEDTLS_ERR_SSL_WANT_WRITE) return MBEDTLS_ERR_SSL_WANT_READ;
#ifdef MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET
  if (n == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) return read(buf, len);  // TLS 1.3: not data
#endif
  return n;
}

bool TlsClientStream::write(const std::string_view* bufs, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const auto* p = reinterpret_cast<const unsigned char*>(bufs[i].data());
    size_t n = bufs[i].size();
    while (n > 0) {
      int rc = mbedtls_ssl_write(&ssl_, p, n);
      if (rc <= 0) return false;
      p += rc;
      n -= static_cast<size_t>(rc);
    }
  }
  return true;
}

void TlsClientStream::close_notify() { (void)mbedtls_ssl_close_notify(&ssl_); }

}  // namespace apigw::net
#endif
