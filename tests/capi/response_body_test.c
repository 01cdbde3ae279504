/* Proxied answers through a real gateway in front of a second one (the
 * origin): a C policy that rewrites the whole body (response_body_limit),
 * one that sees an answer overflow its limit, a host built before ABI 0.4,
 * and the cache purge. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>

#include "tests.h"

#define LONG_BODY_BYTES 200

static int origin_calls;

/* The origin: "hello from PATH", or LONG_BODY_BYTES of 'a' under /long;
 * cacheable for a minute. */
static int32_t origin_answer(void *user, const apigw_request *req, apigw_response *res) {
  apigw_str path = apigw_request_path(req);
  char body[LONG_BODY_BYTES];
  int n;
  (void)user;
  __atomic_add_fetch(&origin_calls, 1, __ATOMIC_SEQ_CST);
  if (path.len >= 5 && memcmp(path.ptr, "/long", 5) == 0) {
    memset(body, 'a', sizeof body);
    n = (int)sizeof body;
  } else {
    n = snprintf(body, sizeof body, "hello from %.*s", (int)path.len, path.ptr);
  }
  apigw_response_set_header(res, "cache-control", "max-age=60");
  apigw_response_set_body(res, body, (size_t)n);
  return APIGW_OK;
}

static apigw_gateway *start_origin(void) {
  return start_with_handler(CONFIG("[{\"name\": \"o\", \"match\": {\"path_prefix\": \"/\"}, \"handler\": \"origin\"}]"),
                            "origin", origin_answer, NULL);
}

/* A gateway proxying everything to `origin` through `policies` (a JSON
 * array); `vt`, when given, is registered as policy "body". */
static apigw_gateway *start_front(apigw_gateway *origin, const char *policies, const apigw_policy_vtable *vt) {
  char json[1024], err[APIGW_ERRBUF_SIZE];
  apigw_gateway *gw = NULL;
  snprintf(json, sizeof json,
           "{\"listeners\": [{\"name\": \"public\", \"address\": \"127.0.0.1:0\"}],"
           " \"upstreams\": [{\"name\": \"origin\", \"targets\": [{\"address\": \"127.0.0.1:%d\"}]}],"
           " \"policies\": [{\"name\": \"cache\", \"type\": \"cache\"}],"
           " \"routes\": [{\"name\": \"up\", \"match\": {\"path_prefix\": \"/\"}, \"upstream\": \"origin\","
           " \"policies\": %s}]}",
           gateway_port(origin), policies);
  REQUIRE_OK(apigw_gateway_new_from_json(json, strlen(json), &gw, err, sizeof err), err);
  if (vt) REQUIRE_OK(apigw_gateway_add_policy(gw, "body", vt, NULL, err, sizeof err), err);
  REQUIRE_OK(apigw_gateway_start(gw, err, sizeof err), err);
  return gw;
}

/* What the body policy saw on its last call. */
static int body_calls, body_overflowed, body_set_status;

static int32_t upper_on_response_body(void *user, apigw_request *req, apigw_response *res) {
  apigw_str body = apigw_response_body(res);
  char upper[LONG_BODY_BYTES];
  size_t i, n = body.len < sizeof upper ? body.len : sizeof upper;
  (void)user;
  (void)req;
  for (i = 0; i < n; ++i) upper[i] = (char)toupper((unsigned char)body.ptr[i]);
  __atomic_store_n(&body_overflowed, apigw_response_body_overflowed(res), __ATOMIC_SEQ_CST);
  __atomic_store_n(&body_set_status, apigw_response_set_body(res, upper, n), __ATOMIC_SEQ_CST);
  __atomic_add_fetch(&body_calls, 1, __ATOMIC_SEQ_CST);
  return APIGW_CONTINUE;
}

static apigw_policy_vtable upper_policy(size_t limit) {
  apigw_policy_vtable vt;
  memset(&vt, 0, sizeof vt);
  vt.struct_size = sizeof vt;
  vt.on_response_body = upper_on_response_body;
  vt.response_body_limit = limit;
  return vt;
}

void test_response_body_rewrite(void) {
  apigw_policy_vtable vt = upper_policy(64);
  apigw_gateway *origin = start_origin(), *front = start_front(origin, "[\"body\"]", &vt);
  http_answer a;
  char length[16];
  CHECK(http_request(gateway_port(front), "GET", "/greet", "", NULL, &a) == 200);
  CHECK(strcmp(a.body, "HELLO FROM /GREET") == 0);
  /* The rewritten answer goes out whole, with its own length. */
  CHECK(http_header(&a, "content-length", length, sizeof length) == 0 && strcmp(length, "17") == 0);
  CHECK(__atomic_load_n(&body_calls, __ATOMIC_SEQ_CST) == 1);
  CHECK(__atomic_load_n(&body_overflowed, __ATOMIC_SEQ_CST) == 0);
  CHECK(__atomic_load_n(&body_set_status, __ATOMIC_SEQ_CST) == APIGW_OK);
  apigw_gateway_free(front);
  apigw_gateway_free(origin);
}

void test_response_body_overflow(void) {
  apigw_policy_vtable vt = upper_policy(64);
  apigw_gateway *origin = start_origin(), *front = start_front(origin, "[\"body\"]", &vt);
  http_answer a;
  size_t i;
  int all_a = 1;
  CHECK(http_request(gateway_port(front), "GET", "/long", "", NULL, &a) == 200);
  /* Longer than the limit: the policy is told, cannot rewrite it, and the
   * whole answer streams through unchanged. */
  CHECK(a.body_len == LONG_BODY_BYTES);
  for (i = 0; i < a.body_len; ++i) all_a &= a.body[i] == 'a';
  CHECK(all_a);
  CHECK(__atomic_load_n(&body_calls, __ATOMIC_SEQ_CST) == 1);
  CHECK(__atomic_load_n(&body_overflowed, __ATOMIC_SEQ_CST) == 1);
  CHECK(__atomic_load_n(&body_set_status, __ATOMIC_SEQ_CST) == APIGW_E_STATE);
  CHECK(apigw_response_body_overflowed(NULL) == APIGW_E_INVALID);
  CHECK(apigw_response_body(NULL).ptr == NULL);
  apigw_gateway_free(front);
  apigw_gateway_free(origin);
}

void test_response_body_old_vtable(void) {
  /* A host built against ABI 0.3 knows no response_body_limit: whatever
   * lies beyond its struct_size is never read, so the answer streams. */
  apigw_policy_vtable vt = upper_policy(64);
  apigw_gateway *origin, *front;
  http_answer a;
  vt.struct_size = (uint32_t)offsetof(apigw_policy_vtable, response_body_limit);
  origin = start_origin();
  front = start_front(origin, "[\"body\"]", &vt);
  CHECK(http_request(gateway_port(front), "GET", "/greet", "", NULL, &a) == 200);
  CHECK(strcmp(a.body, "hello from /greet") == 0);
  CHECK(__atomic_load_n(&body_calls, __ATOMIC_SEQ_CST) == 0);
  apigw_gateway_free(front);
  apigw_gateway_free(origin);
}

static void check_cache(int port, const char *path, const char *expected) {
  http_answer a;
  char value[16];
  CHECK(http_request(port, "GET", path, "", NULL, &a) == 200);
  CHECK(http_header(&a, "x-cache", value, sizeof value) == 0 && strcmp(value, expected) == 0);
}

void test_cache_purge(void) {
  char err[APIGW_ERRBUF_SIZE];
  apigw_gateway *origin = start_origin(), *front = NULL;
  uint64_t removed = 99;
  int port;
  const char *json = CONFIG("[{\"name\": \"c\", \"match\": {\"path\": \"/\"}, \"respond\": {\"status\": 200}}]");
  /* Before start nothing is cached: nothing to remove. */
  REQUIRE_OK(apigw_gateway_new_from_json(json, strlen(json), &front, err, sizeof err), err);
  CHECK(apigw_gateway_purge_cache(front, "/", 1, &removed, err, sizeof err) == APIGW_OK && removed == 0);
  apigw_gateway_free(front);

  front = start_front(origin, "[\"cache\"]", NULL);
  port = gateway_port(front);
  check_cache(port, "/items/1", "MISS");
  check_cache(port, "/items/1", "HIT");
  check_cache(port, "/other", "MISS");
  CHECK(__atomic_load_n(&origin_calls, __ATOMIC_SEQ_CST) == 2);

  /* len bounds the prefix: no NUL needed. */
  CHECK(apigw_gateway_purge_cache(front, "/items/and-more", 7, &removed, err, sizeof err) == APIGW_OK);
  CHECK(removed == 1);
  check_cache(port, "/items/1", "MISS");
  check_cache(port, "/other", "HIT");
  CHECK(__atomic_load_n(&origin_calls, __ATOMIC_SEQ_CST) == 3);
  CHECK(apigw_gateway_purge_cache(front, "/", 1, NULL, err, sizeof err) == APIGW_OK);
  check_cache(port, "/other", "MISS");

  CHECK(apigw_gateway_purge_cache(front, "items", 5, &removed, err, sizeof err) == APIGW_E_INVALID);
  CHECK(strstr(err, "starts with \"/\"") != NULL);
  CHECK(removed == 0);
  CHECK(apigw_gateway_purge_cache(front, "", 0, &removed, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_purge_cache(front, NULL, 1, &removed, err, sizeof err) == APIGW_E_INVALID);
  CHECK(apigw_gateway_purge_cache(NULL, "/", 1, &removed, NULL, 0) == APIGW_E_INVALID);
  apigw_gateway_free(front);
  apigw_gateway_free(origin);
}
