// cache_control: arbitrary bytes parse into directives without crashing;
// the list walk always ends and every element lies inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policy/cache_control.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace apigw::policy;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CacheControl cc;
  cc.parse(text);
  if (cc.max_age && *cc.max_age > 2147483648ull) std::abort();
  if (cc.s_maxage && *cc.s_maxage > 2147483648ull) std::abort();
  std::string_view rest = text, element;
  size_t steps = 0;
  while (next_list_element(rest, &element)) {
    if (element.empty() || element.data() < text.data() || element.data() + element.size() > text.data() + text.size())
      std::abort();
    if (++steps > size) std::abort();
  }
  return 0;
}
