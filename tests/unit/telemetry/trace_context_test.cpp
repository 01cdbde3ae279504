#include <doctest/doctest.h>

#include <string>

#include "telemetry/trace_context.hpp"

using apigw::telemetry::format_traceparent;
using apigw::telemetry::kTraceparentSize;
using apigw::telemetry::parse_traceparent;
using apigw::telemetry::TraceParent;

TEST_CASE("traceparent: the W3C example parses and formats back") {
  const std::string h = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  TraceParent p;
  REQUIRE(parse_traceparent(h, &p));
  CHECK(p.sampled);
  CHECK(p.trace_id[0] == 0x4b);
  CHECK(p.trace_id[15] == 0x36);
  CHECK(p.parent_id[7] == 0xb7);
  char out[kTraceparentSize];
  format_traceparent(out, p.trace_id, p.parent_id, p.sampled);
  CHECK(std::string(out, sizeof out) == h);
  REQUIRE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", &p));
  CHECK_FALSE(p.sampled);
}

TEST_CASE("traceparent: malformed headers start a new trace") {
  TraceParent p;
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",       // no flags
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // uppercase
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // zero parent id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // version 00 is exactly 55
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
       })
    CHECK_MESSAGE(!parse_traceparent(bad, &p), bad);
  // A later version may add fields after a dash.
  CHECK(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later", &p));
  CHECK_FALSE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", &p));
}

TEST_CASE("traceparent: new ids are never zero and differ") {
  auto a = apigw::telemetry::new_trace_id(), b = apigw::telemetry::new_trace_id();
  CHECK(a != b);
  CHECK(a != apigw::telemetry::TraceId{});
  CHECK(apigw::telemetry::new_span_id() != apigw::telemetry::SpanId{});
  double u = apigw::telemetry::random_unit();
  CHECK((u >= 0 && u < 1));
}
