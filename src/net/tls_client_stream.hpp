// TlsClientStream: one TLS client session over bytes the caller moves.
//
// The caller hands in what the socket read (set_input) and sends what
// output() holds after each call; the stream never touches a socket, so the
// upstream connection keeps its own libuv handling.
#pragma once

#if APIGW_WITH_TLS
#include <mbedtls/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "net/tls_client_context.hpp"

namespace apigw::net {

// The last session a target gave us, offered to the next connection to it
// (abbreviated handshake with a ticket or a session id). One per pool.
class TlsSessionSlot {
 public:
  TlsSessionSlot() { mbedtls_ssl_session_init(&session_); }
  ~TlsSessionSlot() { mbedtls_ssl_session_free(&session_); }
  TlsSessionSlot(const TlsSessionSlot&) = delete;
  TlsSessionSlot& operator=(const TlsSessionSlot&) = delete;
  const mbedtls_ssl_session* get() const { return valid_ ? &session_ : nullptr; }
  mbedtls_ssl_session& fill() {
    mbedtls_ssl_session_free(&session_);
    mbedtls_ssl_session_init(&session_);
    valid_ = true;
    return session_;
  }
  void clear() { valid_ = false; }

 private:
  mbedtls_ssl_session session_;
  bool valid_ = false;
};

class TlsClientStream {
 public:
  // `server_name`: SNI and the name verified; "" sends no SNI.
  TlsClientStream(std::shared_ptr<const TlsClientContext> context, const std::string& server_name);
  ~TlsClientStream();
  TlsClientStream(const TlsClientStream&) = delete;
  TlsClientStream& operator=(const TlsClientStream&) = delete;

  // Offers a session from an earlier connection to the same target (resumption).
  void resume(const mbedtls_ssl_session& session);
  // Copies this connection's session into `out` (after the handshake).
  bool save_session(mbedtls_ssl_session& out) const;

  void set_input(const char* data, size_t len) {
    in_ = data;
    in_len_ = len;
  }
  // 0 when done, MBEDTLS_ERR_SSL_WANT_READ while more bytes are needed, else an error.
  int handshake();
  // Plaintext: > 0 bytes, MBEDTLS_ERR_SSL_WANT_READ when the input is used up,
  // 0 when the origin closed (close_notify), < 0 on error.
  int read(char* buf, size_t len);
  bool write(const std::string_view* bufs, size_t count);
  void close_notify();
  std::string& output() { return out_; }
  bool broken() const noexcept { return broken_; }

 private:
  static int bio_send(void* self, const unsigned char* buf, size_t len);
  static int bio_recv(void* self, unsigned char* buf, size_t len);

  std::shared_ptr<const TlsClientContext> context_;
  mbedtls_ssl_context ssl_;
  const char* in_ = nullptr;
  size_t in_len_ = 0;
  std::string out_;
  bool broken_ = false;
};

}  // namespace apigw::net
#endif
