/* The gateway's life through the C ABI: config, handlers, serving modes, reload, errors. */
#include <pthread.h>
#include <stdint.h>
#include <uv.h>

#include "tests.h"

static int32_t say(apigw_response *res, int32_t status, const char *body) {
  apigw_response_set_status(res, status);
  apigw_response_set_header(res, "content-type", "text/plain");
  apigw_response_set_body(res, body, strlen(body));
  return APIGW_OK;
}

static int32_t on_hello(void *user, const apigw_request *req, apigw_response *res) {
  (void)user;
  (void)req;
  return say(res, 200, "hi\n");
}

void test_version(void) {
  CHECK(apigw_abi_version() == (((uint32_t)APIGW_ABI_MAJOR << 16) | APIGW_ABI_MINOR));
  CHECK(strlen(apigw_version()) > 0);
  CHECK(strcmp(apigw_status_name(APIGW_E_CONFIG), "APIGW_E_CONFIG") == 0);
  CHECK(strcmp(apigw_status_str(APIGW_OK), "ok") == 0);
  CHECK(strcmp(apigw_status_name(-999), "APIGW_E_UNKNOWN") == 0);
}

void test_hello(void) {
  http_answer a;
  apigw_gateway *gw = start_with_handler(
      CONFIG("[{\"name\": \"hello\", \"match\": {\"path\": \"/hello\"}, \"handler\": \"hello\"}]"), "hello", on_hello,
      NULL);
  int port = gateway_port(gw);
  CHECK(http_request(port, "GET", "/hello", "", NULL, &a) == 200);
  CHECK(strcmp(a.body, "hi\n") == 0);
  CHECK(http_request(port, "GET", "/nope", "", NULL, &a) == 404);
  apigw_gateway_stop(gw, 1000);
  apigw_gateway_free(gw);
}

/* Echoes what the accessors see, one item per line. */
static int32_t on_inspect(void *user, const apigw_request *req, apigw_response *res) {
  char out[1024];
  apigw_str m = apigw_request_method(req), p = apigw_request_path(req), q = apigw_request_query(req);
  apigw_str id = apigw_request_param(req, "id"), h = apigw_request_header(req, "X-Thing");
  apigw_str b = apigw_request_body(req), name, value;
  size_t i, n = apigw_request_header_count(req);
  int seen_thing = 0;
  (void)user;
  for (i = 0; i < n; ++i) {
    if (apigw_request_header_at(req, i, &name, &value) != APIGW_OK) return APIGW_E_INTERNAL;
    if (name.len == 7 && strncmp(name.ptr, "x-thing", 7) == 0) seen_thing = 1;
    if (name.len == 7 && strncmp(name.ptr, "X-Thing", 7) == 0) seen_thing = 1;
  }
  if (apigw_request_header_at(req, n, &name, &value) != APIGW_E_NOT_FOUND) return APIGW_E_INTERNAL;
  if (apigw_request_param_count(req) != 1 || apigw_request_param_at(req, 0, &name, &value) != APIGW_OK ||
      name.len != 2 || memcmp(name.ptr, "id", 2) != 0 || apigw_request_param_at(req, 1, &name, &value) != APIGW_E_NOT_FOUND)
    return APIGW_E_INTERNAL;
  snprintf(out, sizeof out, "%.*s\n%.*s\n%.*s\n%.*s\n%.*s\n%.*s\n%d\n%s\n%s\n", (int)m.len, m.ptr, (int)p.len, p.ptr,
           (int)q.len, q.ptr, (int)id.len, id.ptr, (int)h.len, h.ptr, (int)b.len, b.ptr, seen_thing,
           apigw_request_header(req, "x-absent").ptr == NULL ? "absent" : "present",
           apigw_request_consumer(req).ptr == NULL ? "no-consumer" : "consumer");
  return say(res, 201, out);
}

void test_request_accessors(void) {
  http_answer a;
  char value[64];
  apigw_gateway *gw = start_with_handler(
      CONFIG("[{\"name\": \"i\", \"match\": {\"path\": \"/users/{id}\"}, \"handler\": \"inspect\"}]"), "inspect",
      on_inspect, NULL);
  CHECK(http_request(gateway_port(gw), "POST", "/users/42?x=1&y=2", "X-Thing: yes\r\n", "payload", &a) == 201);
  CHECK(strcmp(a.body, "POST\n/users/42\nx=1&y=2\n42\nyes\npayload\n1\nabsent\nno-consumer\n") == 0);
  CHECK(http_header(&a, "content-type", value, sizeof value) == 0 && strcmp(value, "text/plain") == 0);
  apigw_gateway_free(gw); /* free also stops */
}

void test_bad_json(void) {
  char err[4096];
  apigw_gateway *gw = (apigw_gateway *)&err; /* must be reset to NULL on failure */
  const char *broken = "{\"listeners\": [";
  const char *wrong = "{\"listeners\": [{\"address\": \"nowhere\"}], \"routs\": [], \"workers\": 0}";
  CHECK(apigw_gateway_new_from_json(broken, strlen(broken), &gw, err, sizeof err) == APIGW_E_CONFIG);
  CHECK(gw == NULL);
  CHECK(strstr(err, "invalid JSON") != NULL);
  /* Every error, one per line. */
  CHECK(apigw_gateway_new_from_json(wrong, strlen(wrong), &gw, err, sizeof err) == APIGW_E_CONFIG);
  CHECK(strstr(err, "/routs") != NULL);
  CHECK(strstr(err, "/workers") != NULL);
  CHECK(strstr(err, "/listeners/0/address") != NULL);
  CHECK(strchr(err, '\n') != NULL);
  /* A small buffer gets a truncated, terminated message; a NULL one nothing. */
  CHECK(apigw_gateway_new_from_json(wrong, strlen(wrong), &gw, err, 8) == APIGW_E_CONFIG);
  CHECK(strlen(err) == 7);
  CHECK(apigw_gateway_new_from_json(wrong, strlen(wrong), &gw, NULL, 0) == APIGW_E_CONFIG);
}

void test_bad_arguments(void) {
  char err[APIGW_ERRBUF_SIZE];
  const char *json = CONFIG("[{\"name\": \"h\", \"match\": {\"path\": \"/\"}, \"handler\": \"missing\"}]");
  apigw_gateway *gw = NULL;
  apigw_policy_vtable vt;
  CHECK(apigw_gateway_new_from_json(NULL, 5, &gw, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_new_from_json(json, strlen(json), NULL, err, sizeof err) == APIGW_E_INVALID);
  CHECK(strstr(err, "NULL") != NULL);
  CHECK(apigw_gateway_add_handler(NULL, "x", on_hello, NULL, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_start(NULL, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_reload_json(NULL, "{}", 2, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_attach(NULL, NULL, NULL, NULL, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_address(NULL, 0, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_active_requests(NULL) == 0);
  apigw_gateway_stop(NULL, 0);
  apigw_gateway_free(NULL);
  apigw_builder_free(NULL);
  CHECK(apigw_request_path(NULL).ptr == NULL);
  CHECK(apigw_response_set_status(NULL, 200) == APIGW_E_INVALID);
  CHECK(apigw_response_defer(NULL) == NULL);
  CHECK(apigw_response_complete(NULL) == APIGW_E_INVALID);

  REQUIRE_OK(apigw_gateway_new_from_json(json, strlen(json), &gw, err, sizeof err), err);
  CHECK(apigw_gateway_add_handler(gw, "", on_hello, NULL, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_add_handler(gw, "x", NULL, NULL, err, sizeof err) == APIGW_E_INVALID);
  memset(&vt, 0, sizeof vt); /* struct_size unset */
  CHECK(apigw_gateway_add_policy(gw, "p", &vt, NULL, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_address(gw, 0, err, sizeof err) == APIGW_E_NOT_FOUND); /* not serving */
  /* The route names a handler nobody registered: start says so. */
  CHECK(apigw_gateway_start(gw, err, sizeof err) == APIGW_E_CONFIG);
  CHECK(strstr(err, "unknown handler \"missing\"") != NULL);
  /* Registering it makes the next start work; a second start is refused. */
  REQUIRE_OK(apigw_gateway_add_handler(gw, "missing", on_hello, NULL, err, sizeof err), err);
  REQUIRE_OK(apigw_gateway_start(gw, err, sizeof err), err);
  CHECK(apigw_gateway_start(gw, err, sizeof err) == APIGW_E_STATE);
  apigw_gateway_stop(gw, 0);
  CHECK(apigw_gateway_start(gw, err, sizeof err) == APIGW_E_STATE);
  apigw_gateway_free(gw);
}

void test_reload(void) {
  char err[APIGW_ERRBUF_SIZE];
  http_answer a;
  const char *v2 = CONFIG("[{\"name\": \"b\", \"match\": {\"path\": \"/b\"}, \"handler\": \"hello\"}]");
  const char *bad = CONFIG("[{\"name\": \"b\", \"match\": {\"path\": \"/b\"}, \"upstream\": \"nowhere\"}]");
  const char *moved = "{\"listeners\": [{\"address\": \"127.0.0.1:1\"}]}";
  apigw_gateway *gw = start_with_handler(
      CONFIG("[{\"name\": \"a\", \"match\": {\"path\": \"/a\"}, \"handler\": \"hello\"}]"), "hello", on_hello, NULL);
  int port = gateway_port(gw);
  CHECK(http_request(port, "GET", "/a", "", NULL, &a) == 200);
  REQUIRE_OK(apigw_gateway_reload_json(gw, v2, strlen(v2), err, sizeof err), err);
  CHECK(http_request(port, "GET", "/a", "", NULL, &a) == 404);
  CHECK(http_request(port, "GET", "/b", "", NULL, &a) == 200); /* the handler carried over */
  /* A refused reload leaves the running config alone. */
  CHECK(apigw_gateway_reload_json(gw, bad, strlen(bad), err, sizeof err) == APIGW_E_CONFIG);
  CHECK(strstr(err, "nowhere") != NULL);
  CHECK(apigw_gateway_reload_json(gw, moved, strlen(moved), err, sizeof err) == APIGW_E_STATE);
  CHECK(strstr(err, "restart") != NULL);
  CHECK(http_request(port, "GET", "/b", "", NULL, &a) == 200);
  apigw_gateway_stop(gw, 1000);
  apigw_gateway_free(gw);
}

static void *run_gateway(void *gw) {
  char err[APIGW_ERRBUF_SIZE];
  int32_t rc = apigw_gateway_run((apigw_gateway *)gw, err, sizeof err);
  if (rc != APIGW_OK) fprintf(stderr, "run: %s\n", err);
  return (void *)(intptr_t)rc;
}

static int wait_for_port(apigw_gateway *gw) {
  struct timespec tick = {0, 1000000};
  int i, port;
  for (i = 0; i < 5000; ++i) {
    if ((port = gateway_port(gw)) > 0) return port;
    nanosleep(&tick, NULL);
  }
  return -1;
}

void test_run_on_caller_thread(void) {
  char err[APIGW_ERRBUF_SIZE];
  const char *json = CONFIG("[{\"name\": \"h\", \"match\": {\"path\": \"/\"}, \"handler\": \"hello\"}]");
  http_answer a;
  apigw_gateway *gw = NULL;
  pthread_t host;
  void *rc;
  REQUIRE_OK(apigw_gateway_new_from_json(json, strlen(json), &gw, err, sizeof err), err);
  REQUIRE_OK(apigw_gateway_add_handler(gw, "hello", on_hello, NULL, err, sizeof err), err);
  pthread_create(&host, NULL, run_gateway, gw);
  CHECK(http_request(wait_for_port(gw), "GET", "/", "", NULL, &a) == 200);
  apigw_gateway_stop(gw, 1000);
  pthread_join(host, &rc);
  CHECK((intptr_t)rc == APIGW_OK);
  apigw_gateway_free(gw);
}

/* The host's loop: it runs on a thread of the host's, and the host asks it
 * (through a uv_async_t) to stop the gateway on the loop's own thread. */
typedef struct host_loop {
  uv_loop_t loop;
  uv_async_t stop;
  apigw_gateway *gw;
  int stopped_calls;
} host_loop;

static void on_gateway_stopped(void *user) {
  host_loop *h = (host_loop *)user;
  ++h->stopped_calls;
  uv_close((uv_handle_t *)&h->stop, NULL); /* nothing else keeps the loop alive */
}

static void on_stop_async(uv_async_t *async) {
  host_loop *h = (host_loop *)async->data;
  apigw_gateway_stop(h->gw, 1000);
}

static void *run_host_loop(void *user) {
  host_loop *h = (host_loop *)user;
  uv_run(&h->loop, UV_RUN_DEFAULT);
  return NULL;
}

void test_attach_to_host_loop(void) {
  char err[APIGW_ERRBUF_SIZE];
  const char *json = CONFIG("[{\"name\": \"h\", \"match\": {\"path\": \"/\"}, \"handler\": \"hello\"}]");
  http_answer a;
  host_loop h;
  pthread_t thread;
  memset(&h, 0, sizeof h);
  uv_loop_init(&h.loop);
  uv_async_init(&h.loop, &h.stop, on_stop_async);
  h.stop.data = &h;
  REQUIRE_OK(apigw_gateway_new_from_json(json, strlen(json), &h.gw, err, sizeof err), err);
  REQUIRE_OK(apigw_gateway_add_handler(h.gw, "hello", on_hello, NULL, err, sizeof err), err);
  REQUIRE_OK(apigw_gateway_attach(h.gw, &h.loop, on_gateway_stopped, &h, err, sizeof err), err);
  pthread_create(&thread, NULL, run_host_loop, &h);
  CHECK(http_request(gateway_port(h.gw), "GET", "/", "", NULL, &a) == 200);
  uv_async_send(&h.stop);
  pthread_join(thread, NULL); /* uv_run returns once the gateway closed everything */
  CHECK(h.stopped_calls == 1);
  apigw_gateway_free(h.gw);
  CHECK(uv_loop_close(&h.loop) == 0);
}

void test_builder(void) {
  char err[APIGW_ERRBUF_SIZE], origin_address[64];
  const char *limit = "{\"key\": \"ip\", \"limit\": 2, \"window_ms\": 60000}";
  const char *policies[] = {"two-per-minute"};
  http_answer a;
  apigw_builder *b = NULL;
  apigw_gateway *origin = start_with_handler(
      CONFIG("[{\"name\": \"o\", \"match\": {\"path_prefix\": \"/\"}, \"handler\": \"hello\"}]"), "hello", on_hello,
      NULL);
  apigw_gateway *gw = NULL;
  int port;
  REQUIRE_OK(apigw_gateway_address(origin, 0, origin_address, sizeof origin_address), "origin address");
  REQUIRE_OK(apigw_builder_new(&b, err, sizeof err), err);
  REQUIRE_OK(apigw_builder_add_listener(b, "public", "127.0.0.1:0", err, sizeof err), err);
  REQUIRE_OK(apigw_builder_add_upstream(b, "origin", err, sizeof err), err);
  REQUIRE_OK(apigw_builder_add_target(b, "origin", origin_address, 1, err, sizeof err), err);
  CHECK(apigw_builder_add_target(b, "nowhere", origin_address, 1, err, sizeof err) == APIGW_E_NOT_FOUND);
  REQUIRE_OK(apigw_builder_add_policy(b, "two-per-minute", "rate_limit", limit, strlen(limit), err, sizeof err), err);
  CHECK(apigw_builder_add_policy(b, "bad", "rate_limit", "{\"limit\": -1}", 13, err, sizeof err) == APIGW_E_CONFIG);
  CHECK(strstr(err, "policy \"bad\" /limit") != NULL);
  CHECK(apigw_builder_add_policy(b, "odd", "no_such_type", NULL, 0, err, sizeof err) == APIGW_E_CONFIG);
  CHECK(apigw_builder_add_policy(b, "odd", "headers", "[1]", 3, err, sizeof err) == APIGW_E_CONFIG);
  {
    apigw_route_options proxied = {.struct_size = sizeof(apigw_route_options), .name = "proxied",
                                   .path_prefix = "/api/", .upstream = "origin", .policies = policies,
                                   .policy_count = 1};
    apigw_route_options local = {.struct_size = sizeof(apigw_route_options), .name = "local",
                                 .path = "/hi/{who}", .method = "GET", .respond_status = 202,
                                 .respond_body = "hi {who}"};
    REQUIRE_OK(apigw_builder_add_route(b, &proxied, err, sizeof err), err);
    REQUIRE_OK(apigw_builder_add_route(b, &local, err, sizeof err), err);
  }
  REQUIRE_OK(apigw_gateway_new_from_builder(b, &gw, err, sizeof err), err);
  apigw_builder_free(b); /* the gateway keeps its own copy */
  REQUIRE_OK(apigw_gateway_start(gw, err, sizeof err), err);
  port = gateway_port(gw);
  CHECK(http_request(port, "GET", "/hi/ada", "", NULL, &a) == 202);
  CHECK(strcmp(a.body, "hi ada") == 0);
  CHECK(http_request(port, "POST", "/hi/ada", "", NULL, &a) == 405);
  CHECK(http_request(port, "GET", "/api/x", "", NULL, &a) == 200);
  CHECK(strcmp(a.body, "hi\n") == 0);
  CHECK(http_request(port, "GET", "/api/x", "", NULL, &a) == 200);
  CHECK(http_request(port, "GET", "/api/x", "", NULL, &a) == 429);
  apigw_gateway_free(gw);
  apigw_gateway_free(origin);
}

/* Each host thread makes, serves, calls and frees a gateway of its own. */
static void *one_host_thread(void *unused) {
  http_answer a;
  int i, ok = 1;
  apigw_gateway *gw = start_with_handler(
      CONFIG("[{\"name\": \"h\", \"match\": {\"path\": \"/\"}, \"handler\": \"hello\"}]"), "hello", on_hello, NULL);
  int port = gateway_port(gw);
  (void)unused;
  for (i = 0; i < 20; ++i) ok &= http_request(port, "GET", "/", "", NULL, &a) == 200;
  apigw_gateway_stop(gw, 1000);
  apigw_gateway_free(gw);
  return (void *)(intptr_t)ok;
}

void test_two_host_threads(void) {
  pthread_t t[2];
  void *ok[2];
  pthread_create(&t[0], NULL, one_host_thread, NULL);
  pthread_create(&t[1], NULL, one_host_thread, NULL);
  pthread_join(t[0], &ok[0]);
  pthread_join(t[1], &ok[1]);
  CHECK((intptr_t)ok[0] == 1);
  CHECK((intptr_t)ok[1] == 1);
}

static int32_t on_broken(void *user, const apigw_request *req, apigw_response *res) {
  (void)user;
  (void)req;
  apigw_response_set_body(res, "half an answer", 14);
  return APIGW_E_INTERNAL;
}

void test_handler_error_is_500(void) {
  http_answer a;
  apigw_gateway *gw = start_with_handler(
      CONFIG("[{\"name\": \"h\", \"match\": {\"path\": \"/\"}, \"handler\": \"broken\"}]"), "broken", on_broken, NULL);
  CHECK(http_request(gateway_port(gw), "GET", "/", "", NULL, &a) == 500);
  CHECK(strstr(a.body, "\"error\"") != NULL);
  CHECK(strstr(a.body, "half an answer") == NULL);
  apigw_gateway_free(gw);
}
