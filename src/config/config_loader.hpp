// The JSON config file as a front end to GatewayBuilder (SPEC.md section 2).
//
// Every error is reported, each with the JSON pointer of the value at fault,
// e.g. `/routes/2/upstream: unknown upstream "usres" (did you mean "users"?)`.
// Unknown keys are errors. Sections a build leaves out (Redis in the minimal
// preset) are refused with a "not in this build" error, never ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "apigw/gateway.hpp"

namespace apigw::config {

struct ConfigError {
  std::string pointer;  // RFC 6901, "" for the whole document
  std::string message;
  std::string to_string() const { return pointer + ": " + message; }
};

struct LoadResult {
  GatewayBuilder builder;
  std::vector<ConfigError> errors;  // empty when the config is valid
  bool ok() const { return errors.empty(); }
};

// Parses `json` and translates it into builder calls. `base_dir` resolves
// relative *_file paths. Never throws; never aborts. A route may name any
// handler: GatewayBuilder::validate checks it once the host registered them.
LoadResult load(std::string_view json, std::string_view base_dir = ".");

// The same, but a route naming a handler that is neither "echo" nor one of
// `known_handlers` is an error (with a suggestion), e.g. for `apigw validate`.
LoadResult load(std::string_view json, std::string_view base_dir,
                const std::vector<std::string>& known_handlers);

// For hosts that register policies of their own (the C ABI and the language
// bindings): as load(json, base_dir), and a route may also name a policy the
// document does not declare; GatewayBuilder::validate checks it once the
// host registered its policies. "config_source" is refused: only the apigw
// executable watches one.
LoadResult load_with_host_policies(std::string_view json, std::string_view base_dir = ".");

// Reads and loads a file; a file that cannot be read is one error with pointer "".
// Relative *_file paths resolve against the file's directory.
LoadResult load_file(const std::string& path);
LoadResult load_file(const std::string& path, const std::vector<std::string>& known_handlers);

}  // namespace apigw::config
