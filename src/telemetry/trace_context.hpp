// W3C Trace Context (traceparent): parsed from a request, continued or
// started, and passed on to the upstream with the gateway's own span id.
//
//   traceparent: 00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace apigw::telemetry {

using TraceId = std::array<uint8_t, 16>;
using SpanId = std::array<uint8_t, 8>;

struct TraceParent {
  TraceId trace_id{};
  SpanId parent_id{};
  bool sampled = false;
};

// Strict parse (lowercase hex, non-zero ids, version 00, or a later version
// whose first four fields have this shape, as the spec asks). False when
// the header is absent or malformed: then a new trace starts.
bool parse_traceparent(std::string_view header, TraceParent* out) noexcept;

constexpr size_t kTraceparentSize = 55;
// Writes exactly kTraceparentSize characters.
void format_traceparent(char* out, const TraceId& trace, const SpanId& span, bool sampled) noexcept;

// Lowercase hex of `n` bytes into out[0 .. 2n).
void append_hex(char* out, const uint8_t* bytes, size_t n) noexcept;

// Random ids from a per-thread generator (never all zero).
TraceId new_trace_id() noexcept;
SpanId new_span_id() noexcept;
// A uniform draw in [0, 1) from the same generator, for sampling.
double random_unit() noexcept;

}  // namespace apigw::telemetry
