// json_redact: remove or mask values of a JSON document by JSON pointer,
// keeping every other byte of the document as it was.
//
// Pure (no gateway types), so that json_body's transform can be tested and
// fuzzed on its own. Pointers are RFC 6901 ("/a/b~1c/0", ~0 is "~" and ~1 is
// "/") with one extension: a segment "*" matches every element of an array
// and every member of an object. Every pointer is matched against the
// original document, so "/a/0" and "/a/1" remove its first two elements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace apigw::policy {

struct JsonPointerSegment {
  std::string key;         // unescaped
  int64_t index = -1;      // the array index `key` spells ("0", "12"), else -1
  bool any = false;        // "*"
};

struct JsonPointer {
  std::vector<JsonPointerSegment> segments;  // at least one
};

// Long enough for any real document; bounds the transform's recursion.
inline constexpr size_t kMaxJsonPointerSegments = 64;

// Parses `text` into `out`; "" on success, else why it is not a pointer the
// transform accepts ("" itself, the whole document, is refused).
std::string parse_json_pointer(std::string_view text, JsonPointer* out);

struct JsonRedactRules {
  std::vector<JsonPointer> remove;
  std::vector<JsonPointer> mask;  // the value becomes the string "***"
  bool empty() const noexcept { return remove.empty() && mask.empty(); }
};

enum class RedactResult : uint8_t {
  kUnchanged,  // no pointer matched
  kChanged,    // the new document is in `out`
  kMalformed,  // not JSON (or nested deeper than 1024 levels)
};

// Holds the parser and buffers between documents: reuse one per thread
// (not thread-safe).
class JsonRedactor {
 public:
  JsonRedactor();
  ~JsonRedactor();
  JsonRedactor(const JsonRedactor&) = delete;
  JsonRedactor& operator=(const JsonRedactor&) = delete;

  // Applies `rules` to `doc`. Where a value is both removed and masked, it
  // is removed. `out` is written only when the result is kChanged.
  RedactResult apply(std::string_view doc, const JsonRedactRules& rules, std::string* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace apigw::policy
