// The retry budget stops a retry storm: when every target fails, retries
// stay a bounded share of the traffic instead of multiplying it.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "apigw/gateway.hpp"
#include "raw_origin.hpp"
#include "socket_client.hpp"

using apigw::test::SocketClient;
using apigw::test::get_request;

namespace {

// Answers every request with `status` after `delay_ms`, one thread per
// connection, so that many requests are in flight at once.
class SlowOrigin {
 public:
  explicit SlowOrigin(int delay_ms, int status = 503) : delay_ms_(delay_ms), status_(status) {
    fd_ = apigw::test::listen_loopback(&port_);
    acceptor_ = std::thread([this] {
      for (;;) {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;
        std::lock_guard<std::mutex> l(mu_);
        workers_.emplace_back([this, c] { serve(c); });
      }
    });
  }
  ~SlowOrigin() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    acceptor_.join();
    std::lock_guard<std::mutex> l(mu_);
    for (auto& t : workers_) t.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }

 private:
  void serve(int c) {
    std::string buf;
    char tmp[4096];
    for (;;) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
        if (n <= 0) {
          ::close(c);
          return;
        }
        buf.append(tmp, static_cast<size_t>(n));
      }
      buf.erase(0, end + 4);
      ++requests_;
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
      std::string res = "HTTP/1.1 " + std::to_string(status_) + " X\r\ncontent-length: 0\r\n\r\n";
      ::send(c, res.data(), res.size(), MSG_NOSIGNAL);
    }
  }
  int delay_ms_;
  int status_;
  int fd_;
  uint16_t port_;
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

// 40 clients at once against an upstream that always fails; returns the
// number of tries the origins saw.
int storm(uint32_t budget_percent) {
  SlowOrigin a(100), b(100);
  apigw::UpstreamOptions u;
  u.name = "failing";
  u.targets = {{a.address(), 1}, {b.address(), 1}};
  u.retries.attempts = 3;
  u.retries.on = {"503"};
  u.retries.backoff_ms = 1;
  u.retries.budget_percent = budget_percent;
  u.circuit_breaker.consecutive_failures = 1000;  // keep ejection out of this test
  apigw::RouteOptions r = apigw::test::catch_all("failing");
  apigw::GatewayBuilder builder;
  builder.listener({"l", "127.0.0.1:0"}).upstream(u).route(r);
  auto gw = builder.build().value();
  REQUIRE(gw->start());
  std::string addr = gw->bound_addresses()[0];
  std::vector<std::thread> clients;
  std::atomic<int> answered{0};
  for (int i = 0; i < 40; ++i)
    clients.emplace_back([&] {
      SocketClient c(addr);
      c.send(get_request("/"));
      if (c.read_response(std::chrono::seconds(10)).status == 503) ++answered;
    });
  for (auto& t : clients) t.join();
  CHECK(answered == 40);
  gw->stop();
  return a.requests() + b.requests();
}

}  // namespace

TEST_CASE("retry budget: a failing upstream does not get its load multiplied") {
  int unbounded = storm(100);  // every request may retry: 3 tries each
  int bounded = storm(20);     // retries at most 20 % of requests in flight
  MESSAGE("origin tries: unbounded " << unbounded << ", bounded " << bounded);
  CHECK(unbounded >= 100);
  CHECK(bounded < 70);
}

TEST_CASE("pool: beyond max_connections_per_target and max_pending, requests get 503 at once") {
  SlowOrigin slow(300, 200);
  apigw::UpstreamOptions u;
  u.name = "narrow";
  u.targets = {{slow.address(), 1}};
  u.max_connections_per_target = 1;
  u.circuit_breaker.max_pending = 1;
  apigw::RouteOptions r = apigw::test::catch_all("narrow");
  apigw::GatewayBuilder builder;
  builder.listener({"l", "127.0.0.1:0"}).upstream(u).route(r);
  auto gw = builder.build().value();
  REQUIRE(gw->start());
  std::string addr = gw->bound_addresses()[0];
  std::vector<std::thread> clients;
  std::mutex mu;
  std::map<int, int> statuses;
  auto one = [&] {
    SocketClient c(addr);
    c.send(get_request("/"));
    auto res = c.read_response(std::chrono::seconds(10));
    std::lock_guard<std::mutex> l(mu);
    statuses[res.status]++;
    if (res.status == 503) CHECK(res.body.find("upstream_overloaded") != std::string::npos);
  };
  clients.emplace_back(one);
  // Once the first request holds the only connection, three more arrive.
  for (int i = 0; i < 500 && slow.requests() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  REQUIRE(slow.requests() == 1);
  for (int i = 0; i < 3; ++i) clients.emplace_back(one);
  for (auto& t : clients) t.join();
  // One on the connection, one waiting for it; the others are turned away.
  CHECK(statuses[200] == 2);
  CHECK(statuses[503] == 2);
  gw->stop();
}
