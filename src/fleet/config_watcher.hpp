// ConfigWatcher: keeps a running gateway on the config a Redis key holds
// (`config_source`, SPEC.md section 2). Used by `apigw run`.
//
// "Announce, then fetch" (as Kong's and Envoy's control planes do): a
// message on the channel only says that the key changed; the watcher GETs
// the key and applies the document through the same path as PUT /config
// (loaded against the running config, validated, Gateway::reload). Pub/sub
// carries no large payloads, and an instance that missed messages (it
// started later, or Redis was away) still converges, because it reads the
// key itself: before the gateway starts, after every (re)subscription and
// on refresh() (SIGHUP).
//
// A missing key keeps the running config (the local file's at start). A
// document that does not load or that reload() refuses is logged, counted
// as a failed reload (apigw_config_reloads_total{result="error"}) and the
// running config keeps serving. A document whose checksum is the running
// one's is not applied again, so its version does not move.
//
// The subscription runs on a thread of its own with its own libuv loop,
// never on a worker's: one connection SUBSCRIBEd, one for GET and a PING
// every few seconds (a Redis that stops answering is noticed within
// timeout_ms). A lost, refused or late connection drops both and they are
// made again with backoff (50 ms, doubling to 2 s).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "apigw/gateway.hpp"

namespace apigw::fleet {

enum class LogLevel { kError, kWarn, kInfo, kDebug };
using LogFunction = std::function<void(LogLevel, const std::string&)>;  // called from any thread

class KeySubscriber;

class ConfigWatcher {
 public:
  ConfigWatcher(Gateway& gw, ConfigSourceOptions options, LogFunction log);
  ~ConfigWatcher();  // stop()
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

  // Before the gateway starts: one blocking GET (bounded by timeout_ms),
  // applied when the key holds a valid config.
  void load_initial();
  // Starts the subscriber thread.
  Status start();
  // Reads the key again (SIGHUP). Any thread.
  void refresh();
  // Stops and joins the subscriber thread. Any thread but that one.
  void stop();


 private:
  Gateway& gw_;
  ConfigSourceOptions options_;
  LogFunction log_;
  std::unique_ptr<KeySubscriber> subscriber_;
  bool missing_reported_ = false;  // the subscriber's thread only, once started
};

// Applies one document read from `key` the way the watcher does (above).
// Returns true when the gateway now runs it (applied, or already running).
bool apply_config_document(Gateway& gw, std::string_view document, const std::string& key, const LogFunction& log);

}  // namespace apigw::fleet
