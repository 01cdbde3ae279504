// Cost of the schema policy's validation, in ns per body: a typical 1 KiB
// order (an object with a nested array of line items) against a typical
// schema (types, required, additionalProperties, bounds, enum, pattern),
// parsed and walked once per call as on a request. The fastest of several
// rounds counts, to keep noise from other processes out.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "policy/json_schema.hpp"

namespace {

constexpr int kValidations = 100000;
constexpr int kRounds = 7;

const char* const kSchema = R"({
  "type": "object", "required": ["id", "customer", "currency", "items"], "additionalProperties": false,
  "properties": {
    "id": {"type": "string", "pattern": "^ord-[0-9a-f]{8}$"},
    "customer": {"type": "object", "required": ["email"], "properties": {
      "email": {"type": "string", "minLength": 3, "maxLength": 254, "pattern": "^[^@]+@[^@]+$"},
      "name": {"type": "string", "maxLength": 100}}},
    "currency": {"enum": ["EUR", "USD", "GBP"]},
    "note": {"type": ["string", "null"], "maxLength": 500},
    "items": {"type": "array", "minItems": 1, "maxItems": 100, "items": {
      "type": "object", "required": ["sku", "quantity", "price"], "additionalProperties": false,
      "properties": {
        "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
        "price": {"type": "number", "exclusiveMinimum": 0},
        "gift": {"type": "boolean"}}}}}})";

std::string order_body() {
  std::string body = R"({"id": "ord-1a2b3c4d", "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},)"
                     R"( "currency": "EUR", "note": "leave at the door, please", "items": [)";
  for (int i = 0; body.size() < 980; ++i) {
    char item[128];
    std::snprintf(item, sizeof item, R"(%s{"sku": "ABC-%04d", "quantity": %d, "price": %d.95, "gift": false})",
                  i ? ", " : "", 1000 + i, 1 + i % 5, 3 + i);
    body += item;
  }
  return body + "]}";
}

}  // namespace

int main() {
  std::vector<apigw::policy::JsonSchema::Error> errors;
  auto schema = apigw::policy::JsonSchema::compile(kSchema, 64, &errors);
  const std::string body = order_body();
  if (!schema || !schema->validate(body).valid()) {
    std::fprintf(stderr, "bench setup is wrong: %s\n", schema ? schema->validate(body).message.c_str() : "no schema");
    return 1;
  }
  double best = 1e18;
  for (int round = 0; round < kRounds; ++round) {
    auto start = std::chrono::steady_clock::now();
    int valid = 0;
    for (int n = 0; n < kValidations; ++n) valid += schema->validate(body).valid();
    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / kValidations;
    if (valid != kValidations) std::abort();
    best = std::min(best, ns);
  }
  std::printf("schema validate (%zu-byte order, %d ops): %.1f ns/op, %.2f GB/s\n", body.size(), kValidations, best,
              static_cast<double>(body.size()) / best);
  return 0;
}
