// Transport: the seam between an HTTP connection and the bytes under it.
//
// The TCP transport (libuv) is one implementation; the in-memory transport of
// apigw::testing and the fuzz targets is another. The connection above only
// sees this interface, so everything above the socket runs without one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace apigw {

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
};

}  // namespace apigw
