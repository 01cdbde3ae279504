// Fuzzes the HTTP/1.1 server side through the transport seam: arbitrary bytes
// as one connection's input, split into reads at fuzzer-chosen points, against
// a gateway with a static route, an echo route and small limits.
#include <cstdint>
#include <memory>
#include <string_view>

#include "apigw/gateway.hpp"
#include "core/snapshot.hpp"
#include "policy/builtin.hpp"
#include "testing/memory_transport.hpp"

namespace {

std::shared_ptr<const apigw::Snapshot> make_snapshot() {
  apigw::GatewayBuilder b;
  apigw::Limits limits;
  limits.max_header_bytes = 1024;
  limits.max_headers = 16;
  limits.max_uri_bytes = 256;
  limits.max_body_bytes = 4096;
  b.limits(limits).listener({"fuzz", "127.0.0.1:0"});
  b.policy("rid", apigw::policy::make_request_id({}));
  apigw::RouteOptions hello;
  hello.name = "hello";
  hello.match.path = "/hello/{name}";
  hello.respond = apigw::StaticResponse{200, {{"content-type", "text/plain"}}, "hi {name}"};
  hello.policies = {"rid"};
  b.route(hello);
  apigw::RouteOptions echo;
  echo.name = "echo";
  echo.match.path_prefix = "/";
  echo.handler = "echo";
  b.route(echo);
  return apigw::Snapshot::compile(b, 1).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto snapshot = make_snapshot();
  static apigw::testing::MemoryWorker worker(snapshot);
  // The first byte picks where reads are split, so partial reads get fuzzed too.
  size_t split = size > 0 ? data[0] % 64 + 1 : 1;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  apigw::testing::MemoryTransport transport;
  worker.run_chunks(bytes.substr(size > 0 ? 1 : 0), split, transport);
  return 0;
}
