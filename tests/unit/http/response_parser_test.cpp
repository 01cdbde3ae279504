#include "http/response_parser.hpp"

#include <doctest/doctest.h>

#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "apigw/arena.hpp"
#include "apigw/headers.hpp"

using apigw::Arena;
using apigw::HeaderMap;
using apigw::http::ResponseLimits;
using apigw::http::ResponseParser;
using apigw::http::ResponseSink;
using State = ResponseParser::State;
using namespace std::string_literals;

namespace {

std::string fields(const HeaderMap& headers) {
  std::string out;
  for (const auto& h : headers) out += "{" + std::string(h.name) + ": " + std::string(h.value) + "}";
  return out;
}

// Records events as text; consecutive body pieces are merged so that
// different read splits give the same log.
class Recorder : public ResponseSink {
 public:
  explicit Recorder(size_t arena_cap = Arena::kDefaultCap) : arena_(arena_cap) {}

  Arena& arena() override { return arena_; }
  void on_interim(int status, const HeaderMap& headers) override {
    log.push_back("interim " + std::to_string(status) + " " + fields(headers));
  }
  void on_head(int status, uint8_t minor, HeaderMap& headers) override {
    if (throw_on_head) throw std::runtime_error("sink says no");
    log.push_back("head " + std::to_string(status) + "/1." + std::to_string(minor) + " " + fields(headers));
  }
  void on_body(std::string_view chunk) override {
    if (log.empty() || log.back().rfind("body:", 0) != 0) log.emplace_back("body:");
    log.back().append(chunk);
  }
  void on_trailers(HeaderMap& trailers) override { log.push_back("trailers " + fields(trailers)); }
  void on_complete() override { log.emplace_back("complete"); }

  std::string text() const {
    std::string out;
    for (const auto& e : log) out += e + "\n";
    return out;
  }

  std::vector<std::string> log;
  bool throw_on_head = false;

 private:
  Arena arena_;
};

struct Outcome {
  std::string log;
  State state = State::kNeedMore;
  size_t consumed = 0;
  std::string error;
  bool keep_alive = false;
};

// Feeds `input` in reads of `split` bytes until the response completes, fails
// or upgrades; then, if `eof` and it still needs more, tells the parser so.
Outcome parse(std::string_view input, size_t split = 0, std::string_view method = "GET", bool eof = false,
              ResponseLimits limits = {}) {
  Recorder sink;
  ResponseParser parser(sink, limits);
  parser.expect(method);
  Outcome out;
  if (split == 0) split = input.size() + 1;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t n = std::min(split, input.size() - pos);
    size_t used = parser.feed(input.data() + pos, n, &out.state);
    pos += used;
    if (out.state != State::kNeedMore) break;
    REQUIRE(used == n);
  }
  if (eof && out.state == State::kNeedMore) out.state = parser.on_eof();
  out.log = sink.text();
  out.consumed = pos;
  out.error = std::string(parser.error());
  out.keep_alive = parser.keep_alive();
  return out;
}

}  // namespace

TEST_CASE("response parser: Content-Length body") {
  std::string in = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
  Outcome o = parse(in + "HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(o.state == State::kComplete);
  CHECK(o.consumed == in.size());  // the next response is left alone
  CHECK(o.log == "head 200/1.1 {Content-Type: text/plain}{Content-Length: 5}\nbody:hello\ncomplete\n");
  CHECK(o.keep_alive);

  Outcome empty = parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  CHECK(empty.state == State::kComplete);
  CHECK(empty.log == "head 200/1.1 {Content-Length: 0}\ncomplete\n");

  Outcome partial = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel");
  CHECK(partial.state == State::kNeedMore);
  CHECK(partial.log == "head 200/1.1 {Content-Length: 5}\nbody:hel\n");
}

TEST_CASE("response parser: chunked body with extensions and trailers") {
  std::string in =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;flag;quoted=\"a; b\"\r\nhello\r\n"
      "6;name=value\r\n world\r\n"
      "0;last\r\nX-Checksum: abc\r\nX-Other:  two words \r\n\r\n";
  Outcome o = parse(in + "HTTP/1.1");
  CHECK(o.state == State::kComplete);
  CHECK(o.consumed == in.size());
  CHECK(o.log ==
        "head 200/1.1 {Transfer-Encoding: chunked}\nbody:hello world\n"
        "trailers {X-Checksum: abc}{X-Other: two words}\ncomplete\n");
  CHECK(o.keep_alive);

  // No trailer fields: no on_trailers.
  Outcome plain = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n");
  CHECK(plain.state == State::kComplete);
  CHECK(plain.log == "head 200/1.1 {Transfer-Encoding: Chunked}\nbody:0123456789\ncomplete\n");

  // llhttp 8.1 cannot parse an extension after one with a value (";a=b;c"):
  // such a response is refused, never misread.
  CHECK(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c\r\nhello\r\n0\r\n\r\n").state ==
        State::kError);

  Outcome waiting = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n");
  CHECK(waiting.state == State::kNeedMore);
}

TEST_CASE("response parser: close-delimited body ends at EOF") {
  Outcome o = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", 0, "GET", true);
  CHECK(o.state == State::kComplete);
  CHECK(o.log == "head 200/1.1 {Content-Type: text/plain}\nbody:until the end\ncomplete\n");
  CHECK_FALSE(o.keep_alive);

  Outcome no_eof = parse("HTTP/1.1 200 OK\r\n\r\nmore to come");
  CHECK(no_eof.state == State::kNeedMore);
  CHECK_FALSE(no_eof.keep_alive);

  Outcome empty = parse("HTTP/1.0 200 OK\r\n\r\n", 0, "GET", true);
  CHECK(empty.state == State::kComplete);
  CHECK(empty.log == "head 200/1.0 \ncomplete\n");
}

TEST_CASE("response parser: HEAD, 204 and 304 have no body") {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  Outcome h = parse(head + "HTTP/1.1 200 OK\r\n", 0, "HEAD");
  CHECK(h.state == State::kComplete);
  CHECK(h.consumed == head.size());
  CHECK(h.log == "head 200/1.1 {Content-Length: 100}\ncomplete\n");
  CHECK(h.keep_alive);

  Outcome hc = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, "HEAD");
  CHECK(hc.state == State::kComplete);
  CHECK(hc.keep_alive);

  // Without framing headers a HEAD answer is still complete at the head.
  Outcome bare = parse("HTTP/1.1 200 OK\r\n\r\n", 0, "HEAD");
  CHECK(bare.state == State::kComplete);
  CHECK(bare.keep_alive);

  // The same answer to a GET would be close-delimited.
  CHECK(parse(head, 0, "GET").state == State::kNeedMore);

  Outcome nc = parse("HTTP/1.1 204 No Content\r\nX: y\r\n\r\n");
  CHECK(nc.state == State::kComplete);
  CHECK(nc.log == "head 204/1.1 {X: y}\ncomplete\n");
  CHECK(nc.keep_alive);

  Outcome nm = parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\nETag: \"x\"\r\n\r\n");
  CHECK(nm.state == State::kComplete);
  CHECK(nm.log == "head 304/1.1 {Content-Length: 42}{ETag: \"x\"}\ncomplete\n");
  CHECK(nm.keep_alive);
}

TEST_CASE("response parser: interim responses before the final one") {
  Outcome o = parse(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 102 Processing\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  CHECK(o.state == State::kComplete);
  CHECK(o.log ==
        "interim 100 \ninterim 103 {Link: </style.css>; rel=preload}\ninterim 102 \n"
        "head 200/1.1 {Content-Length: 2}\nbody:ok\ncomplete\n");
  CHECK(o.keep_alive);

  // An interim response alone is not a response.
  Outcome only = parse("HTTP/1.1 100 Continue\r\n\r\n", 0, "GET", true);
  CHECK(only.state == State::kError);
  CHECK(only.log == "interim 100 \n");

  // Each interim head gets the same checks.
  CHECK(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n").state == State::kError);

  std::string many;
  for (uint32_t i = 0; i <= ResponseParser::kMaxInterim; ++i) many += "HTTP/1.1 100 Continue\r\n\r\n";
  Outcome flood = parse(many);
  CHECK(flood.state == State::kError);
  CHECK(flood.error == "too many interim (1xx) responses");
}

TEST_CASE("response parser: 101 upgrade leaves the tunnel bytes") {
  std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  Outcome o = parse(head + "\x81\x05hello");
  CHECK(o.state == State::kUpgraded);
  CHECK(o.consumed == head.size());
  CHECK(o.log == "head 101/1.1 {Upgrade: websocket}{Connection: Upgrade}\n");
  CHECK_FALSE(o.keep_alive);

  Outcome bytewise = parse(head + "\x81\x05hello", 1);
  CHECK(bytewise.state == State::kUpgraded);
  CHECK(bytewise.consumed == head.size());

  Outcome no_upgrade = parse("HTTP/1.1 101 Switching Protocols\r\n\r\n");
  CHECK(no_upgrade.state == State::kError);

  // A 2xx answer to CONNECT opens a tunnel too; other answers do not.
  std::string ok = "HTTP/1.1 200 Connection Established\r\n\r\n";
  Outcome c = parse(ok + "tunnel", 0, "CONNECT");
  CHECK(c.state == State::kUpgraded);
  CHECK(c.consumed == ok.size());
  Outcome denied = parse("HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno", 0, "CONNECT");
  CHECK(denied.state == State::kComplete);
  CHECK(denied.log == "head 403/1.1 {Content-Length: 2}\nbody:no\ncomplete\n");
}

TEST_CASE("response parser: keep-alive rules") {
  CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
  CHECK_FALSE(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keep_alive);
  CHECK_FALSE(parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n").keep_alive);
  CHECK_FALSE(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
  CHECK(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").keep_alive);
  // HTTP/1.0 keep-alive without a length is still close-delimited.
  CHECK_FALSE(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nx", 0, "GET", true).keep_alive);
  // Not known before the head is complete.
  CHECK_FALSE(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n").keep_alive);
}

TEST_CASE("response parser: responses one after another on a connection") {
  Recorder sink;
  ResponseParser parser(sink);
  std::string in =
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n";
  const char* methods[] = {"GET", "GET", "HEAD", "GET"};
  State st;
  size_t pos = 0;
  for (const char* m : methods) {
    parser.expect(m);
    pos += parser.feed(in.data() + pos, in.size() - pos, &st);
    REQUIRE(st == State::kComplete);
    CHECK(parser.keep_alive());
    // Feeding again without a reset consumes nothing.
    CHECK(parser.feed(in.data() + pos, in.size() - pos, &st) == 0);
    CHECK(st == State::kComplete);
    parser.reset_for_next();
  }
  CHECK(pos == in.size());
  CHECK(sink.text() ==
        "head 200/1.1 {Content-Length: 3}\nbody:one\ncomplete\n"
        "head 200/1.1 {Transfer-Encoding: chunked}\nbody:two\ncomplete\n"
        "head 200/1.1 {Content-Length: 100}\ncomplete\n"
        "head 204/1.1 \ncomplete\n");

  // After an error, reset_for_next() starts over as for a new connection.
  parser.expect("GET");
  std::string bad = "HTTP/1.1 200 OK\nX: y\r\n\r\n";
  parser.feed(bad.data(), bad.size(), &st);
  CHECK(st == State::kError);
  parser.reset_for_next();
  CHECK(parser.error().empty());
  std::string good = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  CHECK(parser.feed(good.data(), good.size(), &st) == good.size());
  CHECK(st == State::kComplete);
}

TEST_CASE("response parser: malformed responses are errors") {
  struct Bad {
    const char* what;
    std::string bytes;
  };
  const std::string ok = "HTTP/1.1 200 OK\r\n";
  const std::string chunked = ok + "Transfer-Encoding: chunked\r\n\r\n";
  const std::vector<Bad> cases = {
      {"bare LF after the status line", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"},
      {"bare LF after a field", ok + "Content-Length: 0\n\r\n"},
      {"bare LF ending the head", ok + "Content-Length: 0\r\n\n"},
      {"bare CR in a field", ok + "X-A: b\rc\r\nContent-Length: 0\r\n\r\n"},
      {"NUL in a value", ok + "X-A: b\0c\r\nContent-Length: 0\r\n\r\n"s},
      {"NUL in the status line", "HTTP/1.1 200 O\0K\r\nContent-Length: 0\r\n\r\n"s},
      {"obs-fold", ok + "X-A: b\r\n  c\r\nContent-Length: 0\r\n\r\n"},
      {"obs-fold with a tab", ok + "X-A: b\r\n\tc\r\nContent-Length: 0\r\n\r\n"},
      {"whitespace before the colon", ok + "X-A : b\r\nContent-Length: 0\r\n\r\n"},
      {"empty field name", ok + ": b\r\nContent-Length: 0\r\n\r\n"},
      {"Content-Length with Transfer-Encoding", ok + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"Transfer-Encoding with Content-Length", ok + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"},
      {"differing Content-Lengths", ok + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"},
      {"repeated Content-Length", ok + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"},
      {"Content-Length list", ok + "Content-Length: 5, 6\r\n\r\nhello!"},
      {"letters in Content-Length", ok + "Content-Length: 5a\r\n\r\nhello"},
      {"negative Content-Length", ok + "Content-Length: -5\r\n\r\n"},
      {"signed Content-Length", ok + "Content-Length: +5\r\n\r\nhello"},
      {"empty Content-Length", ok + "Content-Length: \r\n\r\n"},
      {"huge Content-Length", ok + "Content-Length: 99999999999999999999999\r\n\r\n"},
      {"chunk size not hex", chunked + "zz\r\nhello\r\n0\r\n\r\n"},
      {"chunk size overflow", chunked + "1ffffffffffffffff\r\nx\r\n0\r\n\r\n"},
      {"empty chunk size", chunked + "\r\nhello\r\n0\r\n\r\n"},
      {"chunk size with a sign", chunked + "+5\r\nhello\r\n0\r\n\r\n"},
      {"chunk size line with bare LF", chunked + "5\nhello\r\n0\r\n\r\n"},
      {"chunk size CR without LF", chunked + "5\rXhello\r\n0\r\n\r\n"},
      {"last chunk CR without LF", chunked + "0\rX\r\n"},
      {"chunk extension CR without LF", chunked + "5;a=b\rXhello\r\n0\r\n\r\n"},
      {"chunk data without CRLF", chunked + "5\r\nhelloXX0\r\n\r\n"},
      {"chunk data with bare LF", chunked + "5\r\nhello\n0\r\n\r\n"},
      {"chunk data too long", chunked + "3\r\nhello\r\n0\r\n\r\n"},
      {"bare LF in trailers", chunked + "0\r\nX: y\n\r\n"},
      {"obs-fold in trailers", chunked + "0\r\nX: y\r\n z\r\n\r\n"},
      {"NUL in trailers", chunked + "0\r\nX: \0\r\n\r\n"s},
      {"unsupported transfer coding", ok + "Transfer-Encoding: gzip\r\n\r\nxyz"},
      {"chunked not last", ok + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"},
      {"coding before chunked", ok + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
      {"chunked twice", ok + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"Transfer-Encoding in HTTP/1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"two-digit status", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"},
      {"four-digit status", "HTTP/1.1 0200 OK\r\nContent-Length: 0\r\n\r\n"},
      {"status out of range", "HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n"},
      {"status below 100", "HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n"},
      {"no space after status", "HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n"},
      {"two spaces before status", "HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n"},
      {"HTTP/2.0", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"},
      {"HTTP/1.2", "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n"},
      {"HTTP/0.9 style", "hello world"},
      {"lower-case protocol", "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
      {"request instead of response", "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
      {"status line starting with space", " HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
      {"control byte in reason", "HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n"},
      {"DEL in reason", "HTTP/1.1 200 O\x7fK\r\nContent-Length: 0\r\n\r\n"},
  };
  for (const Bad& b : cases) {
    CAPTURE(b.what);
    Outcome whole = parse(b.bytes, 0, "GET", true);
    CHECK(whole.state == State::kError);
    CHECK_FALSE(whole.error.empty());
    CHECK_FALSE(whole.keep_alive);
    Outcome bytewise = parse(b.bytes, 1, "GET", true);
    CHECK(bytewise.state == State::kError);
  }
}

TEST_CASE("response parser: EOF before the response is complete") {
  const char* truncated[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
      "HTTP/1.1 200 OK\r\nContent-Len",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200",
  };
  for (const char* in : truncated) {
    CAPTURE(in);
    Outcome o = parse(in, 0, "GET", true);
    CHECK(o.state == State::kError);
    CHECK(o.error == "upstream closed before the response was complete");
  }
  Outcome nothing = parse("", 0, "GET", true);
  CHECK(nothing.state == State::kError);
  CHECK(nothing.error == "upstream closed before sending a response");
}

TEST_CASE("response parser: byte-by-byte feeding gives the same events") {
  const std::vector<std::string> inputs = {
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a;c=\"d e\"\r\nhello\r\n1\r\n \r\n"
      "5\r\nworld\r\n0\r\nX-T: 1\r\nX-U: two\r\n\r\n",
      "\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: <a>\r\n\r\n"
      "HTTP/1.1 201 Created\r\nLocation: /x\r\nContent-Length: 3\r\n\r\nabc",
      "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nclose-delimited body",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\ntunnel",
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX",
      "HTTP/1.1 200 OK\r\nX-Long: " + std::string(3000, 'v') + "\r\nContent-Length: 0\r\n\r\n",
  };
  for (const std::string& in : inputs) {
    CAPTURE(in);
    Outcome whole = parse(in, 0, "GET", true);
    for (size_t split : {1, 2, 3, 7}) {
      CAPTURE(split);
      Outcome parts = parse(in, split, "GET", true);
      CHECK(parts.state == whole.state);
      CHECK(parts.error == whole.error);
      CHECK(parts.keep_alive == whole.keep_alive);
      // Body bytes before an error are streamed as they come, so only
      // successful parses must match event for event.
      if (whole.state != State::kError) {
        CHECK(parts.log == whole.log);
        CHECK(parts.consumed == whole.consumed);
      }
    }
  }
}

TEST_CASE("response parser: limits") {
  ResponseLimits small;
  small.max_header_bytes = 64;
  small.max_headers = 2;

  Outcome fits = parse("HTTP/1.1 200 OK\r\nA: 1\r\nContent-Length: 0\r\n\r\n", 0, "GET", false, small);
  CHECK(fits.state == State::kComplete);

  Outcome too_many = parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n", 0, "GET", false, small);
  CHECK(too_many.state == State::kError);
  CHECK(too_many.error == "too many header fields");

  Outcome too_big =
      parse("HTTP/1.1 200 OK\r\nA: " + std::string(60, 'x') + "\r\nContent-Length: 0\r\n\r\n", 0, "GET", false, small);
  CHECK(too_big.state == State::kError);
  CHECK(too_big.error == "response head too large");

  // Interim heads are limited one at a time, not summed.
  Outcome interims = parse(
      "HTTP/1.1 103 Early Hints\r\nLink: <a>\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: <b>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      0, "GET", false, small);
  CHECK(interims.state == State::kComplete);

  // Trailer sections have the same limits.
  std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  CHECK(parse(chunked + "A: 1\r\nB: 2\r\n\r\n", 0, "GET", false, small).state == State::kComplete);
  Outcome trailers = parse(chunked + "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", 0, "GET", false, small);
  CHECK(trailers.state == State::kError);
  CHECK(trailers.error == "too many trailer fields");
  CHECK(parse(chunked + "A: " + std::string(70, 'x') + "\r\n\r\n", 0, "GET", false, small).state ==
        State::kError);
}

TEST_CASE("response parser: exceptions come out of feed, not through llhttp") {
  // The arena's cap is the only allocation limit: past it, std::bad_alloc.
  Recorder tiny(64);
  ResponseParser parser(tiny);
  std::string in = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(4096, 'b') + "\r\nContent-Length: 0\r\n\r\n";
  State st = State::kNeedMore;
  CHECK_THROWS_AS(parser.feed(in.data(), in.size(), &st), std::bad_alloc);
  CHECK(st == State::kError);
  CHECK_FALSE(parser.error().empty());
  CHECK(parser.feed(in.data(), in.size(), &st) == 0);
  CHECK(st == State::kError);

  Recorder thrower;
  thrower.throw_on_head = true;
  ResponseParser p2(thrower);
  std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  CHECK_THROWS_AS(p2.feed(ok.data(), ok.size(), &st), std::runtime_error);
  CHECK(st == State::kError);
}
