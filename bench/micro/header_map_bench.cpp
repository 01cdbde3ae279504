// HeaderMap operations on a 10-field map (a typical request's headers).
//
// Names are stored lower case, as clients mostly send them; lookups use other
// casings ("Content-Type"), so every comparison takes the case-insensitive
// path. find is timed for the first, middle and last field and for a miss.
// Operations that copy into the arena (add, set) run in rounds of 1024: the
// arena is reset and the map rebuilt between rounds (1 % of the time, in the
// figure), so the arena does not grow without bound.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "apigw/arena.hpp"
#include "apigw/headers.hpp"

using apigw::Arena;
using apigw::HeaderMap;

namespace {

constexpr long kOps = 5'000'000;
constexpr long kRound = 1024;

const std::pair<const char*, const char*> kFields[10] = {
    {"host", "api.example.com"},
    {"user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},
    {"accept", "application/json"},
    {"accept-language", "en-US,en;q=0.5"},
    {"accept-encoding", "gzip, deflate, br"},
    {"content-type", "application/json"},
    {"authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl"},
    {"x-request-id", "0f8e2a4c-6b1d-4e3f-9a7c-5d2b8e1f0a3c"},
    {"cookie", "session=3f9a1c7e5b2d4a6f; theme=dark"},
    {"x-forwarded-for", "203.0.113.7"},
};

void fill(HeaderMap& m) {
  for (const auto& [n, v] : kFields) m.add(n, v);
}

double since(std::chrono::steady_clock::time_point start, long ops) {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
         static_cast<double>(ops);
}

void report(const char* name, double ns, long ops) { std::printf("%s: %.1f ns/op (%ld ops)\n", name, ns, ops); }

// A map in its own arena, rebuilt from scratch on demand.
struct Fresh {
  Arena arena{Arena::kDefaultCap};
  std::optional<HeaderMap> map;
  HeaderMap& rebuild() {
    map.reset();
    arena.reset();
    map.emplace(arena);
    fill(*map);
    return *map;
  }
};

}  // namespace

int main() {
  size_t sink = 0;
  Fresh f;

  // add: building the 10-field map (each add copies name and value into the arena).
  {
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < kOps / 10; ++i) sink += f.rebuild().size();
    report("add (10-field map from empty, incl. arena reset)", since(start, kOps), kOps);
  }

  HeaderMap& m = f.rebuild();
  const char* const kFinds[] = {"Host", "Content-Type", "X-Forwarded-For", "X-Api-Key"};
  const char* const kFindNames[] = {"find first (\"Host\")", "find middle (\"Content-Type\")",
                                    "find last (\"X-Forwarded-For\")", "find miss (\"X-Api-Key\")"};
  for (int k = 0; k < 4; ++k) {
    volatile const char* name_ptr = kFinds[k];  // keeps the name opaque to the optimizer
    std::string_view name(const_cast<const char*>(name_ptr));
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < kOps; ++i) {
      const apigw::Header* h = m.find(name);
      sink += h ? h->value.size() : 1;
    }
    report(kFindNames[k], since(start, kOps), kOps);
  }
  {
    // get() of exact-case names, the common case for policies.
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < kOps; ++i) sink += m.get(kFields[i % 10].first).size();
    report("get (each of the 10, exact case)", since(start, kOps), kOps);
  }

  // set: replaces an existing field (remove scans all 10, then add appends a copy).
  {
    HeaderMap* map = &f.rebuild();
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < kOps; ++i) {
      if (i % kRound == 0 && i > 0) map = &f.rebuild();
      map->set("Content-Type", "text/plain; charset=utf-8");
    }
    sink += map->size();
    report("set existing (\"Content-Type\")", since(start, kOps), kOps);
  }
  {
    HeaderMap* map = &f.rebuild();
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < kOps; ++i) {
      if (i % kRound == 0 && i > 0) map = &f.rebuild();
      map->set("X-New", "1");  // absent the first time, then replaced
    }
    sink += map->size();
    report("set (\"X-New\", the 11th field)", since(start, kOps), kOps);
  }

  // remove: of a present field, re-added (add_view, no copy) to keep 10 fields.
  {
    HeaderMap& map = f.rebuild();
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < kOps; ++i) {
      sink += map.remove("Accept-Language");
      map.add_view("accept-language", "en-US,en;q=0.5");
    }
    report("remove present (\"Accept-Language\") + add_view back", since(start, kOps), kOps);
  }
  {
    HeaderMap& map = f.rebuild();
    auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < kOps; ++i) sink += map.remove("X-Api-Key");
    report("remove absent (\"X-Api-Key\")", since(start, kOps), kOps);
  }
  return sink == 42 ? 1 : 0;  // keeps the loops observable
}
