// Request-head parsing cost: RequestParser (HeadScanner + llhttp + HeaderMap)
// driven as ServerConnection drives it.
//
// One parser per connection; every request arrives in one read, is fed whole,
// completes (kPaused) and the parser is resumed for the next, as on a
// keep-alive connection. Each message gets a fresh arena and Request, as each
// Flow does, so arena growth past its inline 2 KiB is part of the cost.
// Three heads: wrk's GET (Host only), a browser-like GET with 10 headers
// including cookies, and a POST with Content-Length and a 64-byte body.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "apigw/arena.hpp"
#include "apigw/exchange.hpp"
#include "apigw/gateway.hpp"
#include "http/request_parser.hpp"

using apigw::http::RequestParser;

namespace {

// What a Flow gives the parser: a per-request arena and the Request in it.
class Sink final : public apigw::http::RequestSink {
 public:
  apigw::Request& on_message_begin() override {
    slot_.reset();  // the previous request's arena goes, as the Flow does
    slot_.emplace();
    return slot_->request;
  }
  apigw::Arena& arena() override { return slot_->arena; }
  void on_head_complete() override { headers_ += slot_->request.headers.size(); }
  void on_body(std::string_view chunk) override { slot_->request.body.append(chunk); }
  void on_message_complete() override { ++messages_; }

  size_t arena_bytes() const { return slot_ ? slot_->arena.bytes_used() : 0; }
  long messages_ = 0;
  size_t headers_ = 0;

 private:
  struct Slot {
    apigw::Arena arena;
    apigw::Request request{arena};
  };
  std::optional<Slot> slot_;
};

void bench(const char* name, const std::string& bytes, long n) {
  apigw::Limits limits;
  Sink sink;
  RequestParser parser(limits, sink);
  auto one = [&] {
    RequestParser::State state;
    size_t used = parser.feed(bytes.data(), bytes.size(), &state);
    if (state != RequestParser::State::kPaused || used != bytes.size()) {
      std::fprintf(stderr, "%s: parse failed (%d %s)\n", name, parser.error_status(),
                   std::string(parser.error_reason()).c_str());
      std::exit(1);
    }
    parser.resume();
  };
  for (long i = 0; i < n / 10; ++i) one();  // warm up
  sink.messages_ = 0;
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) one();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (sink.messages_ != n) {
    std::fprintf(stderr, "%s: %ld messages for %ld requests\n", name, sink.messages_, n);
    std::exit(1);
  }
  std::printf("%s: %.1f ns/op (%ld ops)  %.0f MB/s  %zu bytes, %zu arena bytes per request\n", name,
              secs * 1e9 / static_cast<double>(n), n,
              static_cast<double>(bytes.size()) * static_cast<double>(n) / secs / 1e6, bytes.size(),
              sink.arena_bytes());
}

}  // namespace

int main() {
  const std::string wrk = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
  const std::string browser =
      "GET /api/v1/users/12345/profile?include=settings&lang=en HTTP/1.1\r\n"
      "Host: app.example.com\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n"
      "Accept-Language: en-US,en;q=0.5\r\n"
      "Accept-Encoding: gzip, deflate, br, zstd\r\n"
      "Referer: https://app.example.com/dashboard\r\n"
      "Connection: keep-alive\r\n"
      "Cookie: session=3f9a1c7e5b2d4a6f8e0c1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d2f4a; "
      "csrftoken=Xk2Lm9Qp4Rs7Tu1Vw3Yz6Ab8Cd0Ef5Gh; _ga=GA1.2.1234567890.1700000000; "
      "_gid=GA1.2.987654321.1700000000; theme=dark; lang=en\r\n"
      "Upgrade-Insecure-Requests: 1\r\n"
      "Sec-Fetch-Mode: navigate\r\n"
      "\r\n";
  const std::string body(64, 'x');
  const std::string post =
      "POST /api/v1/orders HTTP/1.1\r\n"
      "Host: api.example.com\r\n"
      "User-Agent: curl/8.5.0\r\n"
      "Accept: application/json\r\n"
      "Content-Type: application/json\r\n"
      "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl\r\n"
      "Content-Length: " +
      std::to_string(body.size()) +
      "\r\n"
      "\r\n" +
      body;

  bench("parse wrk GET (Host only)", wrk, 1'000'000);
  bench("parse browser GET (10 headers, cookies)", browser, 250'000);
  bench("parse POST (5 headers + Content-Length, 64 B body)", post, 500'000);
  return 0;
}
