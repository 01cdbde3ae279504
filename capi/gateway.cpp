// C ABI: a gateway's life: config, host callbacks, serving, reload, stop, free.
#include <cstddef>

#include "config/config_loader.hpp"
#include "internal.hpp"

using apigw::capi::fail;
using apigw::capi::guarded;
using apigw::capi::valid_name;

apigw::GatewayBuilder apigw_gateway::with_host_callbacks(const apigw::GatewayBuilder& base) const {
  apigw::GatewayBuilder b = apigw::GatewayBuilder::from_state(base.state());
  for (const auto& [name, h] : handlers) b.handler(name, h);
  for (const auto& [name, p] : policies) b.policy(name, p);
  for (const auto& [name, k] : rate_limit_keys) b.rate_limit_key(name, k);
  return b;
}

namespace {

// Parses a JSON config; every error goes into err, one per line.
int32_t load_json(const char* json, size_t len, apigw::GatewayBuilder* out, char* err, size_t errlen) {
  if (!json && len) return fail(err, errlen, APIGW_E_INVALID, "json is NULL");
  auto loaded = apigw::config::load_with_host_policies(std::string_view(json ? json : "", len));
  if (!loaded.ok()) {
    std::string all;
    for (const auto& e : loaded.errors) {
      if (!all.empty()) all += '\n';
      all += e.to_string();
    }
    return fail(err, errlen, APIGW_E_CONFIG, all);
  }
  *out = std::move(loaded.builder);
  return APIGW_OK;
}

// The running gateway, or null before start (then `err` says so).
apigw::Gateway* serving(apigw_gateway* gw, char* err, size_t errlen) {
  std::lock_guard<std::mutex> lock(gw->mu);
  if (!gw->running) fail(err, errlen, APIGW_E_STATE, "the gateway is not serving: start it first");
  return gw->running.get();
}

// A control call's Status: an unknown name is APIGW_E_NOT_FOUND here, not a config error.
int32_t control_result(const apigw::Status& st, char* err, size_t errlen) {
  if (st.is_ok()) return APIGW_OK;
  if (st.code() == apigw::Code::kNotFound) return fail(err, errlen, APIGW_E_NOT_FOUND, st.message());
  if (st.code() == apigw::Code::kInvalidArgument) return fail(err, errlen, APIGW_E_INVALID, st.message());
  return fail(err, errlen, st);
}

enum class Mode { kStart, kRun, kAttach };

// Builds the gateway from the config and the host's callbacks, then serves.
int32_t serve(apigw_gateway* gw, Mode mode, uv_loop_t* loop, apigw_stopped_fn on_stopped, void* user, char* err,
              size_t errlen) {
  if (!gw) return fail(err, errlen, APIGW_E_INVALID, "gateway is NULL");
  if (mode == Mode::kAttach && !loop) return fail(err, errlen, APIGW_E_INVALID, "loop is NULL");
  apigw::Gateway* g = nullptr;
  {
    std::lock_guard<std::mutex> lock(gw->mu);
    if (gw->running || gw->stopped)
      return fail(err, errlen, APIGW_E_STATE, gw->stopped ? "the gateway was stopped" : "the gateway is already running");
    auto built = gw->with_host_callbacks(gw->config).build();
    if (!built) return fail(err, errlen, built.status());
    gw->running = std::move(built).value();
    g = gw->running.get();
  }
  apigw::Status st;
  switch (mode) {
    case Mode::kStart: st = g->start(); break;
    case Mode::kRun: st = g->run(); break;
    case Mode::kAttach:
      if (on_stopped) g->on_stopped([on_stopped, user] { on_stopped(user); });
      st = g->attach(loop);
      break;
  }
  if (!st) {
    // Nothing is serving: the handle may try again (with another config).
    std::lock_guard<std::mutex> lock(gw->mu);
    gw->running.reset();
    return fail(err, errlen, st);
  }
  return APIGW_OK;
}

}  // namespace

extern "C" {

APIGW_EXTERN int32_t apigw_gateway_new_from_json(const char* json, size_t len, apigw_gateway** out, char* err,
                                                 size_t errlen) {
  if (!out) return fail(err, errlen, APIGW_E_INVALID, "out is NULL");
  *out = nullptr;
  return guarded(err, errlen, [&] {
    auto gw = std::make_unique<apigw_gateway>();
    if (int32_t rc = load_json(json, len, &gw->config, err, errlen); rc != APIGW_OK) return rc;
    *out = gw.release();
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_gateway_add_handler(apigw_gateway* gw, const char* name, apigw_handler_fn fn, void* user,
                                               char* err, size_t errlen) {
  if (!gw || !valid_name(name) || !fn)
    return fail(err, errlen, APIGW_E_INVALID, "gateway, name and fn must not be NULL (nor name empty)");
  return guarded(err, errlen, [&] {
    std::lock_guard<std::mutex> lock(gw->mu);
    gw->handlers[name] = apigw::capi::make_handler(fn, user);
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_gateway_add_policy(apigw_gateway* gw, const char* name, const apigw_policy_vtable* vtable,
                                              void* user, char* err, size_t errlen) {
  if (!gw || !valid_name(name) || !vtable)
    return fail(err, errlen, APIGW_E_INVALID, "gateway, name and vtable must not be NULL (nor name empty)");
  if (vtable->struct_size < offsetof(apigw_policy_vtable, on_request) + sizeof(apigw_phase_fn))
    return fail(err, errlen, APIGW_E_INVALID, "vtable->struct_size is too small: set it to sizeof(apigw_policy_vtable)");
  return guarded(err, errlen, [&] {
    std::lock_guard<std::mutex> lock(gw->mu);
    gw->policies[name] = apigw::capi::make_policy(name, *vtable, user);
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_gateway_add_rate_limit_key(apigw_gateway* gw, const char* name, apigw_rate_limit_key_fn fn,
                                                      void* user, char* err, size_t errlen) {
  if (!gw || !valid_name(name) || !fn)
    return fail(err, errlen, APIGW_E_INVALID, "gateway, name and fn must not be NULL (nor name empty)");
  return guarded(err, errlen, [&] {
    std::lock_guard<std::mutex> lock(gw->mu);
    gw->rate_limit_keys[name] = apigw::capi::make_rate_limit_key(fn, user);
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_gateway_start(apigw_gateway* gw, char* err, size_t errlen) {
  return guarded(err, errlen, [&] { return serve(gw, Mode::kStart, nullptr, nullptr, nullptr, err, errlen); });
}

APIGW_EXTERN int32_t apigw_gateway_run(apigw_gateway* gw, char* err, size_t errlen) {
  return guarded(err, errlen, [&] { return serve(gw, Mode::kRun, nullptr, nullptr, nullptr, err, errlen); });
}

APIGW_EXTERN int32_t apigw_gateway_attach(apigw_gateway* gw, struct uv_loop_s* loop, apigw_stopped_fn on_stopped,
                                          void* user, char* err, size_t errlen) {
  return guarded(err, errlen, [&] { return serve(gw, Mode::kAttach, loop, on_stopped, user, err, errlen); });
}

APIGW_EXTERN int32_t apigw_gateway_reload_json(apigw_gateway* gw, const char* json, size_t len, char* err,
                                               size_t errlen) {
  if (!gw) return fail(err, errlen, APIGW_E_INVALID, "gateway is NULL");
  return guarded(err, errlen, [&] {
    apigw::GatewayBuilder next;
    if (int32_t rc = load_json(json, len, &next, err, errlen); rc != APIGW_OK) {
      std::lock_guard<std::mutex> lock(gw->mu);
      if (gw->running) gw->running->count_failed_reload();
      return rc;
    }
    std::lock_guard<std::mutex> lock(gw->mu);
    apigw::GatewayBuilder full = gw->with_host_callbacks(next);
    // Before start, the whole check waits for start (handlers may still come).
    if (gw->running)
      if (apigw::Status st = gw->running->reload(full); !st) return fail(err, errlen, st);
    gw->config = std::move(next);
    return APIGW_OK;
  });
}

APIGW_EXTERN void apigw_gateway_stop(apigw_gateway* gw, int64_t drain_ms) {
  if (!gw) return;
  guarded(nullptr, 0, [&] {
    apigw::Gateway* g = nullptr;
    {
      std::lock_guard<std::mutex> lock(gw->mu);
      gw->stopped = true;
      g = gw->running.get();
    }
    if (g) g->stop(drain_ms);
    return APIGW_OK;
  });
}

APIGW_EXTERN void apigw_gateway_free(apigw_gateway* gw) {
  if (!gw) return;
  apigw_gateway_stop(gw, 0);
  delete gw;  // destructors never throw
}

APIGW_EXTERN int32_t apigw_gateway_address(apigw_gateway* gw, size_t index, char* buf, size_t buflen) {
  if (!gw || !buf || buflen == 0) return APIGW_E_INVALID;
  return guarded(nullptr, 0, [&] {
    apigw::Gateway* g = nullptr;
    {
      std::lock_guard<std::mutex> lock(gw->mu);
      g = gw->running.get();
    }
    std::vector<std::string> addresses = g ? g->bound_addresses() : std::vector<std::string>();
    if (index >= addresses.size()) return APIGW_E_NOT_FOUND;
    apigw::capi::write_error(buf, buflen, addresses[index]);
    return addresses[index].size() < buflen ? APIGW_OK : APIGW_E_TRUNCATED;
  });
}

APIGW_EXTERN uint64_t apigw_gateway_active_requests(apigw_gateway* gw) {
  if (!gw) return 0;
  uint64_t n = 0;
  guarded(nullptr, 0, [&] {
    std::lock_guard<std::mutex> lock(gw->mu);
    n = gw->running ? gw->running->active_requests() : 0;
    return APIGW_OK;
  });
  return n;
}

APIGW_EXTERN int32_t apigw_gateway_purge_cache(apigw_gateway* gw, const char* prefix, size_t len, uint64_t* removed,
                                               char* err, size_t errlen) {
  if (removed) *removed = 0;
  if (!gw || !prefix) return fail(err, errlen, APIGW_E_INVALID, "gateway and prefix must not be NULL");
  if (len == 0 || prefix[0] != '/')
    return fail(err, errlen, APIGW_E_INVALID, "a path prefix starts with \"/\" (\"/\" purges everything)");
  return guarded(err, errlen, [&] {
    apigw::Gateway* g = nullptr;
    {
      std::lock_guard<std::mutex> lock(gw->mu);
      g = gw->running.get();
    }
    // Before start no cache has stored anything: nothing to remove.
    size_t n = g ? g->purge_cache(std::string_view(prefix, len)) : 0;
    if (removed) *removed = n;
    return APIGW_OK;
  });
}

APIGW_EXTERN int32_t apigw_gateway_set_route_enabled(apigw_gateway* gw, const char* route, int32_t enabled, char* err,
                                                     size_t errlen) {
  if (!gw || !valid_name(route))
    return fail(err, errlen, APIGW_E_INVALID, "gateway and route must not be NULL (nor route empty)");
  return guarded(err, errlen, [&] {
    apigw::Gateway* g = serving(gw, err, errlen);
    if (!g) return APIGW_E_STATE;
    return control_result(g->set_route_enabled(route, enabled != 0), err, errlen);
  });
}

APIGW_EXTERN int32_t apigw_gateway_set_rate_limit_override(apigw_gateway* gw, const char* policy, uint64_t limit,
                                                           uint64_t burst, char* err, size_t errlen) {
  if (!gw || !valid_name(policy))
    return fail(err, errlen, APIGW_E_INVALID, "gateway and policy must not be NULL (nor policy empty)");
  return guarded(err, errlen, [&] {
    apigw::Gateway* g = serving(gw, err, errlen);
    if (!g) return APIGW_E_STATE;
    return control_result(g->set_rate_limit_override(policy, limit, burst), err, errlen);
  });
}

APIGW_EXTERN int32_t apigw_gateway_remove_rate_limit_override(apigw_gateway* gw, const char* policy, char* err,
                                                              size_t errlen) {
  if (!gw || !valid_name(policy))
    return fail(err, errlen, APIGW_E_INVALID, "gateway and policy must not be NULL (nor policy empty)");
  return guarded(err, errlen, [&] {
    apigw::Gateway* g = serving(gw, err, errlen);
    if (!g) return APIGW_E_STATE;
    return control_result(g->remove_rate_limit_override(policy), err, errlen);
  });
}

}  // extern "C"
