// The apigw executable (SPEC.md section 1): run | validate | push | version.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "apigw/apigw.h"
#include "apigw/gateway.hpp"
#include "cli/push.hpp"
#include "cli/quickstart.hpp"
#include "config/config_loader.hpp"
#include "config/secrets.hpp"
#include "core/builder_state.hpp"
#include "fleet/config_watcher.hpp"

namespace {

enum Exit { kOk = 0, kInvalid = 1, kRuntime = 2 };

enum class Level { kError, kWarn, kInfo, kDebug };
Level g_level = Level::kInfo;

void log(Level level, const std::string& line) {
  if (level > g_level) return;
  std::fprintf(stderr, "apigw: %s\n", line.c_str());
}

void usage() {
  std::fprintf(stderr,
               "usage: apigw run [--config FILE] [--workers N] [--log-level error|warn|info|debug]\n"
               "       apigw validate --config FILE\n"
               "       apigw push --config FILE --redis HOST:PORT [--key KEY] [--channel CHANNEL] [--password P]\n"
               "       apigw version\n");
}

struct Args {
  std::string command, config;
  int workers = 0;
  apigw::cli::PushTarget push;  // push's --redis, --key, --channel, --password
  bool ok = true;
};

Args parse_args(int argc, char** argv) {
  Args a;
  if (argc < 2) {
    a.ok = false;
    return a;
  }
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        a.ok = false;
        return "";
      }
      return argv[++i];
    };
    if (k == "--config") {
      a.config = value();
    } else if (k == "--redis") {
      a.push.address = value();
    } else if (k == "--key") {
      a.push.key = value();
    } else if (k == "--channel") {
      a.push.channel = value();
    } else if (k == "--password") {
      a.push.password = value();
    } else if (k == "--workers") {
      char* end = nullptr;
      std::string v = value();
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 1 || n > 256) {
        std::fprintf(stderr, "apigw: --workers must be 1..256\n");
        a.ok = false;
      }
      a.workers = static_cast<int>(n);
    } else if (k == "--log-level") {
      std::string v = value();
      if (v == "error") g_level = Level::kError;
      else if (v == "warn") g_level = Level::kWarn;
      else if (v == "info") g_level = Level::kInfo;
      else if (v == "debug") g_level = Level::kDebug;
      else {
        std::fprintf(stderr, "apigw: --log-level must be error, warn, info or debug\n");
        a.ok = false;
      }
    } else {
      std::fprintf(stderr, "apigw: unknown option %s\n", k.c_str());
      a.ok = false;
    }
  }
  return a;
}

// The binary registers no handlers of its own: only the built-in ones exist,
// so an unknown handler name is a config error with its pointer.
const std::vector<std::string> kNoHostHandlers;

apigw::config::LoadResult load(const Args& a) {
  return a.config.empty() ? apigw::config::load(apigw::cli::kQuickstartConfig, ".", kNoHostHandlers)
                          : apigw::config::load_file(a.config, kNoHostHandlers);
}

void print_errors(const apigw::config::LoadResult& r) {
  for (const auto& e : r.errors) std::printf("%s\n", e.to_string().c_str());
}

// `apigw validate`'s checks, which `apigw push` makes too: every error
// printed as `POINTER: message`; true when the file is valid.
bool check_config_file(const std::string& path) {
  auto r = apigw::config::load_file(path, kNoHostHandlers);
  if (!r.ok()) {
    print_errors(r);
    return false;
  }
  if (apigw::Status st = r.builder.validate(); !st) {
    std::printf(": %s\n", std::string(st.message()).c_str());
    return false;
  }
  return true;
}

int cmd_validate(const Args& a) {
  if (a.config.empty()) {
    usage();
    return kInvalid;
  }
  if (!check_config_file(a.config)) return kInvalid;
  std::printf("%s: ok\n", a.config.c_str());
  return kOk;
}

int cmd_push(const Args& a) {
  if (a.config.empty() || a.push.address.empty() || a.push.key.empty() || a.push.channel.empty()) {
    usage();
    return kInvalid;
  }
  if (!check_config_file(a.config)) return kInvalid;
  std::string document;
  if (std::string why = apigw::config::read_file_to_string(a.config, &document, 64u << 20); !why.empty()) {
    std::fprintf(stderr, "apigw: push: cannot read %s: %s\n", a.config.c_str(), why.c_str());
    return kInvalid;
  }
  return apigw::cli::push_document(a.config, document, a.push);
}

#ifdef APIGW_WITH_REDIS
void fleet_log(apigw::fleet::LogLevel level, const std::string& line) {
  using apigw::fleet::LogLevel;
  log(level == LogLevel::kError  ? Level::kError
      : level == LogLevel::kWarn ? Level::kWarn
      : level == LogLevel::kInfo ? Level::kInfo
                                 : Level::kDebug,
      line);
}
#endif

int cmd_run(const Args& a) {
  // Signals are taken by this thread alone (sigwait), never by a worker or
  // a background thread: blocked before building the gateway starts any,
  // so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT, SIGUSR1}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto r = load(a);
  if (!r.ok()) {
    print_errors(r);
    return kInvalid;
  }
  if (a.workers > 0) r.builder.workers(static_cast<uint32_t>(a.workers));
  auto gw = r.builder.build();
  if (!gw) {
    log(Level::kError, "invalid config: " + std::string(gw.status().message()));
    return kInvalid;
  }

  // config_source: the key's config is in place before the first request.
  // (A build without Redis refuses config_source when loading: no watcher.)
#ifdef APIGW_WITH_REDIS
  std::unique_ptr<apigw::fleet::ConfigWatcher> watcher;
  if (const auto& source = r.builder.state().config_source) {
    watcher = std::make_unique<apigw::fleet::ConfigWatcher>(*gw.value(), *source, fleet_log);
    watcher->load_initial();
  }
#endif

  if (apigw::Status st = gw.value()->start(); !st) {
    log(Level::kError, std::string(st.message()));
    return kRuntime;
  }
#ifdef APIGW_WITH_REDIS
  if (watcher) {
    if (apigw::Status st = watcher->start(); !st) {
      log(Level::kError, std::string(st.message()));
      return kRuntime;
    }
  }
#endif
  auto addrs = gw.value()->bound_addresses();
  const auto& state = r.builder.state();
  for (size_t i = 0; i < addrs.size(); ++i) {
    bool admin = i >= state.listeners.size();
    std::string name = admin ? "admin" : state.listeners[i].name;
    const char* scheme = !admin && state.listeners[i].tls ? "https" : "http";
    std::printf("apigw %s: %s listening on %s://%s\n", apigw_version(), name.c_str(), scheme, addrs[i].c_str());
  }
  if (a.config.empty())
    std::printf("quickstart: try  curl http://127.0.0.1:8080/hello  or  curl http://127.0.0.1:8080/echo/hi\n");
  std::fflush(stdout);

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
#ifdef APIGW_WITH_REDIS
      if (watcher) {  // the fleet's config is the key's: the local file is only the fallback
        log(Level::kInfo, "SIGHUP: reading the config_source key again");
        watcher->refresh();
        continue;
      }
#endif
      if (a.config.empty()) {
        log(Level::kWarn, "SIGHUP: the quickstart has no config file to re-read");
        continue;
      }
      auto next = apigw::config::load_file(a.config, kNoHostHandlers);
      if (!next.ok()) {
        gw.value()->count_failed_reload();
        for (const auto& e : next.errors) log(Level::kError, "reload refused: " + e.to_string());
        continue;
      }
      if (a.workers > 0) next.builder.workers(static_cast<uint32_t>(a.workers));
      apigw::Status st = gw.value()->reload(next.builder);
      log(st ? Level::kInfo : Level::kError, st ? "config reloaded" : "reload refused: " + std::string(st.message()));
    } else if (sig == SIGUSR1) {
      gw.value()->reopen_access_log();  // after logrotate moved the file away
      log(Level::kInfo, "access log reopened");
    } else if (sig == SIGTERM || sig == SIGINT) {
      log(Level::kInfo, "draining");
#ifdef APIGW_WITH_REDIS
      if (watcher) watcher->stop();  // no reload while draining
#endif
      gw.value()->stop();
      log(Level::kInfo, "stopped");
      return kOk;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse_args(argc, argv);
  if (!a.ok) {
    usage();
    return kInvalid;
  }
  if (a.command == "version") {
    std::printf("apigw %s (abi %u.%u)\n", apigw_version(), apigw_abi_version() >> 16, apigw_abi_version() & 0xffff);
    return kOk;
  }
  if (a.command == "validate") return cmd_validate(a);
  if (a.command == "push") return cmd_push(a);
  if (a.command == "run") return cmd_run(a);
  usage();
  return kInvalid;
}
