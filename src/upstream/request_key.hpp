// The part of a request that `hash_on` / `split_on` name, hashed: the same
// client, user or path lands on the same target or split side every time.
#pragma once

#include <cstdint>

#include "apigw/exchange.hpp"
#include "apigw/upstream.hpp"

namespace apigw::upstream {

uint64_t request_key_hash(const Request& r, const HashOn& on);

}  // namespace apigw::upstream
