// "{name}" placeholders in templates: a respond body, a header value, a
// rewrite path. One expansion for all of them, so they agree on the syntax.
#pragma once

#include <memory_resource>
#include <optional>
#include <string_view>

#include "apigw/exchange.hpp"

namespace apigw {

// Appends `tmpl` to `out` with each "{name}" (or "{*name}") replaced by the
// route's path parameter of that name, and, when `exchange_values`, also
// "{consumer}" and "{request_id}". Unknown names are kept as written, or
// dropped when `keep_unknown` is false.
void expand_placeholders(std::pmr::string& out, std::string_view tmpl, const Exchange& ex,
                         bool exchange_values = false, bool keep_unknown = true);

}  // namespace apigw
