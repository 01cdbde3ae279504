// Listening sockets: address parsing and SO_REUSEPORT binding.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

#include "apigw/status.hpp"

namespace apigw::net {

// Parses "IP:PORT" or "[IPv6]:PORT".
Status parse_address(std::string_view text, sockaddr_storage* out);

// "127.0.0.1:8080" / "[::1]:8080" for a bound socket.
std::string socket_address(int fd);

// `count` listening sockets on one address, one per worker (SO_REUSEPORT,
// so the kernel spreads connections). A busy address fails with a message
// that names it, even when the holder also uses SO_REUSEPORT.
Result<std::vector<int>> bind_listeners(std::string_view address, size_t count);

void close_fds(std::vector<int>& fds);

}  // namespace apigw::net
