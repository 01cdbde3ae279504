#include "net/listen_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace apigw::net {

Status parse_address(std::string_view text, sockaddr_storage* out) {
  auto bad = [&](const char* why) {
    return Status(Code::kInvalidArgument, "address \"" + std::string(text) + "\": " + why);
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("expected IP:PORT");
  std::string_view host = text.substr(0, colon), port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (r.ec != std::errc() || r.ptr != port_text.data() + port_text.size() || port > 65535)
    return bad("invalid port");
  std::memset(out, 0, sizeof *out);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    std::string h(host.substr(1, host.size() - 2));
    auto* a = reinterpret_cast<sockaddr_in6*>(out);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, h.c_str(), &a->sin6_addr) != 1) return bad("invalid IPv6 address");
    return Status();
  }
  std::string h(host);
  auto* a = reinterpret_cast<sockaddr_in*>(out);
  a->sin_family = AF_INET;
  a->sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, h.c_str(), &a->sin_addr) != 1) return bad("invalid IPv4 address");
  return Status();
}

std::string socket_address(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char ip[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    return "[" + std::string(ip) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&ss);
  inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(a->sin_port));
}

void close_fds(std::vector<int>& fds) {
  for (int fd : fds) ::close(fd);
  fds.clear();
}

namespace {

socklen_t addr_len(const sockaddr_storage& ss) {
  return ss.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

void set_port(sockaddr_storage& ss, uint16_t port) {
  if (ss.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(port);
  else reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(port);
}

uint16_t get_port(const sockaddr_storage& ss) {
  return ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port
                                        : reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
}

Result<int> open_one(const sockaddr_storage& ss, bool reuseport, std::string_view address) {
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status(Code::kInternal, "socket(): " + std::string(std::strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), addr_len(ss)) != 0) {
    int e = errno;
    ::close(fd);
    return Status(Code::kUnavailable, "cannot listen on " + std::string(address) + ": " + std::strerror(e));
  }
  return fd;
}

}  // namespace

Result<std::vector<int>> bind_listeners(std::string_view address, size_t count) {
  sockaddr_storage ss;
  if (Status st = parse_address(address, &ss); !st) return st;
  if (get_port(ss) != 0) {
    // Probe without SO_REUSEPORT: a port held by another process (even one
    // using SO_REUSEPORT itself) must be reported, not silently shared.
    auto probe = open_one(ss, false, address);
    if (!probe) return probe.status();
    ::close(probe.value());
  }
  std::vector<int> fds;
  for (size_t i = 0; i < count; ++i) {
    auto fd = open_one(ss, true, address);
    if (!fd) {
      close_fds(fds);
      return fd.status();
    }
    if (i == 0 && get_port(ss) == 0) {
      // Port 0: the first socket picks the port, the others join it.
      sockaddr_storage bound;
      socklen_t len = sizeof bound;
      getsockname(fd.value(), reinterpret_cast<sockaddr*>(&bound), &len);
      set_port(ss, get_port(bound));
    }
    if (::listen(fd.value(), 1024) != 0) {
      int e = errno;
      ::close(fd.value());
      close_fds(fds);
      return Status(Code::kUnavailable, "cannot listen on " + std::string(address) + ": " + std::strerror(e));
    }
    fds.push_back(fd.value());
  }
  return fds;
}

}  // namespace apigw::net
