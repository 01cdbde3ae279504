// Upgrade (WebSocket) tunnels and streamed answers through the proxy.
#include <doctest/doctest.h>

#include <thread>

#include "apigw/gateway.hpp"
#include "raw_origin.hpp"
#include "socket_client.hpp"

using apigw::test::RawOrigin;
using apigw::test::SocketClient;

namespace {

// An origin that switches to an echo protocol after a 101.
class EchoTunnelOrigin {
 public:
  EchoTunnelOrigin() {
    fd_ = apigw::test::listen_loopback(&port_);
    thread_ = std::thread([this] {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        head.append(buf, static_cast<size_t>(n));
      }
      request_head = head;
      std::string ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
      ::send(c, ok.data(), ok.size(), MSG_NOSIGNAL);
      std::string rest = head.substr(head.find("\r\n\r\n") + 4);
      if (!rest.empty()) ::send(c, rest.data(), rest.size(), MSG_NOSIGNAL);
      for (;;) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        ::send(c, buf, static_cast<size_t>(n), MSG_NOSIGNAL);
      }
      ::close(c);
    });
  }
  ~EchoTunnelOrigin() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string request_head;

 private:
  int fd_;
  uint16_t port_;
  std::thread thread_;
};

apigw::GatewayBuilder proxy_to(const std::string& target, const std::string& marker) {
  apigw::UpstreamOptions u;
  u.name = "ws";
  u.targets = {{target, 1}};
  apigw::RouteOptions r;
  r.name = "ws";
  r.match.path_prefix = "/";
  r.upstream = "ws";
  apigw::RouteOptions other;
  other.name = "marker";
  other.match.path = "/marker";
  other.respond = apigw::StaticResponse{200, {}, marker};
  apigw::GatewayBuilder b;
  b.listener({"l", "127.0.0.1:0"}).upstream(u).route(other).route(r);
  return b;
}

}  // namespace

TEST_CASE("tunnel: a WebSocket upgrade becomes a two-way tunnel that survives a reload") {
  EchoTunnelOrigin origin;
  auto gw = proxy_to(origin.address(), "v1").build().value();
  REQUIRE(gw->start());
  std::string addr = gw->bound_addresses()[0];
  SocketClient c(addr);
  c.send("GET /chat HTTP/1.1\r\nhost: t\r\nconnection: Upgrade\r\nupgrade: websocket\r\n"
         "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\nearly");
  auto head = c.read_response();
  CHECK(head.status == 101);
  CHECK(head.header("upgrade") == "websocket");
  CHECK(head.header("connection") == "upgrade");
  CHECK(origin.request_head.find("upgrade: websocket\r\n") != std::string::npos);
  CHECK(origin.request_head.find("sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n") != std::string::npos);

  // A reload while the tunnel is open: new requests see the new config,
  // the tunnel carries on.
  REQUIRE(gw->reload(proxy_to(origin.address(), "v2")));
  SocketClient fresh(addr);
  fresh.send("GET /marker HTTP/1.1\r\nhost: t\r\n\r\n");
  CHECK(fresh.read_response().body == "v2");

  c.send("ping-1");
  c.send("ping-2");
  CHECK(c.read_raw(17) == "earlyping-1ping-2");
  gw->stop(200);
}

TEST_CASE("stream: the first server-sent event reaches the client before the stream ends") {
  // An origin that sends one event, then waits for a second request to finish.
  std::atomic<bool> release{false};
  uint16_t port = 0;
  int listen_fd = apigw::test::listen_loopback(&port);
  std::thread origin([&] {
    int c = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    char buf[4096];
    ::recv(c, buf, sizeof buf, 0);
    std::string first = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                        "d\r\ndata: first\n\n\r\n";
    ::send(c, first.data(), first.size(), MSG_NOSIGNAL);
    for (int i = 0; i < 500 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::string last = "c\r\ndata: last\n\n\r\n0\r\n\r\n";
    ::send(c, last.data(), last.size(), MSG_NOSIGNAL);
    ::close(c);
  });
  auto gw = proxy_to("127.0.0.1:" + std::to_string(port), "x").build().value();
  REQUIRE(gw->start());
  SocketClient c(gw->bound_addresses()[0]);
  c.send("GET /events HTTP/1.1\r\nhost: t\r\n\r\n");
  std::string early = c.read_raw_until("data: first\n\n");
  CHECK(early.find("data: first\n\n") != std::string::npos);  // arrived while the origin still holds the stream
  CHECK(early.find("data: last") == std::string::npos);
  release = true;
  std::string rest = c.read_raw_until("0\r\n\r\n");
  CHECK(rest.find("data: last\n\n") != std::string::npos);
  origin.join();
  ::close(listen_fd);
  gw->stop();
}
