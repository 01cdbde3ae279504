/* The C test suite: every test is a function, run by name (see main.c). */
#ifndef APIGW_TESTS_CAPI_TESTS_H
#define APIGW_TESTS_CAPI_TESTS_H

#include <apigw/apigw.h>

#include "check.h"
#include "http_client.h"

/* A config with one loopback listener on a free port and `routes` (a JSON array). */
#define CONFIG(routes) "{\"listeners\": [{\"name\": \"public\", \"address\": \"127.0.0.1:0\"}], \"routes\": " routes "}"

/* The port listener 0 of a serving gateway is bound to. */
int gateway_port(apigw_gateway *gw);

/* Starts a gateway on its own threads from `json`, with handler `name` -> fn. */
apigw_gateway *start_with_handler(const char *json, const char *name, apigw_handler_fn fn, void *user);

/* Blocks until `n` requests are in flight (or 5 s passed); 0 when reached. */
int wait_for_active_requests(apigw_gateway *gw, uint64_t n);

void test_version(void);
void test_hello(void);
void test_request_accessors(void);
void test_bad_json(void);
void test_bad_arguments(void);
void test_reload(void);
void test_run_on_caller_thread(void);
void test_attach_to_host_loop(void);
void test_builder(void);
void test_two_host_threads(void);
void test_deferred_from_other_thread(void);
void test_deferred_after_client_left(void);
void test_policy_deny_and_continue(void);
void test_policy_pause_resume(void);
void test_policy_answers_later(void);
void test_handler_error_is_500(void);
void test_rate_limit_key_function(void);
void test_rate_limit_key_refused(void);
void test_response_body_rewrite(void);
void test_response_body_overflow(void);
void test_response_body_old_vtable(void);
void test_cache_purge(void);
void test_route_kill_switch(void);
void test_rate_limit_override(void);

#endif
