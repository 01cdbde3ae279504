/* Runs one test by name (ctest registers each), or every test. */
#include <stdint.h>
#include <time.h>

#include "tests.h"

int check_failures = 0;

static const struct {
  const char *name;
  void (*run)(void);
} kTests[] = {
    {"version", test_version},
    {"hello", test_hello},
    {"request_accessors", test_request_accessors},
    {"bad_json", test_bad_json},
    {"bad_arguments", test_bad_arguments},
    {"reload", test_reload},
    {"run_on_caller_thread", test_run_on_caller_thread},
    {"attach_to_host_loop", test_attach_to_host_loop},
    {"builder", test_builder},
    {"two_host_threads", test_two_host_threads},
    {"deferred_from_other_thread", test_deferred_from_other_thread},
    {"deferred_after_client_left", test_deferred_after_client_left},
    {"policy_deny_and_continue", test_policy_deny_and_continue},
    {"policy_pause_resume", test_policy_pause_resume},
    {"policy_answers_later", test_policy_answers_later},
    {"handler_error_is_500", test_handler_error_is_500},
    {"rate_limit_key_function", test_rate_limit_key_function},
    {"rate_limit_key_refused", test_rate_limit_key_refused},
    {"response_body_rewrite", test_response_body_rewrite},
    {"response_body_overflow", test_response_body_overflow},
    {"response_body_old_vtable", test_response_body_old_vtable},
    {"cache_purge", test_cache_purge},
    {"route_kill_switch", test_route_kill_switch},
    {"rate_limit_override", test_rate_limit_override},
};

int gateway_port(apigw_gateway *gw) {
  char address[64];
  if (apigw_gateway_address(gw, 0, address, sizeof address) != APIGW_OK) return -1;
  return port_of(address);
}

apigw_gateway *start_with_handler(const char *json, const char *name, apigw_handler_fn fn, void *user) {
  char err[APIGW_ERRBUF_SIZE];
  apigw_gateway *gw = NULL;
  REQUIRE_OK(apigw_gateway_new_from_json(json, strlen(json), &gw, err, sizeof err), err);
  if (name) REQUIRE_OK(apigw_gateway_add_handler(gw, name, fn, user, err, sizeof err), err);
  REQUIRE_OK(apigw_gateway_start(gw, err, sizeof err), err);
  return gw;
}

int wait_for_active_requests(apigw_gateway *gw, uint64_t n) {
  /* No event tells a host when the gateway notices a client has gone: poll. */
  struct timespec tick = {0, 1000000};
  int i;
  for (i = 0; i < 5000; ++i) {
    if (apigw_gateway_active_requests(gw) == n) return 0;
    nanosleep(&tick, NULL);
  }
  return -1;
}

int main(int argc, char **argv) {
  size_t i, ran = 0;
  for (i = 0; i < sizeof kTests / sizeof kTests[0]; ++i) {
    if (argc > 1 && strcmp(argv[1], kTests[i].name) != 0) continue;
    fprintf(stderr, "== %s\n", kTests[i].name);
    kTests[i].run();
    ++ran;
  }
  if (ran == 0) {
    fprintf(stderr, "no test named %s\n", argv[1]);
    return 2;
  }
  return check_failures == 0 ? 0 : 1;
}
