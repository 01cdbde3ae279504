#include "core/placeholders.hpp"

namespace apigw {
namespace {

std::optional<std::string_view> lookup(std::string_view name, const Exchange& ex, bool exchange_values) {
  if (!name.empty() && name.front() == '*') name.remove_prefix(1);
  if (exchange_values && name == "consumer") return ex.consumer();
  if (exchange_values && name == "request_id") return ex.request_id();
  for (const auto& p : ex.params())
    if (p.name == name) return p.value;
  return std::nullopt;
}

}  // namespace

void expand_placeholders(std::pmr::string& out, std::string_view tmpl, const Exchange& ex, bool exchange_values,
                         bool keep_unknown) {
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t open = tmpl.find('{', i);
    size_t close = open == std::string_view::npos ? open : tmpl.find('}', open);
    if (close == std::string_view::npos) {
      out.append(tmpl.substr(i));
      return;
    }
    out.append(tmpl.substr(i, open - i));
    if (auto value = lookup(tmpl.substr(open + 1, close - open - 1), ex, exchange_values))
      out.append(*value);
    else if (keep_unknown)
      out.append(tmpl.substr(open, close - open + 1));
    i = close + 1;
  }
}

}  // namespace apigw
