#include "upstream/target_address.hpp"

#include <netdb.h>

#include <cstring>

#include "net/listen_socket.hpp"

namespace apigw::upstream {

TargetAddress::TargetAddress(std::string target) : target_(std::move(target)) {
  sockaddr_storage ss;
  if (net::parse_address(target_, &ss).is_ok()) {
    address_ = ss;
    resolved_ = true;
    return;
  }
  size_t colon = target_.rfind(':');
  is_name_ = colon != std::string::npos;
  host_ = target_.substr(0, colon);
  port_ = colon == std::string::npos ? "" : target_.substr(colon + 1);
}

bool TargetAddress::resolved() const {
  std::lock_guard<std::mutex> lock(mu_);
  return resolved_;
}

Status TargetAddress::resolve_now() {
  if (!is_name_) {
    if (resolved()) return Status();
    return Status(Code::kInvalidArgument, "target \"" + target_ + "\": expected HOST:PORT");
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host_.c_str(), port_.c_str(), &hints, &res); rc != 0 || !res)
    return Status(Code::kUnavailable, "target \"" + target_ + "\": cannot resolve: " + gai_strerror(rc));
  sockaddr_storage ss{};
  std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  set(ss);
  return Status();
}

sockaddr_storage TargetAddress::get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return address_;
}

void TargetAddress::set(const sockaddr_storage& address) {
  std::lock_guard<std::mutex> lock(mu_);
  address_ = address;
  resolved_ = true;
}

}  // namespace apigw::upstream
