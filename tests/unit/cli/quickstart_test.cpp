#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "cli/quickstart.hpp"
#include "config/config_loader.hpp"

TEST_CASE("cli: the built-in quickstart config is valid and equals examples/quickstart.json") {
  auto r = apigw::config::load(apigw::cli::kQuickstartConfig);
  for (const auto& e : r.errors) FAIL_CHECK(e.to_string());
  CHECK(r.builder.validate());
  std::ifstream in(std::string(APIGW_SOURCE_DIR) + "/examples/quickstart.json");
  std::stringstream file;
  file << in.rdbuf();
  CHECK(file.str() == std::string(apigw::cli::kQuickstartConfig) + "\n");
}
