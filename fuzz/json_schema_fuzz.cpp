// Fuzzes the schema policy's JSON Schema subset and its regexes: the input
// is a schema and a document separated by a line "--" (without one, the
// input is both). Any bytes give a compiled schema or errors, and a verdict,
// never a crash or a hang; verdicts are deterministic; a schema that accepts
// anything finds every well-formed document valid. The schema text is also
// tried as a pattern, searched in the document.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policy/json_schema.hpp"
#include "policy/schema_regex.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view schema_text = input, document = input;
  if (size_t sep = input.find("\n--\n"); sep != std::string_view::npos) {
    schema_text = input.substr(0, sep);
    document = input.substr(sep + 4);
  }

  apigw::policy::SchemaRegex re;
  if (re.compile(schema_text).empty()) (void)re.search(document);

  std::vector<apigw::policy::JsonSchema::Error> errors;
  auto schema = apigw::policy::JsonSchema::compile(schema_text, 16, &errors);
  if (!schema) {
    if (errors.empty()) std::abort();  // refused without a reason
    return 0;
  }
  auto first = schema->validate(document);
  auto again = schema->validate(document);
  if (first.kind != again.kind || first.message != again.message) std::abort();
  if (first.kind == apigw::policy::JsonSchema::Verdict::Kind::kViolation && first.message.empty()) std::abort();
  if (schema->accepts_anything() && first.kind == apigw::policy::JsonSchema::Verdict::Kind::kViolation) std::abort();
  return 0;
}
