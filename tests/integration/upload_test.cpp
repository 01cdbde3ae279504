// Request bodies streamed to the upstream as they arrive.
#include <doctest/doctest.h>

#include <thread>

#include "apigw/gateway.hpp"
#include "raw_origin.hpp"
#include "socket_client.hpp"

using apigw::test::SocketClient;

namespace {

// An origin that reads one request (Content-Length or chunked body), counts
// the body's bytes and checks their pattern, and answers "<bytes> <ok|bad>".
class CountingOrigin {
 public:
  CountingOrigin() {
    fd_ = apigw::test::listen_loopback(&port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~CountingOrigin() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string head;

 private:
  void serve() {
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    std::string buf;
    char tmp[65536];
    auto fill = [&] {
      ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
      return true;
    };
    while (buf.find("\r\n\r\n") == std::string::npos && fill()) {
    }
    size_t end = buf.find("\r\n\r\n");
    head = buf.substr(0, end + 4);
    buf.erase(0, end + 4);
    uint64_t count = 0;
    bool ok = true;
    auto take = [&](std::string_view bytes) {
      for (char ch : bytes) ok = ok && ch == static_cast<char>('a' + count++ % 26);
    };
    size_t cl = head.find("content-length: ");
    if (cl != std::string::npos) {
      uint64_t want = std::stoull(head.substr(cl + 16));
      for (;;) {
        size_t n = std::min<uint64_t>(buf.size(), want - count);
        take(std::string_view(buf).substr(0, n));
        buf.erase(0, n);
        if (count == want || !fill()) break;
      }
    } else {  // chunked
      for (;;) {
        size_t eol;
        while ((eol = buf.find("\r\n")) == std::string::npos && fill()) {
        }
        size_t size = std::stoul(buf.substr(0, eol), nullptr, 16);
        while (buf.size() < eol + 2 + size + 2 && fill()) {
        }
        take(std::string_view(buf).substr(eol + 2, size));
        buf.erase(0, eol + 2 + size + 2);
        if (size == 0) break;
      }
    }
    std::string body = std::to_string(count) + (ok ? " ok" : " bad");
    std::string res = "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    ::send(c, res.data(), res.size(), MSG_NOSIGNAL);
    ::close(c);
  }
  int fd_;
  uint16_t port_;
  std::thread thread_;
};

std::unique_ptr<apigw::Gateway> proxy_to(const std::string& target) {
  apigw::UpstreamOptions u;
  u.name = "o";
  u.targets = {{target, 1}};
  apigw::RouteOptions r;
  r.name = "up";
  r.match.path_prefix = "/";
  r.upstream = "o";
  apigw::Limits limits;
  limits.max_body_bytes = 1ull << 30;
  apigw::GatewayBuilder b;
  b.limits(limits).listener({"l", "127.0.0.1:0"}).upstream(u).route(r);
  auto gw = b.build();
  REQUIRE_MESSAGE(gw, gw.status().to_string());
  REQUIRE(gw.value()->start());
  return std::move(gw.value());
}

std::string pattern(uint64_t from, size_t n) {
  std::string s(n, ' ');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (from + i) % 26);
  return s;
}

}  // namespace

TEST_CASE("upload: a 64 MiB Content-Length body streams through intact") {
  CountingOrigin origin;
  auto gw = proxy_to(origin.address());
  SocketClient c(gw->bound_addresses()[0]);
  const uint64_t total = 64ull << 20;
  c.send("PUT /blob HTTP/1.1\r\nhost: t\r\ncontent-length: " + std::to_string(total) + "\r\n\r\n");
  for (uint64_t sent = 0; sent < total; sent += 1 << 20) c.send(pattern(sent, 1 << 20));
  auto res = c.read_response(std::chrono::seconds(30));
  CHECK(res.status == 200);
  CHECK(res.body == std::to_string(total) + " ok");
  CHECK(origin.head.find("content-length: " + std::to_string(total) + "\r\n") != std::string::npos);
  gw->stop();
}

TEST_CASE("upload: a chunked body is passed on chunked, and 100-continue is answered by the gateway") {
  CountingOrigin origin;
  auto gw = proxy_to(origin.address());
  SocketClient c(gw->bound_addresses()[0]);
  c.send("POST /in HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\nexpect: 100-continue\r\n\r\n");
  CHECK(c.read_raw_until("\r\n\r\n").rfind("HTTP/1.1 100 Continue", 0) == 0);
  uint64_t sent = 0;
  for (size_t size : {10, 5000, 70000, 3}) {
    char hex[20];
    std::snprintf(hex, sizeof hex, "%zx\r\n", size);
    c.send(hex + pattern(sent, size) + "\r\n");
    sent += size;
  }
  c.send("0\r\n\r\n");
  auto res = c.read_response(std::chrono::seconds(10));
  CHECK(res.status == 200);
  CHECK(res.body == std::to_string(sent) + " ok");
  CHECK(origin.head.find("transfer-encoding: chunked\r\n") != std::string::npos);
  CHECK(origin.head.find("expect") == std::string::npos);
  gw->stop();
}
