#include "store/redis_scripts.hpp"

namespace apigw::store {
namespace {

// GCRA over one key. ARGV: interval (µs), capacity (limit + burst).
// Returns {allowed, remaining, retry_after_us, reset_us}. The TAT is kept as
// a decimal integer of µs ('%.0f': Lua's default formatting would round it)
// and expires once the bucket is full again.
constexpr std::string_view kGcra = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
local base = math.max(tat, now)
local new_tat = base + interval
local horizon = capacity * interval
if new_tat - now <= horizon then
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1)
  return {1, math.floor((horizon - (new_tat - now)) / interval), 0, new_tat - now}
end
return {0, 0, new_tat - now - horizon, base - now}
)lua";

// A fixed-window quota. KEYS[1] is the window's counter; ARGV: limit, the
// window's end (Unix seconds, UTC). Returns {allowed, remaining, reset_s}.
constexpr std::string_view kQuota = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1])
local limit = tonumber(ARGV[1])
local reset = tonumber(ARGV[2]) - now
if reset < 1 then reset = 1 end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= limit then return {0, 0, reset} end
used = redis.call('INCR', KEYS[1])
if used == 1 then redis.call('EXPIRE', KEYS[1], reset + 60) end
return {1, limit - used, reset}
)lua";

}  // namespace

std::string_view script_text(Script s) noexcept {
  switch (s) {
    case Script::kGcra: return kGcra;
    case Script::kQuota: return kQuota;
    case Script::kCount: break;
  }
  return {};
}

}  // namespace apigw::store
