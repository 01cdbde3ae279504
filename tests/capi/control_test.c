/* Control calls on a running gateway: the route kill switch and rate-limit overrides. */
#include <stdint.h>

#include "tests.h"

#define CONTROL_CONFIG                                                                                          \
  "{\"listeners\": [{\"name\": \"public\", \"address\": \"127.0.0.1:0\"}],"                                     \
  " \"policies\": [{\"name\": \"one\", \"type\": \"rate_limit\", \"key\": \"ip\", \"limit\": 1, \"window_ms\": 60000}]," \
  " \"routes\": [{\"name\": \"limited\", \"match\": {\"path\": \"/limited\"}, \"respond\": {\"status\": 200},"    \
  " \"policies\": [\"one\"]}, {\"name\": \"open\", \"match\": {\"path\": \"/open\"}, \"respond\": {\"status\": 200}}]}"

static int status_of(int port, const char *path) {
  http_answer a;
  return http_request(port, "GET", path, "", NULL, &a);
}

/* The ratelimit-limit a request to /limited answers with; -1 when absent. */
static int limit_header(int port) {
  http_answer a;
  char value[32];
  http_request(port, "GET", "/limited", "", NULL, &a);
  return http_header(&a, "ratelimit-limit", value, sizeof value) == 0 ? atoi(value) : -1;
}

void test_route_kill_switch(void) {
  char err[APIGW_ERRBUF_SIZE];
  apigw_gateway *gw = NULL;
  int port;
  REQUIRE_OK(apigw_gateway_new_from_json(CONTROL_CONFIG, strlen(CONTROL_CONFIG), &gw, err, sizeof err), err);
  CHECK(apigw_gateway_set_route_enabled(gw, "open", 0, err, sizeof err) == APIGW_E_STATE);
  REQUIRE_OK(apigw_gateway_start(gw, err, sizeof err), err);
  port = gateway_port(gw);

  CHECK(status_of(port, "/open") == 200);
  CHECK(apigw_gateway_set_route_enabled(gw, "open", 0, err, sizeof err) == APIGW_OK);
  CHECK(status_of(port, "/open") == 503);
  /* Kept across a reload. */
  REQUIRE_OK(apigw_gateway_reload_json(gw, CONTROL_CONFIG, strlen(CONTROL_CONFIG), err, sizeof err), err);
  CHECK(status_of(port, "/open") == 503);
  CHECK(apigw_gateway_set_route_enabled(gw, "open", 1, err, sizeof err) == APIGW_OK);
  CHECK(status_of(port, "/open") == 200);

  CHECK(apigw_gateway_set_route_enabled(gw, "nope", 0, err, sizeof err) == APIGW_E_NOT_FOUND);
  CHECK(strstr(err, "nope") != NULL);
  CHECK(apigw_gateway_set_route_enabled(gw, "", 0, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_set_route_enabled(NULL, "open", 0, NULL, 0) == APIGW_E_INVALID);
  apigw_gateway_free(gw);
}

void test_rate_limit_override(void) {
  char err[APIGW_ERRBUF_SIZE];
  apigw_gateway *gw = NULL;
  int port;
  REQUIRE_OK(apigw_gateway_new_from_json(CONTROL_CONFIG, strlen(CONTROL_CONFIG), &gw, err, sizeof err), err);
  CHECK(apigw_gateway_set_rate_limit_override(gw, "one", 100, 0, err, sizeof err) == APIGW_E_STATE);
  REQUIRE_OK(apigw_gateway_start(gw, err, sizeof err), err);
  port = gateway_port(gw);

  /* Three a minute instead of one, until removed. */
  CHECK(apigw_gateway_set_rate_limit_override(gw, "one", 3, 0, err, sizeof err) == APIGW_OK);
  CHECK(status_of(port, "/limited") == 200);
  CHECK(status_of(port, "/limited") == 200);
  CHECK(limit_header(port) == 3);
  CHECK(apigw_gateway_remove_rate_limit_override(gw, "one", err, sizeof err) == APIGW_OK);
  CHECK(limit_header(port) == 1);
  CHECK(apigw_gateway_remove_rate_limit_override(gw, "one", err, sizeof err) == APIGW_E_NOT_FOUND);

  CHECK(apigw_gateway_set_rate_limit_override(gw, "nope", 10, 0, err, sizeof err) == APIGW_E_NOT_FOUND);
  CHECK(apigw_gateway_set_rate_limit_override(gw, "one", 0, 0, err, sizeof err) == APIGW_E_INVALID);
  CHECK(strstr(err, "limit must be") != NULL);
  CHECK(apigw_gateway_set_rate_limit_override(gw, NULL, 10, 0, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_remove_rate_limit_override(NULL, "one", NULL, 0) == APIGW_E_INVALID);
  apigw_gateway_free(gw);
}
