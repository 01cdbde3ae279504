#include "upstream/health_checker.hpp"

#include <string>

#include "apigw/arena.hpp"
#include "http/response_parser.hpp"
#include "net/tls_client_stream.hpp"

namespace apigw::upstream {
namespace {

constexpr uint64_t kTickMs = 100;

// One probe: connect (and, to a TLS upstream, handshake as requests do),
// ask, judge, record; frees itself once its handles close.
class Probe final : public http::ResponseSink {
 public:
  Probe(uv_loop_t* loop, const CompiledUpstream& u, size_t index, const HealthCheckOptions& o)
      : Probe(loop, u.shared, index, u.addresses[index]->get(), u.target_names[index], o) {
#if APIGW_WITH_TLS
    if (u.tls && !done_) tls_ = std::make_unique<net::TlsClientStream>(u.tls, u.tls_server_names[index]);
#endif
  }

 private:
  Probe(uv_loop_t* loop, std::shared_ptr<UpstreamShared> shared, size_t index, const sockaddr_storage& address,
        const std::string& host, const HealthCheckOptions& o)
      : shared_(std::move(shared)), index_(index), arena_(64 * 1024), parser_(*this) {
    request_ = "GET " + o.path + " HTTP/1.1\r\nhost: " + host +
               "\r\nuser-agent: apigw-health-check\r\nconnection: close\r\n\r\n";
    uv_tcp_init(loop, &tcp_);
    uv_timer_init(loop, &timer_);
    tcp_.data = timer_.data = connect_.data = this;
    parser_.expect("GET");
    uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<Probe*>(t->data)->finish(false); }, o.timeout_ms, 0);
    if (uv_tcp_connect(&connect_, &tcp_, reinterpret_cast<const sockaddr*>(&address), on_connect) != 0) finish(false);
  }

  // A few dozen (or, for a handshake, a few hundred) bytes on a fresh socket: all or nothing.
  bool send(std::string& bytes) {
    if (bytes.empty()) return true;
    uv_buf_t buf = uv_buf_init(bytes.data(), static_cast<unsigned>(bytes.size()));
    bool sent = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1) == static_cast<int>(bytes.size());
    bytes.clear();
    return sent;
  }

  void on_bytes(const char* data, size_t len) {
#if APIGW_WITH_TLS
    if (tls_) {
      tls_->set_input(data, len);
      if (!handshake_done_) {
        int rc = tls_->handshake();
        if (!send(tls_->output())) return finish(false);
        if (rc == MBEDTLS_ERR_SSL_WANT_READ) return;
        if (rc != 0) return finish(false);  // the origin's certificate does not verify: unhealthy
        handshake_done_ = true;
        std::string_view request = request_;
        if (!tls_->write(&request, 1) || !send(tls_->output())) return finish(false);
      }
      char plain[4096];
      for (int n; !done_ && (n = tls_->read(plain, sizeof plain)) != MBEDTLS_ERR_SSL_WANT_READ;) {
        if (n <= 0) return finish(false);
        parse(plain, static_cast<size_t>(n));
      }
      return;
    }
#endif
    parse(data, len);
  }

  void parse(const char* data, size_t len) {
    http::ResponseParser::State st;
    try {
      parser_.feed(data, len, &st);
    } catch (...) {
      return finish(false);
    }
    if (st == http::ResponseParser::State::kError) finish(false);
  }

  static void on_connect(uv_connect_t* req, int status) {
    auto* p = static_cast<Probe*>(req->data);
    if (p->done_) return;
    if (status != 0) return p->finish(false);
#if APIGW_WITH_TLS
    if (p->tls_) {
      p->on_bytes(nullptr, 0);  // the ClientHello
    } else
#endif
    if (!p->send(p->request_)) {
      return p->finish(false);
    }
    if (p->done_) return;
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&p->tcp_),
        [](uv_handle_t* h, size_t, uv_buf_t* b) {
          auto* p = static_cast<Probe*>(h->data);
          *b = uv_buf_init(p->buf_, sizeof p->buf_);
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
          auto* p = static_cast<Probe*>(s->data);
          if (p->done_ || n == 0) return;
          if (n < 0) return p->finish(false);
          p->on_bytes(b->base, static_cast<size_t>(n));
        });
  }

  // The status decides; the body is not awaited.
  Arena& arena() override { return arena_; }
  void on_interim(int, const HeaderMap&) override {}
  void on_head(int status, uint8_t, HeaderMap&) override { finish(status >= 200 && status < 400); }
  void on_body(std::string_view) override {}
  void on_trailers(HeaderMap&) override {}
  void on_complete() override {}

  void finish(bool passed) {
    if (done_) return;
    done_ = true;
    shared_->health->record_probe(index_, passed);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
  }

  static void on_closed(uv_handle_t* h) {
    auto* p = static_cast<Probe*>(h->data);
    if (--p->open_handles_ == 0) delete p;
  }

  std::shared_ptr<UpstreamShared> shared_;
  size_t index_;
  Arena arena_;
  http::ResponseParser parser_;
  std::string request_;
  uv_tcp_t tcp_;
  uv_timer_t timer_;
  uv_connect_t connect_;
  char buf_[4096];
  int open_handles_ = 2;
  bool done_ = false;
#if APIGW_WITH_TLS
  std::unique_ptr<net::TlsClientStream> tls_;
  bool handshake_done_ = false;
#endif
};

}  // namespace

HealthChecker::HealthChecker(uv_loop_t* loop, UpstreamList current)
    : loop_(loop), current_(std::move(current)), timer_(new uv_timer_t) {
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_timer_start(timer_, on_tick, 0, kTickMs);
}

HealthChecker::~HealthChecker() {
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void HealthChecker::on_tick(uv_timer_t* t) { static_cast<HealthChecker*>(t->data)->tick(); }

void HealthChecker::tick() {
  uint64_t now = uv_now(loop_);
  for (const auto& u : current_()) {
    const auto& check = u->options.health_check;
    if (!check) continue;
    uint64_t& due = next_due_ms_[u->options.name];
    if (now < due) continue;
    due = now + check->interval_ms;
    for (size_t i = 0; i < u->addresses.size(); ++i) {
      ++probes_;
      new Probe(loop_, *u, i, *check);
    }
  }
}

}  // namespace apigw::upstream
