#include "net/stream_write.hpp"

namespace apigw::net {

int write_or_queue(uv_stream_t* stream, const std::string_view* bufs, size_t count, bool try_first, void* owner,
                   uv_write_cb on_write, bool* queued) {
  *queued = false;
  if (count > kMaxWriteBuffers) count = kMaxWriteBuffers;
  uv_buf_t ub[kMaxWriteBuffers];
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    ub[i] = uv_buf_init(const_cast<char*>(bufs[i].data()), static_cast<unsigned>(bufs[i].size()));
    total += bufs[i].size();
  }
  size_t done = 0;
  if (try_first) {
    int n = uv_try_write(stream, ub, static_cast<unsigned>(count));
    if (n > 0) done = static_cast<size_t>(n);
    else if (n != UV_EAGAIN && n != UV_ENOSYS) return n;
  }
  if (done == total) return 0;
  auto* w = new PendingWrite{{}, owner, {}};
  w->data.reserve(total - done);
  for (size_t i = 0; i < count; ++i) {
    std::string_view b = bufs[i];
    if (done >= b.size()) {
      done -= b.size();
      continue;
    }
    w->data.append(b.substr(done));
    done = 0;
  }
  uv_buf_t rest = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  if (int rc = uv_write(&w->req, stream, &rest, 1, on_write); rc != 0) {
    delete w;
    return rc;
  }
  *queued = true;
  return 0;
}

}  // namespace apigw::net
