#include "config/secrets.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace apigw::config {

std::string read_file_to_string(const std::string& path, std::string* out, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  out->clear();
  char buf[16384];
  std::string why;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = std::strerror(errno);
      break;
    }
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > max_bytes) {
      why = "larger than " + std::to_string(max_bytes) + " bytes";
      break;
    }
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return why;
}

std::string resolve_path(std::string_view base_dir, std::string_view path) {
  if (!path.empty() && path.front() == '/') return std::string(path);
  if (base_dir.empty()) return std::string(path);
  std::string out(base_dir);
  if (out.back() != '/') out += '/';
  return out.append(path);
}

std::optional<std::string> read_secret(ObjectReader& o, std::string_view key, std::string_view base_dir,
                                       bool* given) {
  constexpr size_t kMaxSecretFile = 1 << 20;
  const std::string env_key = std::string(key) + "_env";
  const std::string file_key = std::string(key) + "_file";
  auto inline_value = o.string(key);
  auto env_name = o.string(env_key);
  auto file_name = o.string(file_key);
  int count = o.has(key) + o.has(env_key) + o.has(file_key);
  if (given) *given = count > 0;
  if (count > 1) {
    o.errors().add(o.pointer(), "give only one of " + quote(key) + ", " + quote(env_key) + ", " + quote(file_key));
    return std::nullopt;
  }
  if (inline_value) {
    if (inline_value->empty()) o.errors().add(o.child(key), "must not be empty");
    return inline_value->empty() ? std::nullopt : inline_value;
  }
  if (env_name) {
    // A NUL inside the name would make getenv() look up a different variable.
    const char* v = env_name->empty() || env_name->find('\0') != std::string::npos
                        ? nullptr
                        : std::getenv(env_name->c_str());
    if (!v || !*v) {
      o.errors().add(o.child(env_key), "environment variable " + quote(*env_name) + " is not set or empty");
      return std::nullopt;
    }
    return std::string(v);
  }
  if (file_name) {
    std::string path = resolve_path(base_dir, *file_name);
    std::string content;
    std::string why = file_name->find('\0') != std::string::npos
                          ? "invalid path"
                          : read_file_to_string(path, &content, kMaxSecretFile);
    if (!why.empty()) {
      o.errors().add(o.child(file_key), "cannot read " + quote(path) + ": " + why);
      return std::nullopt;
    }
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
    if (content.empty()) {
      o.errors().add(o.child(file_key), quote(path) + " is empty");
      return std::nullopt;
    }
    return content;
  }
  return std::nullopt;
}

}  // namespace apigw::config
