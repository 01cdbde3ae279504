// KeySubscriber: follows a Redis key whose changes are announced on a
// channel, on a thread of its own with its own libuv loop (hiredis async).
//
// Two connections: one SUBSCRIBEd to the channel, one for GET and PING.
// The key is read (GET) once the subscription is confirmed, on every
// message, and on refresh(); each read's result goes to `on_value` on the
// subscriber's thread: the value, or nullopt when the key does not exist.
// Reading after subscribing, not before, means no change can fall between
// the two: one made before the SUBSCRIBE is in the GET, one made after
// comes as a message.
//
// A PING goes out on the command connection every kPingEveryMs when idle;
// a reply (or a subscription confirmation) later than timeout_ms, a refused
// connection or a lost one drops both connections, and both are made again
// after a backoff of 50 ms doubling to 2 s (reset once subscribed).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "apigw/gateway.hpp"
#include "fleet/config_watcher.hpp"

namespace apigw::fleet {

class KeySubscriber {
 public:
  using OnValue = std::function<void(std::optional<std::string>)>;

  KeySubscriber(ConfigSourceOptions options, OnValue on_value, LogFunction log);
  ~KeySubscriber();  // stop()
  KeySubscriber(const KeySubscriber&) = delete;
  KeySubscriber& operator=(const KeySubscriber&) = delete;

  Status start();
  void refresh();  // any thread
  void stop();     // any thread but the subscriber's; joins it

  struct Loop;

 private:
  std::unique_ptr<Loop> loop_;
};

}  // namespace apigw::fleet
