/* A custom policy stage in C, built step by step: requests need a bearer
 * token; the policy names the consumer and stamps the answer.
 *   example_c_custom_policy [ADDRESS] */
#include <apigw/apigw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static int32_t auth_on_request(void *user, apigw_request *req, apigw_response *res) {
  const char *token = (const char *)user;
  apigw_str got = apigw_request_header(req, "authorization");
  if (!got.ptr || got.len != strlen(token) || memcmp(got.ptr, token, got.len) != 0) {
    apigw_response_set_status(res, 401);
    apigw_response_set_header(res, "www-authenticate", "Bearer");
    apigw_response_set_body(res, "who are you?\n", 13);
    return APIGW_RESPOND;
  }
  apigw_request_set_consumer(req, "token-holder");
  return APIGW_CONTINUE;
}

static int32_t auth_on_response(void *user, apigw_request *req, apigw_response *res) {
  (void)user;
  (void)req;
  apigw_response_set_header(res, "x-checked-by", "auth");
  return APIGW_CONTINUE;
}

static int32_t on_hello(void *user, const apigw_request *req, apigw_response *res) {
  char body[128];
  apigw_str who = apigw_request_consumer(req);
  (void)user;
  snprintf(body, sizeof body, "hello, %.*s\n", (int)who.len, who.ptr);
  apigw_response_set_body(res, body, strlen(body));
  return APIGW_OK;
}

int main(int argc, char **argv) {
  static const char token[] = "Bearer open-sesame";
  const char *policies[] = {"auth"};
  apigw_route_options route = {.struct_size = sizeof(apigw_route_options), .name = "hello", .path = "/hello",
                               .handler = "hello", .policies = policies, .policy_count = 1};
  apigw_policy_vtable auth = {.struct_size = sizeof(apigw_policy_vtable), .on_request = auth_on_request,
                              .on_response = auth_on_response};
  char err[APIGW_ERRBUF_SIZE] = "", address[64];
  apigw_builder *b = NULL;
  apigw_gateway *gw = NULL;
  sigset_t stop;
  int sig, ok;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  ok = apigw_builder_new(&b, err, sizeof err) == APIGW_OK &&
       apigw_builder_add_listener(b, "public", argc > 1 ? argv[1] : "127.0.0.1:8080", err, sizeof err) == APIGW_OK &&
       apigw_builder_add_route(b, &route, err, sizeof err) == APIGW_OK &&
       apigw_gateway_new_from_builder(b, &gw, err, sizeof err) == APIGW_OK &&
       apigw_gateway_add_policy(gw, "auth", &auth, (void *)token, err, sizeof err) == APIGW_OK &&
       apigw_gateway_add_handler(gw, "hello", on_hello, NULL, err, sizeof err) == APIGW_OK &&
       apigw_gateway_start(gw, err, sizeof err) == APIGW_OK;
  apigw_builder_free(b);
  if (!ok) {
    fprintf(stderr, "%s\n", err);
    apigw_gateway_free(gw);
    return 1;
  }
  apigw_gateway_address(gw, 0, address, sizeof address);
  printf("listening on http://%s/hello (send authorization: %s)\n", address, token);
  fflush(stdout);
  sigwait(&stop, &sig);
  apigw_gateway_stop(gw, 1000);
  apigw_gateway_free(gw);
  return 0;
}
