// Firmware-style: built on the minimal preset (no TLS, no Redis, -Os), no
// config file, one worker, tight limits, a status endpoint and a static
// answer; stops on SIGTERM like a service manager expects.
//   example_firmware [ADDRESS]
#include <apigw/gateway.hpp>

#include <csignal>
#include <cstdio>

int main(int argc, char** argv) {
  apigw::Limits limits;
  limits.max_header_bytes = 4096;
  limits.max_headers = 32;
  limits.max_body_bytes = 16 * 1024;
  limits.max_connections = 64;
  limits.drain_timeout_ms = 500;
  auto gw = apigw::GatewayBuilder()
                .workers(1)
                .limits(limits)
                .listener({.name = "lan", .address = argc > 1 ? argv[1] : "0.0.0.0:80"})
                .handler("status",
                         [](apigw::Exchange& ex) {
                           return ex.respond(200, R"({"device": "ok", "uptime_s": 42})", "application/json");
                         })
                .route({.name = "status", .match = {.path = "/status", .methods = {"GET"}}, .handler = "status"})
                .route({.name = "ping", .match = {.path = "/ping"}, .respond = apigw::StaticResponse{.body = "pong\n"}})
                .build();
  if (!gw) {
    std::fprintf(stderr, "%s\n", gw.status().to_string().c_str());
    return 1;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  if (apigw::Status st = gw.value()->start(); !st) {
    std::fprintf(stderr, "%s\n", st.to_string().c_str());
    return 2;
  }
  std::printf("listening on http://%s/status\n", gw.value()->bound_addresses()[0].c_str());
  std::fflush(stdout);
  int sig;
  sigwait(&stop, &sig);
  gw.value()->stop();
}
