#include "net/tls_listener.hpp"

#if APIGW_WITH_TLS
namespace apigw::net {

Result<std::unique_ptr<TlsListener>> TlsListener::create(std::string name, const ListenerTlsOptions& options) {
  std::unique_ptr<TlsListener> l(new TlsListener());
  l->name_ = std::move(name);
  if (Status st = l->apply(options); !st) return std::move(st).with_context("listener \"" + l->name_ + "\"");
  return l;
}

uint32_t TlsListener::reload_check_ms() const {
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(mu_));
  return options_.reload_check_ms;
}

std::vector<TlsListener::FileStamp> TlsListener::stamps(const ListenerTlsOptions& options) {
  std::vector<FileStamp> out;
  auto add = [&out](const std::string& path) {
    FileStamp s;
    s.path = path;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
      s.dev = st.st_dev;
      s.ino = st.st_ino;
      s.size = st.st_size;
      s.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    }
    out.push_back(std::move(s));
  };
  for (const TlsCertificate& c : options.certificates) {
    add(c.cert_file);
    add(c.key_file);
  }
  if (!options.client_ca_file.empty()) add(options.client_ca_file);
  return out;
}

Result<TlsListener::Prepared> TlsListener::prepare(const ListenerTlsOptions& options) {
  Prepared p;
  p.options = options;
  // Stamped before reading: a change made while loading is seen next time.
  p.stamps = stamps(options);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (tickets_ && tickets_->lifetime_ms() == options.session_ticket_lifetime_ms)
      p.tickets = tickets_;  // tickets issued before the reload still resume
  }
  if (options.session_tickets && !p.tickets) {
    auto made = TlsTicketKeys::create(options.session_ticket_lifetime_ms);
    if (!made) return made.status();
    p.tickets = std::move(made.value());
  }
  if (!options.session_tickets) p.tickets.reset();
  auto ctx = TlsServerContext::create(options, p.tickets);
  if (!ctx) {
    std::lock_guard<std::mutex> lock(mu_);
    failed_stamps_ = std::move(p.stamps);
    return ctx.status();
  }
  p.context = std::move(ctx.value());
  return p;
}

void TlsListener::commit(Prepared p) {
  std::lock_guard<std::mutex> lock(mu_);
  current_.store(std::move(p.context), std::memory_order_release);
  options_ = std::move(p.options);
  stamps_ = std::move(p.stamps);
  failed_stamps_.clear();
  if (p.tickets) tickets_ = std::move(p.tickets);
}

Status TlsListener::apply(const ListenerTlsOptions& options) {
  auto p = prepare(options);
  if (!p) return p.status();
  commit(std::move(p.value()));
  return Status();
}

Status TlsListener::reload_if_changed() {
  ListenerTlsOptions options;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<FileStamp> now = stamps(options_);
    if (now == stamps_ || now == failed_stamps_) return Status();
    options = options_;
  }
  Status st = apply(options);
  (st ? reloads_ok : reloads_failed).fetch_add(1, std::memory_order_relaxed);
  if (!st) return std::move(st).with_context("listener \"" + name_ + "\"");
  return Status();
}

}  // namespace apigw::net
#endif
