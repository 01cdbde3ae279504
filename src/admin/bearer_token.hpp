// The admin API's guard: `Authorization: Bearer TOKEN`, compared in constant
// time; anything else is 401 with WWW-Authenticate.
#pragma once

#include <string>

#include "apigw/policy.hpp"

namespace apigw::admin {

PolicyPtr make_bearer_token(std::string token);

// Equality whose time depends only on the lengths, not on where bytes differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace apigw::admin
