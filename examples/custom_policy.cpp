// A policy of the host's own: requests without the right API key get a 401,
// the others go on with their consumer set.
//   example_custom_policy [ADDRESS]
#include <apigw/gateway.hpp>

#include <csignal>
#include <cstdio>

// Immutable and shared by every request on every worker.
class ApiKeyPolicy : public apigw::PassThroughPolicy {
 public:
  explicit ApiKeyPolicy(std::string key) : key_(std::move(key)) {}

  apigw::Decision on_request(apigw::Exchange& ex) const noexcept override {
    if (ex.request().headers.get("x-api-key") != key_) return ex.respond(401, "unknown API key\n");
    ex.set_consumer("key-holder");
    return apigw::Decision::kContinue;
  }

 private:
  std::string key_;
};

int main(int argc, char** argv) {
  auto gw = apigw::GatewayBuilder()
                .listener({.name = "public", .address = argc > 1 ? argv[1] : "127.0.0.1:8080"})
                .policy("api-key", std::make_shared<ApiKeyPolicy>("secret"))
                .handler("hello",
                         [](apigw::Exchange& ex) { return ex.respond(200, "hi " + std::string(ex.consumer()) + "\n"); })
                .route({.name = "hello", .match = {.path = "/hello"}, .policies = {"api-key"}, .handler = "hello"})
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
  std::printf("listening on http://%s/hello (send x-api-key: secret)\n", gw.value()->bound_addresses()[0].c_str());
  std::fflush(stdout);
  int sig;
  sigwait(&stop, &sig);
  gw.value()->stop();
}
