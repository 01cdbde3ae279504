// Writing to a libuv stream without keeping the caller's buffers alive.
//
// As much as the socket takes goes out at once (uv_try_write, one writev);
// the rest is copied into a PendingWrite, queued with uv_write, whose callback
// must delete it. Shared by client and upstream connections.
#pragma once

#include <uv.h>

#include <string>
#include <string_view>

namespace apigw::net {

struct PendingWrite {
  uv_write_t req;  // first: the request's address is the PendingWrite's
  void* owner;
  std::string data;
};

inline constexpr size_t kMaxWriteBuffers = 8;

// `try_first`: no earlier write is queued, so bytes may go out directly.
// Returns 0 and sets *queued when a PendingWrite was queued; a libuv error
// when the stream failed (nothing is queued then).
int write_or_queue(uv_stream_t* stream, const std::string_view* bufs, size_t count, bool try_first, void* owner,
                   uv_write_cb on_write, bool* queued);

}  // namespace apigw::net
