// Cost of json_body's transform per body, in ns: a 1 KiB JSON answer with
// two masks that match (parse, walk, edit, copy out), the same rules on a
// body they do not match (parse and walk only), and a 64 KiB body. Rounds
// are interleaved and the fastest counts, to keep noise from other
// processes out.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "policy/json_redact.hpp"

namespace ap = apigw::policy;

namespace {

constexpr int kRounds = 7;

// An order of about `bytes` bytes: items with a card number and a few fields.
std::string order(size_t bytes, const char* card_key) {
  std::string doc = R"({"id": 123456, "customer": {"name": "Ada Lovelace", "email": "ada@example.com",
  "password": "hunter2"}, "items": [)";
  for (int i = 0; doc.size() + 120 < bytes; ++i) {
    if (i) doc += ", ";
    doc += R"({"sku": "SKU-)" + std::to_string(1000 + i) + R"(", "qty": 2, "price": 19.99, ")" + card_key +
           R"(": "4111 1111 1111 1111"})";
  }
  return doc + R"(], "total": 39.98, "currency": "EUR"})";
}

ap::JsonPointer pointer(const char* text) {
  ap::JsonPointer p;
  ap::parse_json_pointer(text, &p);
  return p;
}

struct Case {
  const char* name;
  std::string doc;
  int iterations;
  double best_ns = 1e18;
};

}  // namespace

int main() {
  ap::JsonRedactRules rules;
  rules.mask = {pointer("/customer/password"), pointer("/items/*/card")};
  Case cases[] = {
      {"1 KiB, two masks matching", order(1024, "card"), 200000},
      {"1 KiB, two masks matching nothing", order(1024, "token"), 200000},
      {"64 KiB, two masks matching", order(64 * 1024, "card"), 3000},
  };
  cases[1].doc.replace(cases[1].doc.find("password"), 8, "passcode");
  ap::JsonRedactor redactor;
  std::string out;
  for (int round = 0; round < kRounds; ++round) {
    for (Case& c : cases) {
      auto start = std::chrono::steady_clock::now();
      for (int n = 0; n < c.iterations; ++n) redactor.apply(c.doc, rules, &out);
      double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
      c.best_ns = std::min(c.best_ns, ns / c.iterations);
    }
  }
  for (const Case& c : cases)
    std::printf("json_body transform, %s (%zu bytes): %.0f ns/op, %.0f MB/s (%d ops)\n", c.name, c.doc.size(),
                c.best_ns, c.doc.size() / c.best_ns * 1000, c.iterations);
  return 0;
}
