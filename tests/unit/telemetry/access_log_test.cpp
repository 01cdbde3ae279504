#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "telemetry/access_log.hpp"

using apigw::telemetry::AccessLogWriter;
using apigw::telemetry::AccessRecord;
using apigw::telemetry::append_access_line;

TEST_CASE("access log: one JSON object per line with every field of SPEC.md") {
  AccessRecord r;
  r.wall_ns = 1'796'033'267'123'456'789;  // 2026-11-30T10:07:47.123Z
  r.request_id = "rid-1";
  r.route = "users";
  r.method = "GET";
  r.path = "/v1/users/42";
  r.status = 200;
  r.bytes_in = 78;
  r.bytes_out = 141;
  r.duration_ms = 1.2345;
  r.upstream_ms = 0.5;
  r.upstream_target = "127.0.0.1:9001";
  r.consumer = "acme";
  r.client_ip = "127.0.0.1";
  std::string line;
  apigw::telemetry::SecondText second;
  append_access_line(line, r, second);
  CHECK(line ==
        "{\"ts\":\"2026-11-30T10:07:47.123Z\",\"request_id\":\"rid-1\",\"trace_id\":\"\",\"route\":\"users\","
        "\"method\":\"GET\",\"path\":\"/v1/users/42\",\"status\":200,\"bytes_in\":78,\"bytes_out\":141,"
        "\"duration_ms\":1.235,\"upstream_ms\":0.500,\"upstream_target\":\"127.0.0.1:9001\",\"consumer\":\"acme\","
        "\"client_ip\":\"127.0.0.1\",\"error\":\"\"}\n");
}

TEST_CASE("access log: hostile paths stay one valid JSON line") {
  AccessRecord r;
  r.path = std::string_view("/a\"b\\c\n\x01\xff\xc3\xa9", 11);  // quote, backslash, LF, control, bad UTF-8, é
  r.error = "route_not_found";
  std::string line;
  apigw::telemetry::SecondText second;
  append_access_line(line, r, second);
  CHECK(line.find("\"path\":\"/a\\\"b\\\\c\\n\\u0001\\ufffd\xc3\xa9\"") != std::string::npos);
  CHECK(line.find("\"upstream_ms\":null") != std::string::npos);  // no upstream was tried
  CHECK(line.find("\"error\":\"route_not_found\"") != std::string::npos);
  CHECK(line.find('\n') == line.size() - 1);
}

TEST_CASE("access log: a writer that cannot keep up drops lines and counts them") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  apigw::AccessLogOptions options;
  options.path = "/proc/self/fd/" + std::to_string(fds[1]);  // a pipe nobody reads yet: writes block
  options.max_queued_bytes = 64 * 1024;
  auto writer = AccessLogWriter::open(options);
  REQUIRE(writer);
  std::string batch(16 * 1024, 'x');
  batch.back() = '\n';
  uint64_t handed = 0;
  // The pipe takes 64 KiB, the queue 64 KiB more; then batches are dropped.
  for (int i = 0; i < 40; ++i) {
    std::string b = batch;
    (void)writer.value()->hand_off(std::move(b), 1);
    ++handed;
  }
  CHECK(writer.value()->dropped_lines() > 0);
  // Drain the pipe so that the writer can finish what it queued.
  int flags = ::fcntl(fds[0], F_GETFL);
  ::fcntl(fds[0], F_SETFL, flags | O_NONBLOCK);
  std::string sink(1 << 16, '\0');
  uint64_t read_bytes = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (writer.value()->written_lines() + writer.value()->dropped_lines() < handed &&
         std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::read(fds[0], sink.data(), sink.size());
    if (n > 0) read_bytes += static_cast<uint64_t>(n);
  }
  CHECK(writer.value()->written_lines() + writer.value()->dropped_lines() == handed);
  uint64_t written = writer.value()->written_lines();
  writer.value().reset();
  for (ssize_t n; (n = ::read(fds[0], sink.data(), sink.size())) > 0;) read_bytes += static_cast<uint64_t>(n);
  CHECK(read_bytes == written * batch.size());  // whole batches, nothing torn
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("access log: a file that cannot be opened is a clear error") {
  apigw::AccessLogOptions options;
  options.path = "/nonexistent-dir/access.log";
  auto writer = AccessLogWriter::open(options);
  REQUIRE_FALSE(writer);
  CHECK(std::string(writer.status().message()).find("cannot open access log") != std::string::npos);
}
