// RouteTable: picks the route for (host, method, path, headers).
//
// Lookup cost does not grow with the number of routes: hosts are a hash map
// (exact) plus a suffix map (wildcards), paths a segment trie per host group.
// Specificity (SPEC.md "Matching"): exact host > wildcard host > any host;
// literal segment > {param} > {*rest}; longer over shorter; ties go to the
// earlier route. A path matched with no route allowing the method is 405.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apigw/headers.hpp"
#include "apigw/status.hpp"

namespace apigw::router {

struct RouteSpec {
  std::vector<std::string> hosts;    // lower case; "*.example.org" wildcards; empty = any
  std::string path;                  // exact or pattern ("/u/{id}", "/f/{*rest}")
  bool is_prefix = false;            // `path` is a path_prefix
  std::vector<std::string> methods;  // upper case; empty = any
  std::vector<std::pair<std::string, std::string>> headers;  // name (any case), exact value
};

// Up to kMaxParams path parameters, as views into the looked-up path and the table.
struct MatchParams {
  static constexpr size_t kMaxParams = 16;
  struct Param {
    std::string_view name;
    std::string_view value;
  };
  Param items[kMaxParams];
  size_t size = 0;
};

struct Match {
  enum class Kind : uint8_t { kFound, kNotFound, kMethodNotAllowed };
  Kind kind = Kind::kNotFound;
  uint32_t route = 0;      // index into the specs given to build(), when kFound
  MatchParams params;      // when kFound
  std::string allow;       // when kMethodNotAllowed: "GET, PUT" (sorted, unique)
};

class RouteTable {
 public:
  RouteTable();
  ~RouteTable();
  RouteTable(RouteTable&&) noexcept;
  RouteTable& operator=(RouteTable&&) noexcept;

  // Fails with kInvalidArgument on a malformed pattern (message names the
  // route index and the problem), e.g. "{*rest}" not last, empty param name.
  static Result<RouteTable> build(const std::vector<RouteSpec>& specs);

  // `host` lower case without port; `path` without the query, not decoded.
  Match match(std::string_view host, std::string_view method, std::string_view path,
              const HeaderMap& headers) const;

  size_t size() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Checks one path pattern; used by the config loader to report errors early.
Status validate_pattern(std::string_view pattern);

}  // namespace apigw::router
