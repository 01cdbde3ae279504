#include "apigw/exchange.hpp"

#include "core/flow.hpp"
#include "core/resume_queue.hpp"

namespace apigw {

Exchange::Exchange(size_t arena_cap)
    : arena_(arena_cap), request_(arena_), response_(arena_), params_(&arena_), slots_(&arena_) {}

Exchange::~Exchange() {
  for (auto it = slots_.rbegin(); it != slots_.rend(); ++it) it->destroy(it->ptr);
}

std::string_view Exchange::param(std::string_view name) const noexcept {
  for (const auto& p : params_)
    if (p.name == name) return p.value;
  return {};
}

Decision Exchange::respond(int status, std::string_view body, std::string_view content_type) {
  response_.status = status;
  response_.body.assign(body.data(), body.size());
  if (!content_type.empty()) response_.headers.set("content-type", content_type);
  return Decision::kRespond;
}

Decision Exchange::fail(Status status) {
  failure_ = std::move(status);
  if (failure_.is_ok()) failure_ = Status(Code::kInternal, "failed without a reason");
  return Decision::kFail;
}

// Every Exchange is a Flow (the constructor is protected; Flow is final).
ResumeToken Exchange::pause() { return ResumeToken(static_cast<Flow*>(this)->anchor()); }

ResponseStream Exchange::stream() { return ResponseStream(static_cast<Flow*>(this)->anchor()); }

// ResumeToken

namespace {
void post(std::shared_ptr<detail::ExchangeAnchor>& anchor, detail::ResumeAction action) noexcept {
  if (!anchor) return;
  try {
    detail::ResumeQueue& q = anchor->queue();
    action.anchor = std::move(anchor);
    q.push(std::move(action));
  } catch (...) {
    // Out of memory while queueing: the worker fails the exchange on drain_timeout.
  }
  anchor.reset();
}
}  // namespace

ResumeToken& ResumeToken::operator=(ResumeToken&& other) noexcept {
  if (this != &other) {
    if (anchor_) fail(Status(Code::kInternal, "resume token dropped unused"));
    anchor_ = std::move(other.anchor_);
  }
  return *this;
}

ResumeToken::~ResumeToken() {
  if (anchor_) fail(Status(Code::kInternal, "resume token dropped unused"));
}

void ResumeToken::resume() noexcept { post(anchor_, {detail::ResumeAction::Kind::kResume, nullptr, {}, {}}); }

void ResumeToken::retry() noexcept { post(anchor_, {detail::ResumeAction::Kind::kRetry, nullptr, {}, {}}); }

void ResumeToken::respond(Reply reply) noexcept {
  post(anchor_, {detail::ResumeAction::Kind::kRespond, nullptr, std::move(reply), {}});
}

void ResumeToken::fail(Status status) noexcept {
  post(anchor_, {detail::ResumeAction::Kind::kFail, nullptr, {}, std::move(status)});
}

// ResponseStream

namespace {
void post_stream(const std::shared_ptr<detail::ExchangeAnchor>& anchor, detail::ResumeAction action) noexcept {
  if (!anchor) return;
  try {
    action.anchor = anchor;
    anchor->queue().push(std::move(action));
  } catch (...) {
  }
}
}  // namespace

ResponseStream& ResponseStream::operator=(ResponseStream&& other) noexcept {
  if (this != &other) {
    abort();
    anchor_ = std::move(other.anchor_);
    began_ = other.began_;
  }
  return *this;
}

ResponseStream::~ResponseStream() { abort(); }

void ResponseStream::abort() noexcept {
  if (!anchor_) return;
  post_stream(anchor_, {detail::ResumeAction::Kind::kStreamAbort, nullptr, {}, {}});
  anchor_.reset();
}

void ResponseStream::begin(int status, std::vector<std::pair<std::string, std::string>> headers) noexcept {
  if (!anchor_ || began_) return;
  began_ = true;
  post_stream(anchor_, {detail::ResumeAction::Kind::kStreamBegin, nullptr, {status, std::move(headers), {}}, {}});
}

void ResponseStream::write(std::string data) noexcept {
  if (!anchor_ || !began_ || data.empty()) return;
  post_stream(anchor_, {detail::ResumeAction::Kind::kStreamData, nullptr, {0, {}, std::move(data)}, {}});
}

void ResponseStream::end() noexcept {
  if (!anchor_) return;
  if (!began_) begin(200);
  post_stream(anchor_, {detail::ResumeAction::Kind::kStreamEnd, nullptr, {}, {}});
  anchor_.reset();
}

}  // namespace apigw
