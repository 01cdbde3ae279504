// Fuzzes the JSON config loader: any bytes must give a result (errors or a
// builder), never a crash, a hang or a leak. Files named in *_file keys are
// looked up under a directory that does not exist, so the fuzzer reads nothing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  apigw::config::LoadResult result = apigw::config::load(json, "/nonexistent-apigw-fuzz");
  // Touch what was collected so the work is not optimised away.
  size_t n = result.errors.size();
  for (const auto& e : result.errors) n += e.to_string().size();
  return n == static_cast<size_t>(-1) ? 1 : 0;
}
