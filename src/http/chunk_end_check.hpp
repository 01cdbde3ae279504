// ChunkEndCheck: the CRLF after each chunk's data, which llhttp 8.1 skips
// without looking at it. Accepting any two bytes there lets a peer smuggle a
// message past a stricter parser, so both our parsers check them here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace apigw::http {

class ChunkEndCheck {
 public:
  void reset() noexcept { *this = ChunkEndCheck(); }
  // A chunk-size line was parsed: `size` data bytes follow.
  void chunk_started(uint64_t size) noexcept { left_ = size; }
  uint64_t left() const noexcept { return left_; }

  // `len` data bytes ending at `data_end`; the input llhttp was given ends at
  // `input_end`. False when the bytes after the chunk's last data are not CRLF.
  bool data(size_t len, const char* data_end, const char* input_end) noexcept {
    left_ -= len;
    if (left_ != 0) return true;
    unchecked_ = 2;
    return check(data_end, input_end);
  }

  // Checks what is available of a pending CRLF from `from` (the start of a
  // new input, when the CRLF was split across reads).
  bool check(const char* from, const char* input_end) noexcept {
    while (unchecked_ > 0 && from < input_end) {
      if (*from++ != (unchecked_ == 2 ? '\r' : '\n')) return false;
      --unchecked_;
    }
    return true;
  }

 private:
  uint64_t left_ = 0;
  uint8_t unchecked_ = 0;  // bytes of the CRLF still to check
};

}  // namespace apigw::http
