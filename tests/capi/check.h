/* Minimal assertions for the C tests: a failed CHECK prints where and fails
 * the current test (the process exits 1 when it ends). */
#ifndef APIGW_TESTS_CHECK_H
#define APIGW_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int check_failures;

#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++check_failures;                                                   \
    }                                                                     \
  } while (0)

/* Stops the test at once (a setup step failed; `err` says why). */
#define REQUIRE_OK(call, err)                                                          \
  do {                                                                                 \
    int32_t rc_ = (call);                                                              \
    if (rc_ != APIGW_OK) {                                                             \
      fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #call,             \
              apigw_status_name(rc_), (err));                                          \
      exit(1);                                                                         \
    }                                                                                  \
  } while (0)

#define CHECK_STR(apigw_str_value, expected)                                              \
  do {                                                                                    \
    apigw_str s_ = (apigw_str_value);                                                     \
    const char *e_ = (expected);                                                          \
    if (!s_.ptr || s_.len != strlen(e_) || memcmp(s_.ptr, e_, s_.len) != 0) {             \
      fprintf(stderr, "%s:%d: %s is \"%.*s\", expected \"%s\"\n", __FILE__, __LINE__,     \
              #apigw_str_value, s_.ptr ? (int)s_.len : 6, s_.ptr ? s_.ptr : "(null)", e_); \
      ++check_failures;                                                                   \
    }                                                                                     \
  } while (0)

#endif
