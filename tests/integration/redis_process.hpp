// A real redis-server for integration tests, on a free loopback port, with
// no persistence; killed and reaped by the destructor. available() is false
// when redis-server is not installed (the test then skips its checks).
// Its log (stdout, redis's default) goes to a pipe read until "Ready to
// accept connections", then closed: redis ignores SIGPIPE, so its later
// lines are simply lost.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

extern char** environ;

namespace apigw::test {

class RedisProcess {
 public:
  RedisProcess() {
    port_ = free_port();
    std::string port = std::to_string(port_);
    const char* argv[] = {"redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", nullptr};
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (posix_spawnp(&pid_, "redis-server", &fa, nullptr, const_cast<char**>(argv), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    // Ready when it says so on standard output (EOF: it exited); bounded.
    std::string seen;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (pid_ > 0 && seen.find("Ready to accept connections") == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{out[0], POLLIN, 0};
      char buf[4096];
      ssize_t n = left.count() > 0 && ::poll(&p, 1, static_cast<int>(left.count())) > 0 ? ::read(out[0], buf, sizeof buf) : 0;
      if (n <= 0) break;
      seen.append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
    ready_ = seen.find("Ready to accept connections") != std::string::npos;
  }
  ~RedisProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  bool available() const { return ready_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }

  pid_t pid_ = -1;
  bool ready_ = false;
  int port_ = 0;
};

}  // namespace apigw::test
