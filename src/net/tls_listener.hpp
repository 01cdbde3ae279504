// TlsListener: a TLS listener's running state, shared by every worker.
//
// The current context (certificates, settings) sits behind an atomic
// shared_ptr: a reload, or a certificate changed on disk, swaps in a new one
// for new handshakes while open connections keep theirs. Handshake failures
// are counted here, by reason.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "apigw/status.hpp"
#include "apigw/tls.hpp"
#include "net/tls_failures.hpp"
#include "net/tls_server_context.hpp"

namespace apigw::net {

#if APIGW_WITH_TLS

class TlsListener {
 public:
  static Result<std::unique_ptr<TlsListener>> create(std::string name, const ListenerTlsOptions& options);

  // The context for a handshake starting now (any thread).
  std::shared_ptr<const TlsServerContext> current() const { return current_.load(std::memory_order_acquire); }
  const std::string& name() const { return name_; }
  TlsFailureCounts& failures() { return failures_; }
  // Certificate reloads (config reload or files changed), by result.
  std::atomic<uint64_t> reloads_ok{0};
  std::atomic<uint64_t> reloads_failed{0};
  uint32_t reload_check_ms() const;

  struct FileStamp {
    std::string path;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    int64_t mtime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };

  // A context built from new options, not in use yet: a config reload
  // prepares every listener first and commits only when all succeeded.
  struct Prepared {
    ListenerTlsOptions options;
    std::shared_ptr<const TlsServerContext> context;
    std::shared_ptr<TlsTicketKeys> tickets;
    std::vector<FileStamp> stamps;  // of the files as they were read
  };
  Result<Prepared> prepare(const ListenerTlsOptions& options);
  void commit(Prepared prepared);
  // prepare() and commit(); on error the old context stays.
  Status apply(const ListenerTlsOptions& options);
  // Reloads when a certificate, key or CA file changed since the last load
  // (size, mtime or inode). Returns the error of a failed reload, else OK.
  Status reload_if_changed();

 private:
  static std::vector<FileStamp> stamps(const ListenerTlsOptions& options);

  std::string name_;
  std::atomic<std::shared_ptr<const TlsServerContext>> current_;
  TlsFailureCounts failures_;
  std::mutex mu_;  // apply / reload_if_changed
  ListenerTlsOptions options_;
  std::vector<FileStamp> stamps_;
  std::vector<FileStamp> failed_stamps_;  // a broken change is reported once, not every check
  std::shared_ptr<TlsTicketKeys> tickets_;
};

#else

class TlsListener {};

#endif

}  // namespace apigw::net
