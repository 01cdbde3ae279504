// The running config as the admin API shows it: the JSON document it was
// loaded from, with secrets redacted, and a checksum to compare instances.
#pragma once

#include <string>
#include <string_view>

namespace apigw::admin {

// FNV-1a (64 bits) of the document as 16 hex digits. Equal documents give
// equal checksums, so a fleet shows when it has converged; not a MAC.
std::string checksum(std::string_view document);

// The document re-serialised (compact) with the values of secret keys
// (token, password, secret, api_keys, private_key, key_password) replaced by
// "[redacted]" (an object under such a key as a whole; an array element by element).
// *_env and *_file keys name where a secret lives, not the secret: kept.
// A document that does not parse gives "null".
std::string redact(std::string_view document);

}  // namespace apigw::admin
