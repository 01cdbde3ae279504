// The Lua scripts shared stores run in Redis: each decision is one script,
// atomic on the server, timed by the server's clock (TIME) so that the
// gateways' clocks do not matter.
#pragma once

#include <string_view>

namespace apigw::store {

enum class Script : uint8_t { kGcra, kQuota, kCount };

// The script's text (EVAL, SCRIPT LOAD).
std::string_view script_text(Script s) noexcept;

}  // namespace apigw::store
