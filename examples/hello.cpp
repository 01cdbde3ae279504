// The smallest host program: one handler, one route, served until Ctrl-C.
//   example_hello [ADDRESS]      (default 127.0.0.1:8080; port 0 picks a free one)
#include <apigw/gateway.hpp>

#include <csignal>
#include <cstdio>

int main(int argc, char** argv) {
  auto gw = apigw::GatewayBuilder()
                .listener({.name = "public", .address = argc > 1 ? argv[1] : "127.0.0.1:8080"})
                .handler("hello", [](apigw::Exchange& ex) { return ex.respond(200, "hi\n"); })
                .route({.name = "hello", .match = {.path = "/hello"}, .handler = "hello"})
                .build();
  if (!gw) {
    std::fprintf(stderr, "%s\n", gw.status().to_string().c_str());
    return 1;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before the workers start, so they inherit it
  if (apigw::Status st = gw.value()->start(); !st) {
    std::fprintf(stderr, "%s\n", st.to_string().c_str());
    return 2;
  }
  std::printf("listening on http://%s/hello\n", gw.value()->bound_addresses()[0].c_str());
  std::fflush(stdout);
  int sig;
  sigwait(&stop, &sig);
  gw.value()->stop();
}
