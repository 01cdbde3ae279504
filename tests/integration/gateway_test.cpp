// A real gateway on 127.0.0.1:0, driven through real sockets.
#include <doctest/doctest.h>
#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "apigw/gateway.hpp"
#include "socket_client.hpp"

using apigw::Decision;
using apigw::Exchange;
using apigw::test::SocketClient;
using apigw::test::get_request;

namespace {

apigw::RouteOptions static_route(std::string name, std::string path, std::string body) {
  apigw::RouteOptions r;
  r.name = std::move(name);
  r.match.path = std::move(path);
  r.respond = apigw::StaticResponse{200, {}, std::move(body)};
  return r;
}

// A latch a handler can wait on, so a test decides when an answer goes out.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  bool open = false;
  void wait_arrivals(int n) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::seconds(5), [&] { return arrived >= n; });
  }
  void release() {
    std::lock_guard<std::mutex> l(mu);
    open = true;
    cv.notify_all();
  }
};

// A handler that parks the request on a thread until the gate opens.
apigw::Handler gated(Gate& gate, std::vector<std::thread>& threads, std::string body) {
  return [&gate, &threads, body](Exchange& ex) {
    auto token = ex.pause();
    threads.emplace_back([&gate, body, token = std::move(token)]() mutable {
      std::unique_lock<std::mutex> l(gate.mu);
      ++gate.arrived;
      gate.cv.notify_all();
      gate.cv.wait_for(l, std::chrono::seconds(5), [&] { return gate.open; });
      l.unlock();
      token.respond({200, {}, body});
    });
    return Decision::kPause;
  };
}

}  // namespace

TEST_CASE("gateway: serves on its own threads and stops") {
  apigw::GatewayBuilder b;
  b.workers(2).listener({"l", "127.0.0.1:0"}).route(static_route("r", "/x", "hello"));
  auto gw = b.build();
  REQUIRE(gw);
  REQUIRE(gw.value()->start());
  auto addr = gw.value()->bound_addresses().at(0);
  for (int i = 0; i < 20; ++i) {  // several connections: both workers' sockets serve
    SocketClient c(addr);
    REQUIRE(c.connected());
    c.send(get_request("/x"));
    auto res = c.read_response();
    CHECK(res.status == 200);
    CHECK(res.body == "hello");
  }
  gw.value()->stop();
  SocketClient after(addr);
  CHECK_FALSE(after.connected());
}

TEST_CASE("gateway: a port in use is an error that names the address") {
  apigw::GatewayBuilder b;
  b.listener({"l", "127.0.0.1:0"}).route(static_route("r", "/x", "x"));
  auto first = b.build().value();
  REQUIRE(first->start());
  std::string addr = first->bound_addresses().at(0);
  apigw::GatewayBuilder b2;
  b2.listener({"l", addr}).route(static_route("r", "/x", "x"));
  auto second = b2.build().value();
  apigw::Status st = second->start();
  CHECK_FALSE(st);
  CHECK(std::string(st.message()).find(addr) != std::string::npos);
}

TEST_CASE("gateway: a handler answers from another thread over a real socket") {
  Gate gate;
  std::vector<std::thread> threads;
  apigw::GatewayBuilder b;
  b.listener({"l", "127.0.0.1:0"}).handler("slow", gated(gate, threads, "late"));
  apigw::RouteOptions r;
  r.name = "slow";
  r.match.path = "/slow";
  r.handler = "slow";
  b.route(r);
  auto gw = b.build().value();
  REQUIRE(gw->start());
  SocketClient c(gw->bound_addresses()[0]);
  c.send(get_request("/slow") + get_request("/slow"));  // pipelined: answers stay in order
  gate.wait_arrivals(1);
  CHECK(c.read_response(std::chrono::milliseconds(100)).status == 0);  // not yet
  gate.release();
  auto first = c.read_response();
  auto second = c.read_response();
  CHECK(first.status == 200);
  CHECK(first.body == "late");
  CHECK(second.body == "late");
  gw->stop();
  for (auto& t : threads) t.join();
}

TEST_CASE("gateway: reload while a request is in flight, it finishes on its snapshot") {
  Gate gate;
  std::vector<std::thread> threads;
  auto builder = [&](std::string body) {
    apigw::GatewayBuilder b;
    b.listener({"l", "127.0.0.1:0"}).handler("slow", gated(gate, threads, "old-slow"));
    apigw::RouteOptions slow;
    slow.name = "slow";
    slow.match.path = "/slow";
    slow.handler = "slow";
    b.route(slow).route(static_route("fast", "/fast", body));
    return b;
  };
  auto gw = builder("v1").build().value();
  REQUIRE(gw->start());
  auto addr = gw->bound_addresses()[0];
  SocketClient slow(addr);
  slow.send(get_request("/slow"));
  gate.wait_arrivals(1);

  auto next = builder("v2");
  next.listener({"l", "127.0.0.1:0"});  // same listeners as before: replace the list
  apigw::GatewayBuilder same = builder("v2");
  CHECK(gw->reload(same));
  SocketClient fast(addr);
  fast.send(get_request("/fast"));
  CHECK(fast.read_response().body == "v2");
  gate.release();
  auto res = slow.read_response();
  CHECK(res.status == 200);
  CHECK(res.body == "old-slow");
  gw->stop();
  for (auto& t : threads) t.join();
}

TEST_CASE("gateway: reload refuses an invalid builder and keeps serving") {
  apigw::GatewayBuilder b;
  b.listener({"l", "127.0.0.1:0"}).route(static_route("r", "/x", "old"));
  auto gw = b.build().value();
  REQUIRE(gw->start());
  apigw::GatewayBuilder bad;
  apigw::RouteOptions r;
  r.name = "broken";
  r.match.path = "/{*rest}/x";
  r.respond = apigw::StaticResponse{};
  bad.listener({"l", "127.0.0.1:0"}).route(r);
  CHECK_FALSE(gw->reload(bad));
  SocketClient c(gw->bound_addresses()[0]);
  c.send(get_request("/x"));
  CHECK(c.read_response().body == "old");
  gw->stop();
}

TEST_CASE("gateway: stop drains in-flight requests, then closes") {
  Gate gate;
  std::vector<std::thread> threads;
  apigw::GatewayBuilder b;
  b.listener({"l", "127.0.0.1:0"}).handler("slow", gated(gate, threads, "drained"));
  apigw::RouteOptions r;
  r.name = "slow";
  r.match.path = "/slow";
  r.handler = "slow";
  b.route(r);
  auto gw = b.build().value();
  REQUIRE(gw->start());
  auto addr = gw->bound_addresses()[0];
  SocketClient busy(addr), idle(addr);
  REQUIRE(idle.connected());
  busy.send(get_request("/slow"));
  gate.wait_arrivals(1);
  std::thread stopper([&] { gw->stop(5000); });
  CHECK(idle.wait_closed());  // idle keep-alive connections go at once
  gate.release();
  auto res = busy.read_response();
  CHECK(res.status == 200);
  CHECK(res.body == "drained");
  CHECK(res.header("connection") == "close");
  stopper.join();
  for (auto& t : threads) t.join();
}

TEST_CASE("gateway: drain timeout cuts requests that take too long") {
  Gate gate;
  std::vector<std::thread> threads;
  apigw::GatewayBuilder b;
  b.listener({"l", "127.0.0.1:0"}).handler("slow", gated(gate, threads, "never"));
  apigw::RouteOptions r;
  r.name = "slow";
  r.match.path = "/slow";
  r.handler = "slow";
  b.route(r);
  auto gw = b.build().value();
  REQUIRE(gw->start());
  SocketClient busy(gw->bound_addresses()[0]);
  busy.send(get_request("/slow"));
  gate.wait_arrivals(1);
  gw->stop(50);
  CHECK(busy.wait_closed());
  gate.release();  // the late answer is dropped: its exchange is gone
  for (auto& t : threads) t.join();
}

TEST_CASE("gateway: runs on a libuv loop the host owns") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  apigw::GatewayBuilder b;
  b.listener({"l", "127.0.0.1:0"}).route(static_route("r", "/x", "hosted"));
  auto gw = b.build().value();
  bool stopped = false;
  gw->on_stopped([&] { stopped = true; });
  REQUIRE(gw->attach(&loop));
  std::string addr = gw->bound_addresses()[0];
  std::atomic<bool> done{false};
  std::string body;
  std::thread client([&] {
    SocketClient c(addr);
    c.send(get_request("/x"));
    body = c.read_response().body;
    done = true;
  });
  while (!done) uv_run(&loop, UV_RUN_ONCE);
  client.join();
  CHECK(body == "hosted");
  gw->stop(0);
  while (!stopped) uv_run(&loop, UV_RUN_ONCE);
  CHECK(uv_loop_close(&loop) == 0);  // every handle of the gateway is closed
}

TEST_CASE("gateway: run() serves on the calling thread until stop()") {
  apigw::GatewayBuilder b;
  b.listener({"l", "127.0.0.1:0"}).route(static_route("r", "/x", "inline"));
  auto gw = b.build().value();
  std::thread runner([&] { CHECK(gw->run()); });
  while (!gw->ready()) std::this_thread::yield();
  SocketClient c(gw->bound_addresses()[0]);
  c.send(get_request("/x"));
  CHECK(c.read_response().body == "inline");
  gw->stop();
  runner.join();
}

TEST_CASE("gateway: 200 keep-alive requests and 200 pipelined requests on one connection") {
  apigw::GatewayBuilder b;
  apigw::RouteOptions echo;
  echo.name = "echo";
  echo.match.path = "/e/{n}";
  echo.respond = apigw::StaticResponse{200, {}, "{n}"};
  b.listener({"l", "127.0.0.1:0"}).route(echo);
  auto gw = b.build().value();
  REQUIRE(gw->start());
  SocketClient c(gw->bound_addresses()[0]);
  for (int i = 0; i < 200; ++i) {
    c.send(get_request("/e/" + std::to_string(i)));
    auto res = c.read_response();
    REQUIRE(res.status == 200);
    CHECK(res.body == std::to_string(i));
  }
  std::string all;
  for (int i = 0; i < 200; ++i) all += get_request("/e/" + std::to_string(i));
  c.send(all);
  for (int i = 0; i < 200; ++i) {
    auto res = c.read_response();
    REQUIRE(res.status == 200);
    CHECK(res.body == std::to_string(i));
  }
  gw->stop();
}
