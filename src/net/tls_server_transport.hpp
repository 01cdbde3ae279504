// TlsServerTransport: TLS termination as a Transport over another Transport.
//
// Below it, the TCP connection (or the fuzz targets' memory transport)
// carries records; above it, the HTTP connection sees plaintext through the
// same Transport interface. mbedTLS reads from the bytes of the read in
// progress and writes records into one buffer that goes down in one write.
#pragma once

#if APIGW_WITH_TLS
#include <mbedtls/ssl.h>

#include <memory>
#include <string>

#include "net/tls_failures.hpp"
#include "net/tls_server_context.hpp"
#include "net/transport.hpp"

namespace apigw::net {

class TlsServerTransport final : public Transport, public TransportReceiver {
 public:
  // `failures` (may be null) counts handshakes that failed.
  TlsServerTransport(Transport& lower, std::shared_ptr<const TlsServerContext> context, TlsFailureCounts* failures);
  ~TlsServerTransport() override;
  TlsServerTransport(const TlsServerTransport&) = delete;
  TlsServerTransport& operator=(const TlsServerTransport&) = delete;

  void set_receiver(TransportReceiver* upper) { upper_ = upper; }
  bool established() const noexcept { return established_; }

  // Transport: what the HTTP connection above calls.
  void write(const std::string_view* bufs, size_t count) override;
  bool write_pending() const noexcept override { return lower_.write_pending(); }
  void pause_reading() override { lower_.pause_reading(); }
  void resume_reading() override;
  void arm_timer(uint64_t ms) override;
  void close(bool linger = false) override;
  std::string_view peer_ip() const noexcept override { return lower_.peer_ip(); }
  const TlsPeer* tls_peer() const noexcept override { return established_ ? &peer_ : nullptr; }

  // TransportReceiver: what the transport below delivers.
  void on_read(const char* data, size_t len) override;
  void on_eof() override;
  void on_timeout() override;
  void on_write_done() override;

 private:
  static int bio_send(void* self, const unsigned char* buf, size_t len);
  static int bio_recv(void* self, unsigned char* buf, size_t len);
  void handshake();
  void on_established();
  void read_records();
  void flush();
  void fail(TlsFailure reason);
  TlsFailure classify(int mbedtls_error) const;

  Transport& lower_;
  TransportReceiver* upper_ = nullptr;
  std::shared_ptr<const TlsServerContext> context_;
  TlsFailureCounts* failures_;
  mbedtls_ssl_context ssl_;
  const char* in_ = nullptr;  // the read being decrypted
  size_t in_len_ = 0;
  std::string out_;           // records not yet handed to the transport below
  TlsPeer peer_;
  uint64_t upper_timer_ms_ = 0;  // what the layer above asked for during the handshake
  bool established_ = false;
  bool closing_ = false;
  bool saw_bytes_ = false;
};

}  // namespace apigw::net
#endif
