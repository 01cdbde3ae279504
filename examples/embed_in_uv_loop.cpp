// The host owns the event loop: apigw serves on it next to the host's own
// handles (here a timer and the signal watchers) and never runs it itself.
//   example_embed_in_uv_loop [ADDRESS]
#include <apigw/gateway.hpp>
#include <uv.h>

#include <cstdio>
#include <string>

struct Host {
  uv_loop_t loop;
  uv_timer_t tick;
  uv_signal_t sigint, sigterm;
  std::unique_ptr<apigw::Gateway> gw;
  uint64_t ticks = 0;
};

int main(int argc, char** argv) {
  Host host;
  uv_loop_init(&host.loop);
  host.loop.data = &host;

  // The host's own work on the same loop: a counter the handler reads (no lock:
  // the handler runs on this loop's thread too).
  uv_timer_init(&host.loop, &host.tick);
  uv_timer_start(&host.tick, [](uv_timer_t* t) { ++static_cast<Host*>(t->loop->data)->ticks; }, 100, 100);

  auto gw = apigw::GatewayBuilder()
                .listener({.name = "public", .address = argc > 1 ? argv[1] : "127.0.0.1:8080"})
                .handler("ticks",
                         [&host](apigw::Exchange& ex) {
                           return ex.respond(200, "the host's timer fired " + std::to_string(host.ticks) + " times\n");
                         })
                .route({.name = "ticks", .match = {.path = "/ticks"}, .handler = "ticks"})
                .build();
  if (!gw) {
    std::fprintf(stderr, "%s\n", gw.status().to_string().c_str());
    return 1;
  }
  host.gw = std::move(gw.value());
  // Once the gateway has closed its handles, the host closes its own and uv_run returns.
  host.gw->on_stopped([&host] {
    uv_close(reinterpret_cast<uv_handle_t*>(&host.tick), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&host.sigint), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&host.sigterm), nullptr);
  });
  if (apigw::Status st = host.gw->attach(&host.loop); !st) {
    std::fprintf(stderr, "%s\n", st.to_string().c_str());
    return 2;
  }
  auto on_signal = [](uv_signal_t* s, int) { static_cast<Host*>(s->loop->data)->gw->stop(1000); };
  uv_signal_init(&host.loop, &host.sigint);
  uv_signal_start(&host.sigint, on_signal, SIGINT);
  uv_signal_init(&host.loop, &host.sigterm);
  uv_signal_start(&host.sigterm, on_signal, SIGTERM);

  std::printf("listening on http://%s/ticks\n", host.gw->bound_addresses()[0].c_str());
  std::fflush(stdout);
  uv_run(&host.loop, UV_RUN_DEFAULT);
  host.gw.reset();
  return uv_loop_close(&host.loop) == 0 ? 0 : 3;
}
