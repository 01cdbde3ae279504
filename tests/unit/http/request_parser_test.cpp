// The request side of the HTTP/1.1 stack, fed the way hostile or slow
// clients feed it: one byte per read.
#include <doctest/doctest.h>

#include "apigw/testing.hpp"
#include "core/snapshot.hpp"
#include "testing/memory_transport.hpp"

namespace {

std::string feed_byte_by_byte(const std::string& bytes) {
  apigw::GatewayBuilder b;
  b.listener({"t", "127.0.0.1:0"});
  apigw::RouteOptions r;
  r.name = "echo";
  r.match.path_prefix = "/";
  r.handler = "echo";
  b.route(r);
  apigw::testing::MemoryWorker worker(apigw::Snapshot::compile(b, 1).value());
  apigw::testing::MemoryTransport t;
  worker.run_chunks(bytes, 1, t);
  return t.output;
}

}  // namespace

TEST_CASE("request parser: a long field fed one byte per read costs linear memory") {
  // 15,000 bytes of one header value, byte by byte: fragments are appended
  // with doubling capacity, not re-copied whole (which would need ~110 MB).
  std::string value(15000, 'v');
  std::string out = feed_byte_by_byte("GET /x HTTP/1.1\r\nhost: a\r\nx-long: " + value + "\r\n\r\n");
  auto res = apigw::testing::Client::parse(out);
  CHECK(res.status == 200);
  CHECK(res.body.find(value) != std::string::npos);
}

TEST_CASE("request parser: a CR at the end of one read and its LF in the next is fine") {
  std::string out = feed_byte_by_byte("GET /split HTTP/1.1\r\nhost: a\r\n\r\n");
  CHECK(apigw::testing::Client::parse(out).status == 200);
}
