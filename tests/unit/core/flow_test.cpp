// The policy chain and handlers, driven in memory through apigw::testing.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "apigw/testing.hpp"
#include "policy/builtin.hpp"

using apigw::Decision;
using apigw::Exchange;

namespace {

// Records the phases it sees, and answers or fails where told to.
class Probe final : public apigw::PassThroughPolicy {
 public:
  Probe(std::string name, std::vector<std::string>* log, Decision on_request = Decision::kContinue)
      : name_(std::move(name)), log_(log), on_request_(on_request) {}
  Decision on_request(Exchange& ex) const noexcept override {
    log_->push_back(name_ + ".on_request");
    if (on_request_ == Decision::kRespond) return ex.respond(418, "from " + name_);
    if (on_request_ == Decision::kFail)
      return ex.fail(apigw::Status::http(403, "denied", name_ + " says no"));
    return Decision::kContinue;
  }
  Decision on_request_body(Exchange&) const noexcept override {
    log_->push_back(name_ + ".on_request_body");
    return Decision::kContinue;
  }
  Decision on_response(Exchange& ex) const noexcept override {
    log_->push_back(name_ + ".on_response");
    ex.response().headers.add("x-seen-by", name_);
    return Decision::kContinue;
  }
  void on_log(Exchange&) const noexcept override { log_->push_back(name_ + ".on_log"); }
  void on_error(Exchange&, const apigw::Status&) const noexcept override { log_->push_back(name_ + ".on_error"); }

 private:
  std::string name_;
  std::vector<std::string>* log_;
  Decision on_request_;
};

apigw::GatewayBuilder base() {
  apigw::GatewayBuilder b;
  b.listener({"t", "127.0.0.1:0"});
  return b;
}

apigw::RouteOptions route(std::string name, std::string path, std::vector<std::string> policies = {}) {
  apigw::RouteOptions r;
  r.name = std::move(name);
  r.match.path = std::move(path);
  r.policies = std::move(policies);
  return r;
}

}  // namespace

TEST_CASE("flow: phases run in order, response phases in reverse") {
  std::vector<std::string> log;
  auto b = base();
  b.policy("a", std::make_shared<Probe>("a", &log)).policy("b", std::make_shared<Probe>("b", &log));
  auto r = route("r", "/x", {"a", "b"});
  r.respond = apigw::StaticResponse{200, {}, "ok"};
  b.route(r);
  auto client = apigw::testing::Client::create(b).value();
  auto res = client.get("/x");
  CHECK(res.status == 200);
  CHECK(res.body == "ok");
  std::vector<std::string> want = {"a.on_request",  "b.on_request",  "a.on_request_body", "b.on_request_body",
                                   "b.on_response", "a.on_response", "b.on_log",          "a.on_log"};
  CHECK(log == want);
}

TEST_CASE("flow: a policy that responds stops the request phases") {
  std::vector<std::string> log;
  auto b = base();
  b.policy("a", std::make_shared<Probe>("a", &log, Decision::kRespond))
      .policy("b", std::make_shared<Probe>("b", &log));
  auto r = route("r", "/x", {"a", "b"});
  r.respond = apigw::StaticResponse{200, {}, "never"};
  b.route(r);
  auto res = apigw::testing::Client::create(b).value().get("/x");
  CHECK(res.status == 418);
  CHECK(res.body == "from a");
  CHECK(res.header("x-seen-by") == "a");  // only policies that ran see the response
  CHECK(log == std::vector<std::string>{"a.on_request", "a.on_response", "a.on_log"});
}

TEST_CASE("flow: fail becomes the JSON error answer, error hooks run") {
  std::vector<std::string> log;
  auto b = base();
  b.policy("rid", apigw::policy::make_request_id({}));
  b.policy("a", std::make_shared<Probe>("a", &log)).policy("b", std::make_shared<Probe>("b", &log, Decision::kFail));
  auto r = route("r", "/x", {"rid", "a", "b"});
  r.respond = apigw::StaticResponse{200, {}, "never"};
  b.route(r);
  auto res = apigw::testing::Client::create(b).value().get("/x", {{"x-request-id", "abc-123"}});
  CHECK(res.status == 403);
  CHECK(res.header("content-type") == "application/json");
  CHECK(res.body ==
        "{\"error\":{\"status\":403,\"code\":\"denied\",\"message\":\"b says no\",\"request_id\":\"abc-123\"}}\n");
  CHECK(res.header("x-request-id") == "abc-123");
  CHECK(log == std::vector<std::string>{"a.on_request", "b.on_request", "a.on_error", "b.on_error",
                                        "b.on_response", "a.on_response", "b.on_log", "a.on_log"});
}

TEST_CASE("flow: no route is 404 JSON, wrong method is 405 with Allow") {
  auto b = base();
  auto r = route("r", "/x");
  r.match.methods = {"PUT", "GET"};
  r.respond = apigw::StaticResponse{};
  b.route(r);
  auto client = apigw::testing::Client::create(b).value();
  auto missing = client.get("/nope");
  CHECK(missing.status == 404);
  CHECK(missing.body.find("\"code\":\"route_not_found\"") != std::string::npos);
  auto wrong = client.request("DELETE", "/x");
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == "GET, HEAD, PUT");
}

TEST_CASE("flow: respond target substitutes path parameters") {
  auto b = base();
  auto r = route("r", "/users/{id}/files/{*rest}");
  r.respond = apigw::StaticResponse{201, {{"x-id", "fixed"}}, "user={id} rest={rest} other={other}"};
  b.route(r);
  auto res = apigw::testing::Client::create(b).value().get("/users/42/files/a/b.txt");
  CHECK(res.status == 201);
  CHECK(res.body == "user=42 rest=a/b.txt other={other}");
  CHECK(res.header("x-id") == "fixed");
}

TEST_CASE("flow: a handler answers later from another thread") {
  std::vector<std::thread> threads;
  auto b = base();
  b.handler("slow", [&threads](Exchange& ex) {
    std::string name(ex.param("name"));
    threads.emplace_back([token = ex.pause(), name]() mutable {
      token.respond({202, {{"x-thread", "other"}}, "later " + name});
    });
    return Decision::kPause;
  });
  auto r = route("r", "/slow/{name}");
  r.handler = "slow";
  b.route(r);
  auto client = apigw::testing::Client::create(b).value();
  auto res = client.get("/slow/bob");
  for (auto& t : threads) t.join();
  CHECK(res.status == 202);
  CHECK(res.body == "later bob");
  CHECK(res.header("x-thread") == "other");
}

TEST_CASE("flow: a policy pauses and resumes from another thread") {
  std::vector<std::thread> threads;
  class AsyncCheck final : public apigw::PassThroughPolicy {
   public:
    explicit AsyncCheck(std::vector<std::thread>* t) : t_(t) {}
    Decision on_request(Exchange& ex) const noexcept override {
      bool deny = ex.request().headers.has("x-deny");
      t_->emplace_back([token = ex.pause(), deny]() mutable {
        if (deny) token.fail(apigw::Status::http(401, "unauthenticated", "no"));
        else token.resume();
      });
      return Decision::kPause;
    }
    std::vector<std::thread>* t_;
  };
  auto b = base();
  b.policy("async", std::make_shared<AsyncCheck>(&threads));
  auto r = route("r", "/x", {"async"});
  r.respond = apigw::StaticResponse{200, {}, "passed"};
  b.route(r);
  auto client = apigw::testing::Client::create(b).value();
  CHECK(client.get("/x").body == "passed");
  CHECK(client.get("/x", {{"x-deny", "1"}}).status == 401);
  for (auto& t : threads) t.join();
}

TEST_CASE("flow: a retried pause runs the same phase again, then the chain goes on") {
  std::vector<std::thread> threads;
  std::atomic<int> calls{0};
  class WaitOnce final : public apigw::PassThroughPolicy {
   public:
    WaitOnce(std::vector<std::thread>* t, std::atomic<int>* calls) : t_(t), calls_(calls) {}
    Decision on_request(Exchange& ex) const noexcept override {
      if (calls_->fetch_add(1) == 1) return Decision::kContinue;  // the second run of the phase
      t_->emplace_back([token = ex.pause()]() mutable { token.retry(); });
      return Decision::kPause;
    }
    std::vector<std::thread>* t_;
    std::atomic<int>* calls_;
  };
  auto b = base();
  b.policy("wait", std::make_shared<WaitOnce>(&threads, &calls));
  auto r = route("r", "/x", {"wait"});
  r.respond = apigw::StaticResponse{200, {}, "passed"};
  b.route(r);
  auto client = apigw::testing::Client::create(b).value();
  auto res = client.get("/x");
  for (auto& t : threads) t.join();
  CHECK(res.status == 200);
  CHECK(res.body == "passed");
  CHECK(calls.load() == 2);
}

TEST_CASE("flow: a dropped resume token fails the request with 500") {
  auto b = base();
  b.handler("drop", [](Exchange& ex) {
    ex.pause();  // the token dies here, unused
    return Decision::kPause;
  });
  auto r = route("r", "/x");
  r.handler = "drop";
  b.route(r);
  auto res = apigw::testing::Client::create(b).value().get("/x");
  CHECK(res.status == 500);
}

TEST_CASE("flow: a handler that throws is a 500, not a crash") {
  auto b = base();
  b.handler("boom", [](Exchange&) -> Decision { throw std::runtime_error("boom"); });
  auto r = route("r", "/x");
  r.handler = "boom";
  b.route(r);
  auto res = apigw::testing::Client::create(b).value().get("/x");
  CHECK(res.status == 500);
  CHECK(res.body.find("handler threw: boom") != std::string::npos);
}

TEST_CASE("flow: echo answers with the request as JSON") {
  auto b = base();
  auto r = route("echo", "/echo/{*rest}");
  r.handler = "echo";
  b.route(r);
  auto res = apigw::testing::Client::create(b).value().request("POST", "/echo/a/b?q=1", {{"x-k", "v\"q"}}, "body");
  CHECK(res.status == 200);
  CHECK(res.body.find("\"method\":\"POST\"") != std::string::npos);
  CHECK(res.body.find("\"path\":\"/echo/a/b\"") != std::string::npos);
  CHECK(res.body.find("\"query\":\"q=1\"") != std::string::npos);
  CHECK(res.body.find("\"params\":{\"rest\":\"a/b\"}") != std::string::npos);
  CHECK(res.body.find("[\"x-k\",\"v\\\"q\"]") != std::string::npos);
  CHECK(res.body.find("\"body\":\"body\"") != std::string::npos);
}

TEST_CASE("flow: a disabled route answers 503 with Retry-After") {
  auto b = base();
  auto r = route("r", "/x");
  r.respond = apigw::StaticResponse{};
  r.enabled = false;
  b.route(r);
  auto res = apigw::testing::Client::create(b).value().get("/x");
  CHECK(res.status == 503);
  CHECK(!res.header("retry-after").empty());
}

namespace {
apigw::testing::Client streaming_client(std::vector<std::thread>& threads, bool end_stream = true,
                                        bool begin_stream = true) {
  auto b = base();
  b.handler("events", [&threads, end_stream, begin_stream](Exchange& ex) {
    threads.emplace_back([s = ex.stream(), end_stream, begin_stream]() mutable {
      if (!begin_stream) return;  // dropped before begin
      s.begin(200, {{"content-type", "text/event-stream"}});
      for (int i = 0; i < 3; ++i) s.write("data: " + std::to_string(i) + "\n\n");
      if (end_stream) s.end();
    });
    return Decision::kPause;
  });
  auto r = route("events", "/events");
  r.handler = "events";
  b.route(r);
  return apigw::testing::Client::create(b).value();
}
}  // namespace

TEST_CASE("flow: a streamed answer goes out chunked, written from another thread") {
  std::vector<std::thread> threads;
  auto client = streaming_client(threads);
  std::string raw = client.raw("GET /events HTTP/1.1\r\nhost: a\r\n\r\n");
  for (auto& t : threads) t.join();
  CHECK(raw.find("transfer-encoding: chunked\r\n") != std::string::npos);
  CHECK(raw.find("content-length") == std::string::npos);
  CHECK(raw.find("\r\n\r\n9\r\ndata: 0\n\n\r\n9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n0\r\n\r\n") != std::string::npos);
  auto res = apigw::testing::Client::parse(raw);
  CHECK(res.status == 200);
  CHECK(res.body == "data: 0\n\ndata: 1\n\ndata: 2\n\n");
  CHECK_FALSE(client.closed());  // keep-alive survives a chunked answer
}

TEST_CASE("flow: a streamed answer to HTTP/1.0 is delimited by closing") {
  std::vector<std::thread> threads;
  auto client = streaming_client(threads);
  std::string raw = client.raw("GET /events HTTP/1.0\r\n\r\n");
  for (auto& t : threads) t.join();
  CHECK(raw.find("transfer-encoding") == std::string::npos);
  CHECK(raw.find("connection: close\r\n") != std::string::npos);
  CHECK(raw.substr(raw.find("\r\n\r\n") + 4) == "data: 0\n\ndata: 1\n\ndata: 2\n\n");
  CHECK(client.closed());
}

TEST_CASE("flow: a stream dropped after begin closes the connection without the last chunk") {
  std::vector<std::thread> threads;
  auto client = streaming_client(threads, /*end_stream=*/false);
  std::string raw = client.raw("GET /events HTTP/1.1\r\nhost: a\r\n\r\n");
  for (auto& t : threads) t.join();
  CHECK(raw.find("data: 2") != std::string::npos);
  CHECK(raw.find("0\r\n\r\n") == std::string::npos);
  CHECK(client.closed());
  CHECK(apigw::testing::Client::parse(raw).status == 0);  // incomplete, as the client sees it
}

TEST_CASE("flow: a stream dropped before begin is a 500") {
  std::vector<std::thread> threads;
  auto client = streaming_client(threads, true, /*begin_stream=*/false);
  auto res = apigw::testing::Client::parse(client.raw("GET /events HTTP/1.1\r\nhost: a\r\n\r\n"));
  for (auto& t : threads) t.join();
  CHECK(res.status == 500);
}
