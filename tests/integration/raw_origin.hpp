// RawOrigin: a loopback origin on its own thread that answers every request
// head it reads with canned bytes. It counts connections and requests, and
// can misbehave on purpose (close mid-body, never answer).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apigw/gateway.hpp"

namespace apigw::test {

// A listening socket on 127.0.0.1 with a free port (written to *port).
inline int listen_loopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::listen(fd, 256);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// A loopback address where connections are refused: the port is bound (so
// no other socket, the gateway's included, can take it while the test runs)
// but nothing listens on it.
class RefusedPort {
 public:
  RefusedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    address_ = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  }
  ~RefusedPort() { ::close(fd_); }
  RefusedPort(const RefusedPort&) = delete;
  RefusedPort& operator=(const RefusedPort&) = delete;
  const std::string& address() const { return address_; }

 private:
  int fd_;
  std::string address_;
};

class RawOrigin {
 public:
  // `answer` gets the request head and returns the bytes to send; `close_after` closes the connection after them.
  using Answer = std::function<std::string(const std::string& head, bool* close_after)>;

  explicit RawOrigin(Answer answer) : answer_(std::move(answer)) {
    listen_fd_ = listen_loopback(&port_);
    ::pipe(stop_pipe_);
    thread_ = std::thread([this] { loop(); });
  }
  ~RawOrigin() {
    char c = 1;
    (void)!::write(stop_pipe_[1], &c, 1);
    thread_.join();
    ::close(listen_fd_);
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }
  std::string last_head() {
    std::lock_guard<std::mutex> l(mu_);
    return last_head_;
  }
  std::string last_body() {
    std::lock_guard<std::mutex> l(mu_);
    return last_body_;
  }

 private:
  void loop() {
    std::map<int, std::string> bufs;
    for (;;) {
      std::vector<pollfd> fds{{stop_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      for (auto& [fd, _] : bufs) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 1000) < 0) continue;
      if (fds[0].revents) break;
      if (fds[1].revents & POLLIN) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          bufs[fd];
          ++connections_;
        }
      }
      for (size_t i = 2; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        int fd = fds[i].fd;
        char tmp[65536];
        ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) {
          ::close(fd);
          bufs.erase(fd);
          continue;
        }
        std::string& b = bufs[fd];
        b.append(tmp, static_cast<size_t>(n));
        size_t end;
        bool closed = false;
        while ((end = b.find("\r\n\r\n")) != std::string::npos) {
          std::string head = b.substr(0, end + 4);
          size_t body = 0;
          size_t cl = head.find("content-length: ");
          if (cl != std::string::npos) body = std::stoul(head.substr(cl + 16));
          if (b.size() < end + 4 + body) break;
          {
            std::lock_guard<std::mutex> l(mu_);
            last_head_ = head;
            last_body_ = b.substr(end + 4, body);
          }
          b.erase(0, end + 4 + body);
          ++requests_;
          bool close_after = false;
          std::string out = answer_(head, &close_after);
          size_t off = 0;
          while (off < out.size()) {
            ssize_t w = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
            if (w <= 0) break;
            off += static_cast<size_t>(w);
          }
          if (close_after) {
            ::close(fd);
            closed = true;
            break;
          }
        }
        if (closed) bufs.erase(fd);
      }
    }
    for (auto& [fd, _] : bufs) ::close(fd);
  }

  Answer answer_;
  int listen_fd_;
  int stop_pipe_[2];
  uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::string last_head_;
  std::string last_body_;
  std::thread thread_;
};

// A route sending every path to `upstream`.
inline apigw::RouteOptions catch_all(const std::string& upstream) {
  apigw::RouteOptions r;
  r.name = "all";
  r.match.path_prefix = "/";
  r.upstream = upstream;
  return r;
}

inline std::string ok_response(std::string_view body, std::string_view extra = "") {
  return "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(body.size()) + "\r\n" + std::string(extra) +
         "\r\n" + std::string(body);
}

}  // namespace apigw::test
