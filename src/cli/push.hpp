// `apigw push` (SPEC.md section 1): publishes a config file to a fleet whose
// instances read their config from Redis (config_source).
#pragma once

#include <string>

#include "apigw/gateway.hpp"

namespace apigw::cli {

struct PushTarget {
  std::string address;  // HOST:PORT of Redis (a one-shot tool may resolve a name)
  std::string password;  // "" = no AUTH
  std::string key = "apigw:config";
  std::string channel = "apigw:config";
  uint32_t timeout_ms = 2000;  // connect and each command
};

// SETs `document` (the file's bytes, validated already) at the key, then
// PUBLISHes its checksum on the channel: "announce, then fetch", the
// instances GET the key. Prints the checksum and how many subscribers got
// the announcement. Returns 0, or 2 when Redis cannot be reached or refuses.
int push_document(const std::string& file, const std::string& document, const PushTarget& target);

}  // namespace apigw::cli
