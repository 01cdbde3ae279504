// Exchange: one request and its answer, as policies and handlers see it.
//
// An Exchange lives on one worker thread, from the parsed request head to the
// last byte of the answer; everything it points at comes from its arena.
// Only ResumeToken may be used from another thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "apigw/arena.hpp"
#include "apigw/headers.hpp"
#include "apigw/policy.hpp"
#include "apigw/status.hpp"

namespace apigw {

struct Request {
  explicit Request(Arena& arena) : headers(arena), body(&arena) {}

  std::string_view method;
  std::string_view target;  // as sent: path plus query
  std::string_view path;    // without the query
  std::string_view query;   // without the '?'
  std::string_view host;    // Host header without the port, lower case
  uint8_t version_minor = 1;  // HTTP/1.<minor>
  HeaderMap headers;
  std::pmr::string body;      // buffered request body (bounded by max_body_bytes)
  std::string_view client_ip;
  // A policy may lower the body limit for this request (size_limit); the
  // connection answers 413 once the body passes it, chunked bodies included.
  uint64_t max_body_bytes = UINT64_MAX;
  bool tls = false;  // arrived over TLS
  // The client certificate, when one was presented and verified (TLS
  // listeners with client_auth): its subject DN ("CN=alice,O=Acme") and its
  // DNS and URI names ("DNS:a.example, URI:spiffe://x"); "" otherwise.
  std::string_view client_cert_subject;
  std::string_view client_cert_san;
};

struct Response {
  explicit Response(Arena& arena) : headers(arena), body(&arena) {}

  int status = 200;
  HeaderMap headers;
  std::pmr::string body;
};

// An answer built off the loop thread; moved into the exchange on its worker.
struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

namespace detail {
class ExchangeAnchor;
}

// Hands a paused exchange back to its worker. Safe to use from any thread.
// Exactly one of resume/respond/fail takes effect; a token dropped unused
// fails the exchange with a 500 so that no client waits forever. A token for
// an exchange that has died in the meantime is dropped silently.
class ResumeToken {
 public:
  ResumeToken() = default;
  explicit ResumeToken(std::shared_ptr<detail::ExchangeAnchor> anchor) : anchor_(std::move(anchor)) {}
  ResumeToken(ResumeToken&&) noexcept = default;
  ResumeToken& operator=(ResumeToken&&) noexcept;
  ResumeToken(const ResumeToken&) = delete;
  ResumeToken& operator=(const ResumeToken&) = delete;
  ~ResumeToken();

  // Continue with the next stage.
  void resume() noexcept;
  // Run the paused phase again, on the exchange's worker: for a policy that
  // waited for something (a key set, say) and now decides afresh.
  void retry() noexcept;
  // Answer with `reply`.
  void respond(Reply reply) noexcept;
  // Fail with `status`.
  void fail(Status status) noexcept;

  bool valid() const noexcept { return anchor_ != nullptr; }

 private:
  std::shared_ptr<detail::ExchangeAnchor> anchor_;
};

// Writes an answer while it is being produced: chunked on HTTP/1.1, and on
// HTTP/1.0 delimited by closing the connection. Safe to use from any thread.
// begin() once, write() any number of times, end() once. A stream dropped
// before end() aborts the answer: before begin() it becomes a 500, after it
// the connection is closed, so that the client sees a truncated answer and
// never a complete-looking one. Bytes are queued in memory until the client
// reads them: pace a fast producer yourself.
class ResponseStream {
 public:
  ResponseStream() = default;
  explicit ResponseStream(std::shared_ptr<detail::ExchangeAnchor> anchor) : anchor_(std::move(anchor)) {}
  ResponseStream(ResponseStream&&) noexcept = default;
  ResponseStream& operator=(ResponseStream&&) noexcept;
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;
  ~ResponseStream();

  void begin(int status, std::vector<std::pair<std::string, std::string>> headers = {}) noexcept;
  void write(std::string data) noexcept;
  void end() noexcept;

 private:
  void abort() noexcept;
  std::shared_ptr<detail::ExchangeAnchor> anchor_;
  bool began_ = false;
};

struct RouteInfo {
  std::string_view name;
};

class Exchange {
 public:
  struct Param {
    std::string_view name;
    std::string_view value;
  };

  Arena& arena() noexcept { return arena_; }
  Request& request() noexcept { return request_; }
  const Request& request() const noexcept { return request_; }
  Response& response() noexcept { return response_; }

  // Path parameter of the matched route ("" when absent).
  std::string_view param(std::string_view name) const noexcept;
  const std::pmr::vector<Param>& params() const noexcept { return params_; }
  const RouteInfo& route() const noexcept { return route_; }

  std::string_view request_id() const noexcept { return request_id_; }
  void set_request_id(std::string_view id) { request_id_ = arena_.dup(id); }
  std::string_view consumer() const noexcept { return consumer_; }
  void set_consumer(std::string_view id) { consumer_ = arena_.dup(id); }
  // What authorisation (acl) may check besides the consumer id: the
  // consumer's tags and the scopes a credential granted. The views must
  // outlive the exchange: config-owned, or copied into the arena.
  std::span<const std::string_view> consumer_tags() const noexcept { return consumer_tags_; }
  void set_consumer_tags(std::span<const std::string_view> tags) noexcept { consumer_tags_ = tags; }
  std::span<const std::string_view> scopes() const noexcept { return scopes_; }
  void set_scopes(std::span<const std::string_view> scopes) noexcept { scopes_ = scopes; }

  // Sets a local answer; return its result from a phase or handler.
  Decision respond(int status, std::string_view body = {},
                   std::string_view content_type = "text/plain; charset=utf-8");
  // Records why the exchange failed; the single error mapping makes the answer.
  Decision fail(Status status);
  const Status& failure() const noexcept { return failure_; }

  // Suspends the exchange; return Decision::kPause, then use the token.
  ResumeToken pause();
  // Suspends the exchange to answer with a stream (from a handler); return
  // Decision::kPause, then use the stream.
  ResponseStream stream();

  // Typed per-request state, created on first use from the arena and
  // destroyed when the exchange ends.
  template <class T>
  T& ctx() {
    for (auto& s : slots_)
      if (s.type == &typeid(T)) return *static_cast<T*>(s.ptr);
    T* p = arena_.make<T>();
    slots_.push_back({&typeid(T), p, [](void* q) { static_cast<T*>(q)->~T(); }});
    return *p;
  }

  // on_response_body: the answer was longer than the policies' response
  // body limit, so response().body holds only its beginning (Policy::response_body_limit).
  bool response_body_overflowed() const noexcept { return response_body_overflowed_; }

  // Time the request head was complete, in ns on the gateway's clock.
  int64_t start_ns() const noexcept { return start_ns_; }

  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

 protected:
  explicit Exchange(size_t arena_cap);
  ~Exchange();

  struct Slot {
    const std::type_info* type;
    void* ptr;
    void (*destroy)(void*);
  };

  Arena arena_;
  Request request_;
  Response response_;
  std::pmr::vector<Param> params_;
  std::pmr::vector<Slot> slots_;
  RouteInfo route_;
  std::string_view request_id_;
  std::string_view consumer_;
  std::span<const std::string_view> consumer_tags_;
  std::span<const std::string_view> scopes_;
  Status failure_;
  int64_t start_ns_ = 0;
  bool response_body_overflowed_ = false;
  std::shared_ptr<detail::ExchangeAnchor> anchor_;
};

}  // namespace apigw
