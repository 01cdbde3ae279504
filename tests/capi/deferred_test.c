/* Handlers that answer later, from a thread of the host's. */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "tests.h"

/* One deferred response handed from a handler to a host thread. */
typedef struct handoff {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  apigw_response *deferred;
  int handlers_called;
} handoff;

static void handoff_init(handoff *h) {
  memset(h, 0, sizeof *h);
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->cv, NULL);
}

static void handoff_destroy(handoff *h) {
  pthread_mutex_destroy(&h->mu);
  pthread_cond_destroy(&h->cv);
}

/* Waits for the handler to hand a deferred response over, and takes it. */
static apigw_response *handoff_take(handoff *h) {
  apigw_response *d;
  pthread_mutex_lock(&h->mu);
  while (!h->deferred) pthread_cond_wait(&h->cv, &h->mu);
  d = h->deferred;
  h->deferred = NULL;
  pthread_mutex_unlock(&h->mu);
  return d;
}

static int32_t on_later(void *user, const apigw_request *req, apigw_response *res) {
  handoff *h = (handoff *)user;
  apigw_response *d = apigw_response_defer(res);
  (void)req;
  if (!d) return APIGW_E_INTERNAL;
  CHECK(apigw_response_defer(res) == NULL);            /* only once */
  CHECK(apigw_response_set_status(res, 200) != APIGW_OK); /* res belongs to d now */
  pthread_mutex_lock(&h->mu);
  h->deferred = d;
  ++h->handlers_called;
  pthread_cond_signal(&h->cv);
  pthread_mutex_unlock(&h->mu);
  return APIGW_OK;
}

/* The host thread: answers whatever the handler hands over. */
static void *answer_later(void *user) {
  apigw_response *d = handoff_take((handoff *)user);
  apigw_response_set_status(d, 203);
  apigw_response_set_header(d, "x-from", "host thread");
  apigw_response_set_body(d, "later", 5);
  CHECK(apigw_response_complete(d) == APIGW_OK);
  return NULL;
}

void test_deferred_from_other_thread(void) {
  handoff h;
  http_answer a;
  char value[64];
  pthread_t host;
  apigw_gateway *gw;
  handoff_init(&h);
  gw = start_with_handler(CONFIG("[{\"name\": \"l\", \"match\": {\"path\": \"/\"}, \"handler\": \"later\"}]"), "later",
                          on_later, &h);
  pthread_create(&host, NULL, answer_later, &h);
  CHECK(http_request(gateway_port(gw), "GET", "/", "", NULL, &a) == 203);
  CHECK(strcmp(a.body, "later") == 0);
  CHECK(http_header(&a, "x-from", value, sizeof value) == 0 && strcmp(value, "host thread") == 0);
  pthread_join(host, NULL);
  apigw_gateway_free(gw);
  handoff_destroy(&h);
}

/* Sends a request and returns the open socket, once the handler has it. */
static int request_and_wait_for_handler(int port, handoff *h, int calls_before) {
  const char *req = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
  int fd = http_connect(port);
  CHECK(fd >= 0);
  CHECK(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
  pthread_mutex_lock(&h->mu);
  while (h->handlers_called == calls_before) pthread_cond_wait(&h->cv, &h->mu);
  pthread_mutex_unlock(&h->mu);
  return fd;
}

static void *complete_now(void *deferred) {
  apigw_response_set_body((apigw_response *)deferred, "too late", 8);
  CHECK(apigw_response_complete((apigw_response *)deferred) == APIGW_OK);
  return NULL;
}

/* The client goes away while the host holds the answer: completing it from a
 * host thread afterwards is safe and leaks nothing (the ASan run checks). */
void test_deferred_after_client_left(void) {
  handoff h;
  pthread_t host;
  apigw_gateway *gw;
  int port;
  handoff_init(&h);
  gw = start_with_handler(CONFIG("[{\"name\": \"l\", \"match\": {\"path\": \"/\"}, \"handler\": \"later\"}]"), "later",
                          on_later, &h);
  port = gateway_port(gw);

  /* 1. The client hangs up, then the host answers. */
  close(request_and_wait_for_handler(port, &h, 0));
  pthread_create(&host, NULL, complete_now, handoff_take(&h));
  pthread_join(host, NULL);
  CHECK(wait_for_active_requests(gw, 0) == 0);

  /* 2. The gateway is stopped and freed before the host answers. */
  {
    int fd = request_and_wait_for_handler(port, &h, 1);
    apigw_response *d = handoff_take(&h);
    apigw_gateway_stop(gw, 0);
    apigw_gateway_free(gw);
    close(fd);
    pthread_create(&host, NULL, complete_now, d);
    pthread_join(host, NULL);
  }
  handoff_destroy(&h);
}
