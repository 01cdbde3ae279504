// The gateway's threads start with every signal blocked, so a process
// signal reaches the host's own handling thread, never a worker, the log
// writer or the span exporter (where SIGHUP's default action would end the
// process).
#include <doctest/doctest.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <dirent.h>
#include <fstream>
#include <set>
#include <string>

#include "apigw/gateway.hpp"

namespace {

std::set<std::string> threads_of_this_process() {
  std::set<std::string> out;
  DIR* d = opendir("/proc/self/task");
  REQUIRE(d != nullptr);
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') out.insert(e->d_name);
  closedir(d);
  return out;
}

// The SigBlk mask of a thread of this process.
uint64_t blocked_signals(const std::string& tid) {
  std::ifstream status("/proc/self/task/" + tid + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("SigBlk:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  return 0;
}

bool blocks(uint64_t mask, int signal) { return (mask >> (signal - 1)) & 1; }

}  // namespace

TEST_CASE("background threads: workers, the access log writer and the span exporter block every signal") {
  std::set<std::string> before = threads_of_this_process();
  apigw::GatewayBuilder b;
  apigw::RouteOptions r;
  r.name = "hello";
  r.match.path = "/";
  r.respond = apigw::StaticResponse{200, {}, "hi"};
  apigw::AccessLogOptions log;
  log.path = "/dev/null";
  apigw::TracingOptions tracing;
  tracing.otlp_endpoint = "http://127.0.0.1:9/v1/traces";
  b.listener({"l", "127.0.0.1:0"}).route(r).workers(2).access_log(log).tracing(tracing);
  auto gw = b.build();
  REQUIRE_MESSAGE(gw, gw.status().to_string());
  REQUIRE(gw.value()->start());
  int checked = 0;
  for (const std::string& tid : threads_of_this_process()) {
    if (before.count(tid)) continue;
    uint64_t mask = blocked_signals(tid);
    for (int s : {SIGHUP, SIGTERM, SIGINT, SIGUSR1}) CHECK_MESSAGE(blocks(mask, s), "thread " << tid << " signal " << s);
    ++checked;
  }
  CHECK(checked >= 4);  // 2 workers, the log writer, the exporter
  CHECK_FALSE(blocks(blocked_signals(std::to_string(gettid())), SIGHUP));  // the host's thread is left alone
  gw.value()->stop();
}
