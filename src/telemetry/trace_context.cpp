#include "telemetry/trace_context.hpp"

#include <cstring>
#include <random>

namespace apigw::telemetry {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is not allowed by the spec
}

template <size_t N>
bool parse_hex(std::string_view s, std::array<uint8_t, N>* out) noexcept {
  if (s.size() != 2 * N) return false;
  bool nonzero = false;
  for (size_t i = 0; i < N; ++i) {
    int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
    nonzero = nonzero || (*out)[i] != 0;
  }
  return nonzero;
}

std::mt19937_64& generator() noexcept {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

}  // namespace

bool parse_traceparent(std::string_view h, TraceParent* out) noexcept {
  // version "-" trace-id "-" parent-id "-" flags; a later version may append "-" fields.
  if (h.size() < kTraceparentSize || h[2] != '-' || h[35] != '-' || h[52] != '-') return false;
  int v_hi = hex_value(h[0]), v_lo = hex_value(h[1]);
  if (v_hi < 0 || v_lo < 0 || (v_hi == 15 && v_lo == 15)) return false;  // "ff" is invalid
  bool version_zero = v_hi == 0 && v_lo == 0;
  if (version_zero ? h.size() != kTraceparentSize : (h.size() > kTraceparentSize && h[kTraceparentSize] != '-'))
    return false;
  std::array<uint8_t, 1> flags{};
  int f_hi = hex_value(h[53]), f_lo = hex_value(h[54]);
  if (f_hi < 0 || f_lo < 0) return false;
  flags[0] = static_cast<uint8_t>(f_hi << 4 | f_lo);
  if (!parse_hex(h.substr(3, 32), &out->trace_id) || !parse_hex(h.substr(36, 16), &out->parent_id)) return false;
  out->sampled = (flags[0] & 1) != 0;
  return true;
}

void append_hex(char* out, const uint8_t* bytes, size_t n) noexcept {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 15];
  }
}

void format_traceparent(char* out, const TraceId& trace, const SpanId& span, bool sampled) noexcept {
  std::memcpy(out, "00-", 3);
  append_hex(out + 3, trace.data(), trace.size());
  out[35] = '-';
  append_hex(out + 36, span.data(), span.size());
  std::memcpy(out + 52, sampled ? "-01" : "-00", 3);
}

TraceId new_trace_id() noexcept {
  TraceId id;
  uint64_t a, b;
  do {
    a = generator()();
    b = generator()();
  } while ((a | b) == 0);
  std::memcpy(id.data(), &a, 8);
  std::memcpy(id.data() + 8, &b, 8);
  return id;
}

SpanId new_span_id() noexcept {
  SpanId id;
  uint64_t v;
  do v = generator()();
  while (v == 0);
  std::memcpy(id.data(), &v, 8);
  return id;
}

double random_unit() noexcept { return static_cast<double>(generator()() >> 11) * 0x1.0p-53; }

}  // namespace apigw::telemetry
