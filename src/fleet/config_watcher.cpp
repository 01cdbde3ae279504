#ifdef APIGW_WITH_REDIS
#include "fleet/config_watcher.hpp"

#include "admin/config_document.hpp"
#include "admin/control_routes.hpp"
#include "core/builder_state.hpp"
#include "fleet/blocking_redis.hpp"
#include "fleet/key_subscriber.hpp"

namespace apigw::fleet {

bool apply_config_document(Gateway& gw, std::string_view document, const std::string& key, const LogFunction& log) {
  const std::string sum = admin::checksum(document);
  const std::string from = "config from redis key " + key + " (checksum " + sum + ")";
  if (sum == admin::checksum(gw.running_config().state().document)) {
    log(LogLevel::kDebug, from + " is running already");
    return true;
  }
  config::LoadResult r = admin::load_replacement_config(gw, document);
  if (!r.ok()) {
    gw.count_failed_reload();
    for (const auto& e : r.errors) log(LogLevel::kError, from + " refused: " + e.to_string());
    return false;
  }
  if (Status st = gw.reload(r.builder); !st) {  // counted as failed by reload()
    log(LogLevel::kError, from + " refused: " + std::string(st.message()));
    return false;
  }
  log(LogLevel::kInfo, from + " applied as version " + std::to_string(gw.config_version()));
  return true;
}

ConfigWatcher::ConfigWatcher(Gateway& gw, ConfigSourceOptions options, LogFunction log)
    : gw_(gw), options_(std::move(options)), log_(std::move(log)) {}

ConfigWatcher::~ConfigWatcher() { stop(); }

void ConfigWatcher::load_initial() {
  const std::string keeping = "; starting on the local config file's config";
  auto redis = BlockingRedis::connect(options_.redis);
  if (!redis) return log_(LogLevel::kWarn, "config_source: " + std::string(redis.status().message()) + keeping);
  auto value = redis.value()->get(options_.key);
  if (!value) return log_(LogLevel::kWarn, "config_source: " + std::string(value.status().message()) + keeping);
  if (!value.value()) {
    missing_reported_ = true;
    return log_(LogLevel::kWarn, "config_source: redis key " + options_.key + " is missing" + keeping);
  }
  if (!apply_config_document(gw_, *value.value(), options_.key, log_))
    log_(LogLevel::kWarn, "config_source: the config in redis key " + options_.key + " was refused" + keeping);
}

Status ConfigWatcher::start() {
  auto on_value = [this](std::optional<std::string> document) {
    if (document) {
      missing_reported_ = false;
      apply_config_document(gw_, *document, options_.key, log_);
    } else if (!missing_reported_) {  // once, not on every reconnection
      missing_reported_ = true;
      log_(LogLevel::kWarn,
           "config_source: redis key " + options_.key + " is missing; the running config keeps serving");
    }
  };
  subscriber_ = std::make_unique<KeySubscriber>(options_, on_value, log_);
  return subscriber_->start();
}

void ConfigWatcher::refresh() {
  if (subscriber_) subscriber_->refresh();
}

void ConfigWatcher::stop() {
  if (subscriber_) subscriber_->stop();
}

}  // namespace apigw::fleet
#endif  // APIGW_WITH_REDIS
