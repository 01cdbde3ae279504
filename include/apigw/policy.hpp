// Policy: one interface for every stage of a request (auth, limits, transforms ...).
//
// Phases run in this order (docs/lifecycle.md draws the graph):
//   on_request -> on_request_body -> select_upstream -> on_upstream_request
//   -> on_upstream_response -> on_response -> on_response_body -> on_log
// plus the error hooks on_upstream_error and on_error. Request phases run in
// the order the route lists its policies, response phases in reverse order.
//
// A policy object is built once from validated config and shared by every
// request on every worker: it must be immutable (or internally synchronised).
// Per-request state goes in a typed slot: ex.ctx<MyState>().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace apigw {

class Exchange;
class Status;

enum class Decision : uint8_t {
  kContinue,  // go on to the next stage
  kRespond,   // a local answer has been set on the exchange (ex.respond(...))
  kPause,     // wait for the ResumeToken handed out by ex.pause()
  kFail,      // only through `return ex.fail(status)`, so the error travels with it
};

class Policy {
 public:
  virtual ~Policy() = default;

  // The policy's type, e.g. "headers"; used in metrics and errors.
  virtual std::string_view type() const noexcept = 0;

  virtual Decision on_request(Exchange&) const noexcept { return Decision::kContinue; }
  virtual Decision on_request_body(Exchange&) const noexcept { return Decision::kContinue; }
  virtual Decision select_upstream(Exchange&) const noexcept { return Decision::kContinue; }
  virtual Decision on_upstream_request(Exchange&) const noexcept { return Decision::kContinue; }
  virtual Decision on_upstream_response(Exchange&) const noexcept { return Decision::kContinue; }
  virtual Decision on_response(Exchange&) const noexcept { return Decision::kContinue; }
  virtual Decision on_response_body(Exchange&) const noexcept { return Decision::kContinue; }
  virtual void on_log(Exchange&) const noexcept {}
  virtual Decision on_upstream_error(Exchange&, const Status&) const noexcept { return Decision::kContinue; }
  virtual void on_error(Exchange&, const Status&) const noexcept {}

  // A policy that reads the request body in on_request_body says so: then
  // the whole body is buffered (up to max_body_bytes) before the phase runs.
  // Otherwise a proxied route streams the body to the upstream as it comes,
  // and on_request_body sees an empty body.
  virtual bool needs_request_body() const noexcept { return false; }

  // A policy that reads or rewrites the answer's body in on_response_body
  // says how many bytes it will hold. Then a streamed answer (a proxied one)
  // is buffered up to the largest limit of the route's policies before the
  // response phases run, and goes out whole. A longer answer is not held:
  // on_response_body runs once with what arrived so far and
  // ex.response_body_overflowed() set, may fail the exchange (the head is not
  // out yet) and otherwise must leave the body alone, which then streams on.
  // Routes without such a policy never run on_response_body and stream
  // as before.
  virtual size_t response_body_limit() const noexcept { return 0; }
};

// Write only the phases you need (Envoy's PassThroughFilter).
class PassThroughPolicy : public Policy {
 public:
  std::string_view type() const noexcept override { return "custom"; }
};

using PolicyPtr = std::shared_ptr<const Policy>;

}  // namespace apigw
