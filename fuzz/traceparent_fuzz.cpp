// traceparent: arbitrary bytes must parse or be refused, never crash; what
// parses formats back to a header that parses to the same ids.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "telemetry/trace_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace apigw::telemetry;
  TraceParent p;
  if (!parse_traceparent({reinterpret_cast<const char*>(data), size}, &p)) return 0;
  char out[kTraceparentSize];
  format_traceparent(out, p.trace_id, p.parent_id, p.sampled);
  TraceParent again;
  if (!parse_traceparent({out, sizeof out}, &again) || again.trace_id != p.trace_id ||
      again.parent_id != p.parent_id || again.sampled != p.sampled)
    std::abort();
  return 0;
}
