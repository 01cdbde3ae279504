/* A blocking HTTP/1.1 client for the C tests: one request per connection
 * ("Connection: close"), the answer read until the server closes. */
#ifndef APIGW_TESTS_HTTP_CLIENT_H
#define APIGW_TESTS_HTTP_CLIENT_H

#include <stddef.h>

typedef struct http_answer {
  int status; /* 0 when the exchange failed */
  char head[4096];
  char body[65536];
  size_t body_len;
} http_answer;

/* Port of "127.0.0.1:PORT" as apigw_gateway_address writes it. */
int port_of(const char *address);

/* Connects to 127.0.0.1:port; -1 on failure. */
int http_connect(int port);

/* Sends `method path` with extra header lines ("k: v\r\n", may be "") and a
 * body, then reads the whole answer. Returns answer->status. */
int http_request(int port, const char *method, const char *path, const char *headers, const char *body,
                 http_answer *answer);

/* The value of header `name` (any case) in answer->head, copied into out; -1 when absent. */
int http_header(const http_answer *answer, const char *name, char *out, size_t outlen);

#endif
