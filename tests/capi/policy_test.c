/* Custom policy stages through the C vtable: deny, continue, fail closed, pause and resume. */
#include <pthread.h>
#include <stdint.h>

#include "tests.h"

static int32_t gate_on_request(void *user, apigw_request *req, apigw_response *res) {
  apigw_str user_name = apigw_request_header(req, "x-user");
  (void)user;
  if (apigw_request_header(req, "x-deny").ptr) {
    apigw_response_set_status(res, 403);
    apigw_response_set_body(res, "denied", 6);
    return APIGW_RESPOND;
  }
  if (user_name.ptr) {
    char id[64];
    snprintf(id, sizeof id, "%.*s", (int)user_name.len, user_name.ptr);
    apigw_request_set_consumer(req, id);
    apigw_request_set_header(req, "x-checked", "yes");
  }
  return APIGW_CONTINUE;
}

static int32_t gate_on_response(void *user, apigw_request *req, apigw_response *res) {
  (void)user;
  (void)req;
  CHECK(apigw_response_status(res) == 200 || apigw_response_status(res) == 403);
  apigw_response_set_header(res, "x-policy", "seen");
  return APIGW_CONTINUE;
}

static int log_calls;
static void gate_on_log(void *user, const apigw_request *req, const apigw_response *res) {
  (void)user;
  (void)req;
  (void)res;
  __atomic_add_fetch(&log_calls, 1, __ATOMIC_SEQ_CST);
}

static int32_t broken_on_request(void *user, apigw_request *req, apigw_response *res) {
  (void)user;
  (void)req;
  (void)res;
  return 77; /* not a decision: fails closed */
}

static int32_t on_whoami(void *user, const apigw_request *req, apigw_response *res) {
  char out[256];
  apigw_str c = apigw_request_consumer(req), h = apigw_request_header(req, "x-checked");
  (void)user;
  snprintf(out, sizeof out, "%.*s %.*s", (int)c.len, c.ptr ? c.ptr : "", (int)h.len, h.ptr ? h.ptr : "");
  apigw_response_set_body(res, out, strlen(out));
  return APIGW_OK;
}

#define POLICY_ROUTES(policy)                                                                         \
  CONFIG("[{\"name\": \"p\", \"match\": {\"path\": \"/\"}, \"handler\": \"whoami\", \"policies\": [\"" policy \
         "\"]}]")

static apigw_gateway *start_with_policy(const char *json, const char *name, const apigw_policy_vtable *vt,
                                        void *user) {
  char err[APIGW_ERRBUF_SIZE];
  apigw_gateway *gw = NULL;
  REQUIRE_OK(apigw_gateway_new_from_json(json, strlen(json), &gw, err, sizeof err), err);
  REQUIRE_OK(apigw_gateway_add_handler(gw, "whoami", on_whoami, NULL, err, sizeof err), err);
  REQUIRE_OK(apigw_gateway_add_policy(gw, name, vt, user, err, sizeof err), err);
  REQUIRE_OK(apigw_gateway_start(gw, err, sizeof err), err);
  return gw;
}

void test_policy_deny_and_continue(void) {
  http_answer a;
  char value[32];
  apigw_policy_vtable gate, broken;
  apigw_gateway *gw, *gw2;
  int port;
  memset(&gate, 0, sizeof gate);
  gate.struct_size = sizeof gate;
  gate.on_request = gate_on_request;
  gate.on_response = gate_on_response;
  gate.on_log = gate_on_log;
  memset(&broken, 0, sizeof broken);
  broken.struct_size = sizeof broken;
  broken.on_request = broken_on_request;

  gw = start_with_policy(POLICY_ROUTES("gate"), "gate", &gate, NULL);
  port = gateway_port(gw);
  CHECK(http_request(port, "GET", "/", "x-user: ada\r\n", NULL, &a) == 200);
  CHECK(strcmp(a.body, "ada yes") == 0);
  CHECK(http_header(&a, "x-policy", value, sizeof value) == 0 && strcmp(value, "seen") == 0);
  CHECK(http_request(port, "GET", "/", "x-deny: 1\r\n", NULL, &a) == 403);
  CHECK(strcmp(a.body, "denied") == 0);
  CHECK(http_request(port, "GET", "/", "", NULL, &a) == 200);
  CHECK(strcmp(a.body, " ") == 0);
  apigw_gateway_free(gw);
  CHECK(__atomic_load_n(&log_calls, __ATOMIC_SEQ_CST) == 3);

  gw2 = start_with_policy(POLICY_ROUTES("broken"), "broken", &broken, NULL);
  CHECK(http_request(gateway_port(gw2), "GET", "/", "", NULL, &a) == 500);
  apigw_gateway_free(gw2);
}

/* A policy that asks a host thread, which later resumes or answers. */
typedef struct asker {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  apigw_response *pending;
  int deny; /* the decision of the pending request */
  int done;
} asker;

static int32_t ask_on_request(void *user, apigw_request *req, apigw_response *res) {
  asker *k = (asker *)user;
  apigw_response *d = apigw_response_defer(res);
  if (!d) return APIGW_FAIL;
  pthread_mutex_lock(&k->mu);
  k->pending = d;
  k->deny = apigw_request_header(req, "x-deny").ptr != NULL;
  pthread_cond_broadcast(&k->cv);
  pthread_mutex_unlock(&k->mu);
  return APIGW_PAUSE;
}

static void *asker_thread(void *user) {
  asker *k = (asker *)user;
  for (;;) {
    apigw_response *d;
    int deny;
    pthread_mutex_lock(&k->mu);
    while (!k->pending && !k->done) pthread_cond_wait(&k->cv, &k->mu);
    if (!k->pending) {
      pthread_mutex_unlock(&k->mu);
      return NULL;
    }
    d = k->pending;
    deny = k->deny;
    k->pending = NULL;
    pthread_mutex_unlock(&k->mu);
    if (deny) {
      apigw_response_set_status(d, 401);
      apigw_response_set_body(d, "no", 2);
      CHECK(apigw_response_complete(d) == APIGW_OK);
    } else {
      CHECK(apigw_response_resume(d) == APIGW_OK);
    }
  }
}

static void with_asker(void (*body)(int port)) {
  asker k;
  pthread_t thread;
  apigw_policy_vtable vt;
  apigw_gateway *gw;
  memset(&k, 0, sizeof k);
  pthread_mutex_init(&k.mu, NULL);
  pthread_cond_init(&k.cv, NULL);
  memset(&vt, 0, sizeof vt);
  vt.struct_size = sizeof vt;
  vt.on_request = ask_on_request;
  pthread_create(&thread, NULL, asker_thread, &k);
  gw = start_with_policy(POLICY_ROUTES("ask"), "ask", &vt, &k);
  body(gateway_port(gw));
  apigw_gateway_free(gw);
  pthread_mutex_lock(&k.mu);
  k.done = 1;
  pthread_cond_broadcast(&k.cv);
  pthread_mutex_unlock(&k.mu);
  pthread_join(thread, NULL);
  pthread_mutex_destroy(&k.mu);
  pthread_cond_destroy(&k.cv);
}

static void resumed(int port) {
  http_answer a;
  int i;
  for (i = 0; i < 5; ++i) {
    CHECK(http_request(port, "GET", "/", "x-user: ada\r\n", NULL, &a) == 200);
    CHECK(strcmp(a.body, " ") == 0); /* the handler ran after the resume */
  }
}

static void answered(int port) {
  http_answer a;
  CHECK(http_request(port, "GET", "/", "x-deny: 1\r\n", NULL, &a) == 401);
  CHECK(strcmp(a.body, "no") == 0);
  CHECK(http_request(port, "GET", "/", "", NULL, &a) == 200);
}

void test_policy_pause_resume(void) { with_asker(resumed); }

void test_policy_answers_later(void) { with_asker(answered); }
