// apigw::testing: run a gateway's routes, policies and handlers in memory.
//
// No sockets, no threads of its own, no sleeps: a Client feeds request bytes
// through the same HTTP stack as a real connection and collects the answer.
// With a ManualClock on the builder, time moves only when the test says so.
//
//   auto clock = std::make_shared<apigw::ManualClock>();
//   builder.clock(clock);
//   auto client = apigw::testing::Client::create(builder).value();
//   auto res = client.get("/hello");
//   CHECK(res.status == 200);
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apigw/gateway.hpp"

namespace apigw::testing {

struct ClientResponse {
  int status = 0;  // 0: no complete answer
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const;  // "" when absent
};

class Client {
 public:
  static Result<Client> create(const GatewayBuilder& builder);
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  ClientResponse get(std::string_view path, std::vector<std::pair<std::string, std::string>> headers = {});
  ClientResponse request(std::string_view method, std::string_view path,
                         std::vector<std::pair<std::string, std::string>> headers = {},
                         std::string_view body = {});

  // Sends bytes on a fresh in-memory connection and returns everything the
  // gateway wrote until it had nothing left to do (answers from other
  // threads are awaited for up to `wait`).
  std::string raw(std::string_view bytes, std::chrono::milliseconds wait = std::chrono::seconds(5));

  // Whether the last raw()/request() connection was closed by the gateway.
  bool closed() const noexcept;

  // Parses the first answer in `bytes` (Content-Length framing).
  static ClientResponse parse(std::string_view bytes);

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace apigw::testing
