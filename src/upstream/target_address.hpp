// TargetAddress: where one upstream target is reached.
//
// "IP:PORT" targets are fixed. "hostname:PORT" targets are resolved when the
// config loads and re-resolved in the background (TargetResolver); new
// connections use the latest address, open ones keep theirs. Shared by the
// workers; read only when a connection is opened, so a mutex is fine.
#pragma once

#include <sys/socket.h>

#include <mutex>
#include <string>

#include "apigw/status.hpp"

namespace apigw::upstream {

class TargetAddress {
 public:
  explicit TargetAddress(std::string target);

  const std::string& target() const noexcept { return target_; }
  bool is_name() const noexcept { return is_name_; }
  const std::string& host() const noexcept { return host_; }
  const std::string& port() const noexcept { return port_; }
  bool resolved() const;

  // Blocking (getaddrinfo): for config loading, never on a loop.
  Status resolve_now();
  sockaddr_storage get() const;
  void set(const sockaddr_storage& address);

 private:
  std::string target_, host_, port_;
  bool is_name_ = false;
  mutable std::mutex mu_;
  sockaddr_storage address_{};
  bool resolved_ = false;
};

}  // namespace apigw::upstream
