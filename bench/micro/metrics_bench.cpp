// Metrics cost: the per-request update a worker makes when an answer is
// finished (ServerConnection::finish_answer: method_class + RequestMetrics::
// record, i.e. requests_total and the duration histogram), and a scrape.
//
// The update runs on one shard with 1 series and with 250 (50 routes x 5
// codes, cycled). collect() of that shard (what a scrape does per worker) is
// timed alone. The whole scrape is timed through a real gateway: 50 routes,
// each answered with 5 status codes, then GET /metrics on the admin listener
// over one keep-alive loopback connection; GET /healthz on the same
// connection is the round trip without the render.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "apigw/gateway.hpp"
#include "telemetry/request_metrics.hpp"

using apigw::telemetry::Method;
using apigw::telemetry::RequestMetrics;

namespace {

constexpr int kRoutes = 50;
constexpr int kCodes[] = {200, 201, 404, 429, 503};

double since(std::chrono::steady_clock::time_point start, long ops) {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
         static_cast<double>(ops);
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "metrics_bench: %s\n", what.c_str());
  std::exit(1);
}

// A blocking HTTP/1.1 client on one keep-alive connection (Content-Length answers only).
class Conn {
 public:
  explicit Conn(const std::string& address) {
    size_t colon = address.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(std::atoi(address.c_str() + colon + 1)));
    if (inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr) != 1) die("bad address " + address);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("connect " + address);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Conn() { ::close(fd_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Returns the status; the body is left in body().
  int get(std::string_view path) {
    std::string req = "GET " + std::string(path) + " HTTP/1.1\r\nHost: bench\r\n\r\n";
    if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) die("send");
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) more();
    std::string_view head(buf_.data(), end);
    size_t cl = head.find("content-length: ");
    if (cl == std::string_view::npos) die("no content-length in " + std::string(head));
    size_t len = std::strtoul(head.data() + cl + 16, nullptr, 10);
    int status = std::atoi(head.data() + 9);
    while (buf_.size() < end + 4 + len) more();
    body_.assign(buf_, end + 4, len);
    buf_.erase(0, end + 4 + len);
    return status;
  }
  const std::string& body() const { return body_; }

 private:
  void more() {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) die("connection closed");
    buf_.append(tmp, static_cast<size_t>(n));
  }
  int fd_;
  std::string buf_, body_;
};

size_t count(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

void updates() {
  auto m = std::make_unique<RequestMetrics>();
  uint32_t ids[kRoutes];
  for (int r = 0; r < kRoutes; ++r)
    ids[r] = apigw::telemetry::RouteNames::instance().intern("bench-r" + std::to_string(r));
  const std::string_view methods[] = {"GET", "POST"};
  constexpr long kOps = 10'000'000;

  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < kOps; ++i)
    m->record(ids[0], apigw::telemetry::method_class(methods[0]), 200, (i * 37) % 3'000'000);
  std::printf("record (method_class + requests_total + histogram), 1 series: %.1f ns/op (%ld ops)\n",
              since(start, kOps), kOps);

  start = std::chrono::steady_clock::now();
  for (long i = 0; i < kOps; ++i) {
    // Route, code and method change on every request; durations spread over the buckets.
    m->record(ids[i % kRoutes], apigw::telemetry::method_class(methods[(i >> 3) & 1]), kCodes[(i / kRoutes) % 5],
              (i * 7919) % 30'000'000);
  }
  std::printf("record, 500 series (50 routes x 5 codes x GET/POST), 50 histograms: %.1f ns/op (%ld ops)\n",
              since(start, kOps), kOps);

  constexpr long kCollects = 5'000;
  size_t series = 0;
  start = std::chrono::steady_clock::now();
  for (long i = 0; i < kCollects; ++i) {
    apigw::telemetry::MetricsTotals t;
    m->collect(t);
    series += t.requests.size();
  }
  std::printf("collect one shard (%zu counters, %d histograms): %.2f us/op (%ld ops)\n", series / kCollects, kRoutes,
              since(start, kCollects) / 1000, kCollects);
}

void scrape() {
  apigw::GatewayBuilder b;
  b.listener({"bench", "127.0.0.1:0"});
  b.admin({"127.0.0.1:0", ""});
  b.workers(1);
  b.handler("code", [](apigw::Exchange& ex) {
    std::string_view path = ex.request().path;
    return ex.respond(std::atoi(std::string(path.substr(path.rfind('/') + 1)).c_str()), "ok\n");
  });
  for (int r = 0; r < kRoutes; ++r) {
    apigw::RouteOptions o;
    o.name = "route-" + std::to_string(r);
    o.match.path_prefix = "/r" + std::to_string(r) + "/";
    o.handler = "code";
    b.route(o);
  }
  auto built = b.build();
  if (!built) die(built.status().to_string());
  auto gw = std::move(built.value());
  if (auto s = gw->start(); !s.is_ok()) die(s.to_string());
  auto addrs = gw->bound_addresses();
  {
    Conn c(addrs[0]);
    for (int r = 0; r < kRoutes; ++r)
      for (int code : kCodes)
        for (int k = 0; k < 2; ++k) {
          std::string path = "/r" + std::to_string(r) + "/" + std::to_string(code);
          if (c.get(path) != code) die("unexpected status for " + path);
        }
  }
  Conn admin(addrs.back());
  if (admin.get("/metrics") != 200) die("/metrics failed");
  const size_t lines = count(admin.body(), "\n");
  const size_t counters = count(admin.body(), "apigw_requests_total{route=\"route-");
  const size_t bytes = admin.body().size();

  constexpr long kScrapes = 1000;
  for (long i = 0; i < 50; ++i) admin.get("/healthz");
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < kScrapes; ++i) admin.get("/healthz");
  const double healthz_us = since(start, kScrapes) / 1000;
  start = std::chrono::steady_clock::now();
  for (long i = 0; i < kScrapes; ++i) admin.get("/metrics");
  const double metrics_us = since(start, kScrapes) / 1000;
  std::printf("GET /healthz round trip (loopback, keep-alive): %.1f us/op (%ld ops)\n", healthz_us, kScrapes);
  std::printf("GET /metrics scrape (%zu route x code series, %zu lines, %zu bytes): %.1f us/op (%ld ops)\n", counters,
              lines, bytes, metrics_us, kScrapes);
  std::printf("scrape minus round trip (collect + render + send): %.1f us\n", metrics_us - healthz_us);
  gw->stop();
}

}  // namespace

int main() {
  updates();
  scrape();
  return 0;
}
