// Fuzzes json_body's transform: pointers and a document from any bytes give
// a result, never a crash. Input: lines "rPOINTER" (remove) or "mPOINTER"
// (mask), an empty line, then the document. A changed document is JSON
// again (the same rules run on it without finding it malformed), removals
// only shrink it, and an unchanged or malformed one leaves `out` alone.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "policy/json_redact.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using apigw::policy::RedactResult;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find("\n\n");
  if (split == std::string_view::npos) split = 0;
  std::string_view header = input.substr(0, split);
  std::string_view doc = input.substr(split == 0 ? 0 : split + 2);

  apigw::policy::JsonRedactRules rules;
  while (!header.empty()) {
    size_t eol = header.find('\n');
    std::string_view line = header.substr(0, eol);
    header = eol == std::string_view::npos ? std::string_view() : header.substr(eol + 1);
    if (line.empty() || (line[0] != 'r' && line[0] != 'm')) continue;
    apigw::policy::JsonPointer p;
    if (!apigw::policy::parse_json_pointer(line.substr(1), &p).empty()) continue;
    if (p.segments.empty()) std::abort();
    (line[0] == 'r' ? rules.remove : rules.mask).push_back(std::move(p));
  }

  thread_local apigw::policy::JsonRedactor redactor;
  std::string out = "sentinel";
  RedactResult r = redactor.apply(doc, rules, &out);
  if (r != RedactResult::kChanged) {
    if (out != "sentinel") std::abort();
    return 0;
  }
  if (rules.mask.empty() && out.size() >= doc.size()) std::abort();
  std::string again;
  if (redactor.apply(out, rules, &again) == RedactResult::kMalformed) std::abort();
  return 0;
}
