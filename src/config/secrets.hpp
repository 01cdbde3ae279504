// Secrets given inline, as `<key>_env` (an environment variable) or as
// `<key>_file` (a file, relative to the config file's directory).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/reader.hpp"

namespace apigw::config {

// Reads at most `max_bytes` of `path` into *out; "" on success, else why not.
std::string read_file_to_string(const std::string& path, std::string* out, size_t max_bytes);

// `path` if absolute, else `base_dir`/`path`.
std::string resolve_path(std::string_view base_dir, std::string_view path);

// Reads `key`, `key_env` or `key_file` from `o` (at most one of them).
// Sets *given when any of them is present; nullopt when none is or on error.
std::optional<std::string> read_secret(ObjectReader& o, std::string_view key, std::string_view base_dir,
                                       bool* given);

}  // namespace apigw::config
