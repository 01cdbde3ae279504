// Transport: the seam between an HTTP connection and the bytes under it.
//
// The TCP transport (libuv) is one implementation; the in-memory transport of
// apigw::testing and the fuzz targets is another. The connection above only
// sees this interface, so everything above the socket runs without one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace apigw {

// What a TLS handshake learnt about the client (a Transport without TLS has none).
struct TlsPeer {
  bool verified = false;          // a client certificate was presented and verified
  std::string subject;            // its subject DN, e.g. "CN=alice,O=Acme"; "" when none
  std::string san;                // its DNS and URI names, "DNS:a.example, URI:spiffe://x"
  std::string_view forward_header;  // the listener's client_subject_header ("" = none)
};

// The events a transport delivers to the layer above it (the HTTP
// connection, or a TLS layer that decrypts for it).
class TransportReceiver {
 public:
  virtual ~TransportReceiver() = default;
  virtual void on_read(const char* data, size_t len) = 0;
  virtual void on_eof() = 0;
  virtual void on_timeout() = 0;
  virtual void on_write_done() = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Queues the buffers, in order; they may be reused as soon as this returns.
  virtual void write(const std::string_view* bufs, size_t count) = 0;
  // True while written bytes wait for the peer (backpressure).
  virtual bool write_pending() const noexcept = 0;
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
  // One timer per connection; 0 disarms it.
  virtual void arm_timer(uint64_t ms) = 0;
  // Closes once queued writes are out; the connection is destroyed afterwards.
  // `linger`: the client may still be sending; read and drop its bytes for a
  // while, so that they do not turn into a RST that destroys the answer.
  virtual void close(bool linger = false) = 0;
  // The peer's address, e.g. "127.0.0.1".
  virtual std::string_view peer_ip() const noexcept = 0;
  // The client's TLS identity; null without TLS.
  virtual const TlsPeer* tls_peer() const noexcept { return nullptr; }
};

}  // namespace apigw
