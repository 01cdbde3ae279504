/* The C ABI's first program: a JSON config, one handler, served until Ctrl-C.
 *   example_c_hello [ADDRESS] */
#include <apigw/apigw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static int32_t on_hello(void *user, const apigw_request *req, apigw_response *res) {
  char body[256];
  apigw_str name = apigw_request_param(req, "name");
  (void)user;
  snprintf(body, sizeof body, "hello, %.*s\n", (int)name.len, name.ptr);
  apigw_response_set_status(res, 200);
  apigw_response_set_header(res, "content-type", "text/plain");
  apigw_response_set_body(res, body, strlen(body));
  return APIGW_OK;
}

int main(int argc, char **argv) {
  char json[512], err[APIGW_ERRBUF_SIZE], address[64];
  apigw_gateway *gw = NULL;
  sigset_t stop;
  int sig;
  snprintf(json, sizeof json,
           "{\"listeners\": [{\"name\": \"public\", \"address\": \"%s\"}],"
           " \"routes\": [{\"name\": \"hello\", \"match\": {\"path\": \"/hello/{name}\"}, \"handler\": \"hello\"}]}",
           argc > 1 ? argv[1] : "127.0.0.1:8080");
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, NULL); /* before the workers start, so they inherit it */
  if (apigw_gateway_new_from_json(json, strlen(json), &gw, err, sizeof err) != APIGW_OK ||
      apigw_gateway_add_handler(gw, "hello", on_hello, NULL, err, sizeof err) != APIGW_OK ||
      apigw_gateway_start(gw, err, sizeof err) != APIGW_OK) {
    fprintf(stderr, "%s\n", err);
    apigw_gateway_free(gw);
    return 1;
  }
  apigw_gateway_address(gw, 0, address, sizeof address);
  printf("listening on http://%s/hello/world\n", address);
  fflush(stdout);
  sigwait(&stop, &sig);
  apigw_gateway_stop(gw, 1000);
  apigw_gateway_free(gw);
  return 0;
}
