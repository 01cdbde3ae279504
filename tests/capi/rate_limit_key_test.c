/* A rate-limit key function registered from C: "key": "host:tenant" gives
 * one bucket per tenant, through a real gateway. */
#include <stdint.h>

#include "tests.h"

static int key_calls;

/* The x-tenant header as the key; none without it. */
static size_t tenant_key(void *user, const apigw_request *req, char *buf, size_t buflen) {
  apigw_str tenant = apigw_request_header(req, "x-tenant");
  CHECK(user == &key_calls);
  __atomic_add_fetch(&key_calls, 1, __ATOMIC_SEQ_CST);
  if (!tenant.ptr) return 0;
  if (tenant.len <= buflen) memcpy(buf, tenant.ptr, tenant.len);
  return tenant.len; /* above buflen: called again with room for it */
}

#define TENANT_CONFIG                                                                                  \
  "{\"listeners\": [{\"name\": \"public\", \"address\": \"127.0.0.1:0\"}],"                             \
  " \"policies\": [{\"name\": \"per-tenant\", \"type\": \"rate_limit\", \"key\": \"host:tenant\","      \
  " \"limit\": 1, \"window_ms\": 60000}],"                                                              \
  " \"routes\": [{\"name\": \"r\", \"match\": {\"path\": \"/\"}, \"respond\": {\"status\": 200, \"body\": \"ok\"}," \
  " \"policies\": [\"per-tenant\"]}]}"

static int status_for(int port, const char *tenant) {
  http_answer a;
  char header[1024];
  if (tenant) snprintf(header, sizeof header, "x-tenant: %s\r\n", tenant);
  else header[0] = '\0';
  return http_request(port, "GET", "/", header, NULL, &a);
}

void test_rate_limit_key_function(void) {
  char err[APIGW_ERRBUF_SIZE];
  char long_a[301], long_b[301];
  apigw_gateway *gw = NULL;
  int port;
  REQUIRE_OK(apigw_gateway_new_from_json(TENANT_CONFIG, strlen(TENANT_CONFIG), &gw, err, sizeof err), err);
  REQUIRE_OK(apigw_gateway_add_rate_limit_key(gw, "tenant", tenant_key, &key_calls, err, sizeof err), err);
  REQUIRE_OK(apigw_gateway_start(gw, err, sizeof err), err);
  port = gateway_port(gw);

  /* Two keys, limited independently. */
  CHECK(status_for(port, "acme") == 200);
  CHECK(status_for(port, "acme") == 429);
  CHECK(status_for(port, "globex") == 200);
  CHECK(status_for(port, "globex") == 429);
  CHECK(status_for(port, "acme") == 429);
  CHECK(key_calls == 5);

  /* Keys longer than the first buffer: two keys that differ only in their last byte. */
  memset(long_a, 'k', 300);
  long_a[300] = '\0';
  memcpy(long_b, long_a, sizeof long_a);
  long_b[299] = 'z';
  CHECK(status_for(port, long_a) == 200);
  CHECK(status_for(port, long_a) == 429);
  CHECK(status_for(port, long_b) == 200);

  /* No key: every such request shares one bucket (missing_key "shared"). */
  CHECK(status_for(port, NULL) == 200);
  CHECK(status_for(port, NULL) == 429);

  apigw_gateway_stop(gw, 1000);
  apigw_gateway_free(gw);
}

void test_rate_limit_key_refused(void) {
  char err[APIGW_ERRBUF_SIZE];
  apigw_gateway *gw = NULL;
  REQUIRE_OK(apigw_gateway_new_from_json(TENANT_CONFIG, strlen(TENANT_CONFIG), &gw, err, sizeof err), err);

  CHECK(apigw_gateway_add_rate_limit_key(NULL, "tenant", tenant_key, NULL, err, sizeof err) == APIGW_E_INVALID);
  CHECK(strstr(err, "must not be NULL") != NULL);
  CHECK(apigw_gateway_add_rate_limit_key(gw, "", tenant_key, NULL, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_add_rate_limit_key(gw, NULL, tenant_key, NULL, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_add_rate_limit_key(gw, "tenant", NULL, NULL, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_add_rate_limit_key(gw, "tenant", tenant_key, &key_calls, NULL, 0) == APIGW_OK); /* no err buffer */

  apigw_gateway_free(gw);

  /* A config naming a function nobody registered does not start. */
  gw = NULL;
  REQUIRE_OK(apigw_gateway_new_from_json(TENANT_CONFIG, strlen(TENANT_CONFIG), &gw, err, sizeof err), err);
  CHECK(apigw_gateway_start(gw, err, sizeof err) == APIGW_E_CONFIG);
  CHECK(strstr(err, "no rate-limit key function \"tenant\"") != NULL);
  apigw_gateway_free(gw);
}
