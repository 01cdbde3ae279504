// Fuzzes the CIDR and address parsers of ip_filter: any bytes give a result
// or an error, never a crash; a block that parses prints as text that parses
// back to the same block, and contains its own network address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policy/cidr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  apigw::policy::IpAddress ip;
  bool is_ip = apigw::policy::parse_ip(text, &ip);
  apigw::policy::Cidr c;
  if (apigw::policy::parse_cidr(text, &c).empty()) {
    apigw::policy::Cidr again;
    if (!apigw::policy::parse_cidr(c.to_string(), &again).empty() || again.network != c.network ||
        again.prefix != c.prefix)
      std::abort();
    if (!c.contains(apigw::policy::IpAddress{c.network})) std::abort();
    if (is_ip && !c.contains(ip)) std::abort();  // a bare address is its own /32 or /128
  }
  return 0;
}
