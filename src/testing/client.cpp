#include "apigw/testing.hpp"

#include <charconv>

#include "testing/memory_transport.hpp"

namespace apigw::testing {

struct Client::Impl {
  explicit Impl(std::shared_ptr<const Snapshot> s) : worker(std::move(s)) {}
  MemoryWorker worker;
  bool closed = false;
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Result<Client> Client::create(const GatewayBuilder& builder) {
  auto snap = Snapshot::compile(builder, 1);
  if (!snap) return snap.status();
  return Client(std::make_unique<Impl>(std::move(snap.value())));
}

std::string ClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return "";
}

std::string Client::raw(std::string_view bytes, std::chrono::milliseconds wait) {
  MemoryTransport t;
  impl_->worker.run_connection(bytes, t, wait.count());
  impl_->closed = t.closed;
  return std::move(t.output);
}

bool Client::closed() const noexcept { return impl_->closed; }

ClientResponse Client::request(std::string_view method, std::string_view path,
                               std::vector<std::pair<std::string, std::string>> headers, std::string_view body) {
  std::string req;
  req.append(method).append(" ").append(path).append(" HTTP/1.1\r\n");
  bool has_host = false;
  for (const auto& [k, v] : headers) {
    if (iequals(k, "host")) has_host = true;
    req.append(k).append(": ").append(v).append("\r\n");
  }
  if (!has_host) req.append("host: localhost\r\n");
  if (!body.empty()) req.append("content-length: ").append(std::to_string(body.size())).append("\r\n");
  req.append("\r\n").append(body);
  return parse(raw(req));
}

ClientResponse Client::get(std::string_view path, std::vector<std::pair<std::string, std::string>> headers) {
  return request("GET", path, std::move(headers));
}

ClientResponse Client::parse(std::string_view bytes) {
  ClientResponse r;
  size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos || bytes.substr(0, 9).substr(0, 5) != "HTTP/" || bytes.size() < 12) return r;
  std::string_view head = bytes.substr(0, end);
  std::string_view code = bytes.substr(9, 3);
  int status = 0;
  std::from_chars(code.data(), code.data() + code.size(), status);
  size_t line_end = head.find("\r\n");
  size_t length = 0;
  bool chunked = false;
  while (line_end != std::string_view::npos) {
    size_t next = head.find("\r\n", line_end + 2);
    std::string_view line = head.substr(line_end + 2, next == std::string_view::npos ? head.npos : next - line_end - 2);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
      if (iequals(line.substr(0, colon), "content-length"))
        std::from_chars(value.data(), value.data() + value.size(), length);
      if (iequals(line.substr(0, colon), "transfer-encoding") && iequals(value, "chunked")) chunked = true;
    }
    line_end = next;
  }
  std::string_view body = bytes.substr(end + 4);
  if (chunked) {
    // Sizes in hex, each chunk followed by CRLF, a zero-size chunk last.
    for (;;) {
      size_t eol = body.find("\r\n");
      if (eol == std::string_view::npos) return r;
      size_t size = 0;
      std::from_chars(body.data(), body.data() + eol, size, 16);
      if (body.size() < eol + 2 + size + 2) return r;
      if (size == 0) break;
      r.body.append(body.substr(eol + 2, size));
      body.remove_prefix(eol + 2 + size + 2);
    }
    r.status = status;
    return r;
  }
  if (body.size() < length) return r;  // incomplete
  r.body = std::string(body.substr(0, length));
  r.status = status;
  return r;
}

}  // namespace apigw::testing
