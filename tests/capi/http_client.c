#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

int port_of(const char *address) {
  const char *colon = strrchr(address, ':');
  return colon ? atoi(colon + 1) : -1;
}

int http_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  if (fd < 0) return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int http_request(int port, const char *method, const char *path, const char *headers, const char *body,
                 http_answer *answer) {
  static char raw[sizeof answer->head + sizeof answer->body];
  char head[2048];
  size_t got = 0, body_len = body ? strlen(body) : 0;
  char *end;
  int fd = http_connect(port);
  memset(answer, 0, sizeof *answer);
  if (fd < 0) return 0;
  snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n",
           method, path, headers ? headers : "", body_len);
  if (send_all(fd, head, strlen(head)) != 0 || send_all(fd, body ? body : "", body_len) != 0) {
    close(fd);
    return 0;
  }
  for (;;) {
    ssize_t r = recv(fd, raw + got, sizeof raw - 1 - got, 0);
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  raw[got] = '\0';
  end = strstr(raw, "\r\n\r\n");
  if (!end || (size_t)(end - raw) >= sizeof answer->head) return 0;
  memcpy(answer->head, raw, (size_t)(end - raw));
  answer->body_len = got - (size_t)(end + 4 - raw);
  memcpy(answer->body, end + 4, answer->body_len);
  answer->body[answer->body_len] = '\0';
  if (sscanf(raw, "HTTP/1.%*d %d", &answer->status) != 1) answer->status = 0;
  return answer->status;
}

int http_header(const http_answer *answer, const char *name, char *out, size_t outlen) {
  size_t name_len = strlen(name);
  const char *line = strstr(answer->head, "\r\n");
  while (line) {
    const char *p = line + 2, *eol = strstr(p, "\r\n");
    size_t n;
    if (strncasecmp(p, name, name_len) == 0 && p[name_len] == ':') {
      p += name_len + 1;
      while (*p == ' ') ++p;
      n = eol ? (size_t)(eol - p) : strlen(p);
      if (n >= outlen) n = outlen - 1;
      memcpy(out, p, n);
      out[n] = '\0';
      return 0;
    }
    line = eol;
  }
  return -1;
}
