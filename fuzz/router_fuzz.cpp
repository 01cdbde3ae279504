// Fuzzes the router: pattern validation, table building and matching, and
// checks every match against a brute-force reference (O(routes), obviously
// right) so ordering bugs are found, not only crashes.
//
// Input: lines. The last three are host, method and path. Lines before them
// starting with "R " add a request header "R name:value"; the others (at most
// 8) are routes: "PATH [h=HOST] [m=METHOD] [x=NAME:VALUE] ...", where a PATH
// starting with '~' is a path_prefix.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "apigw/arena.hpp"
#include "apigw/headers.hpp"
#include "router/route_table.hpp"

using apigw::router::Match;
using apigw::router::RouteSpec;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t end = s.find(sep, pos);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Reference matcher: scores each route on its own, keeps the best.
struct Candidate {
  int host_rank;           // exact: INT32_MAX, wildcard: suffix length, any: -1
  int path_class;          // 0 exact/pattern, 1 prefix
  std::vector<int> kinds;  // per segment: 0 literal, 1 param, 2 catch-all; -1 = end
  size_t prefix_len;
  uint32_t index;
  std::vector<std::string_view> values;

  bool operator<(const Candidate& o) const {
    if (host_rank != o.host_rank) return host_rank > o.host_rank;
    if (path_class != o.path_class) return path_class < o.path_class;
    if (kinds != o.kinds) return kinds < o.kinds;
    if (prefix_len != o.prefix_len) return prefix_len > o.prefix_len;
    return index < o.index;
  }
};

int host_rank(const RouteSpec& spec, std::string_view host) {
  if (spec.hosts.empty()) return -1;
  int best = -2;
  for (const auto& h0 : spec.hosts) {
    std::string h = lower(h0);
    if (h == "*") {
      best = std::max(best, -1);
    } else if (h.rfind("*.", 0) == 0) {
      std::string_view suffix = std::string_view(h).substr(1);
      if (host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix)
        best = std::max(best, static_cast<int>(suffix.size()));
    } else if (h == host) {
      best = INT32_MAX;
    }
  }
  return best;
}

// Matches a (valid) pattern; fills kinds and values.
bool pattern_match(std::string_view pattern, std::string_view path, Candidate& c) {
  if (path.empty() || path[0] != '/') return false;
  auto pat = split(pattern.substr(1), '/');
  auto segs = split(path.substr(1), '/');
  size_t offset = 1;  // start of segs[i] in path
  for (size_t i = 0; i < pat.size(); ++i) {
    std::string_view p = pat[i];
    if (p.size() >= 3 && p[0] == '{' && p[1] == '*') {
      c.kinds.push_back(2);
      c.values.push_back(i < segs.size() ? path.substr(offset) : std::string_view());
      return i <= segs.size();
    }
    if (i >= segs.size()) return false;
    if (!p.empty() && p[0] == '{') {
      if (segs[i].empty()) return false;
      c.kinds.push_back(1);
      c.values.push_back(segs[i]);
    } else {
      if (p != segs[i]) return false;
      c.kinds.push_back(0);
    }
    offset += segs[i].size() + 1;
  }
  c.kinds.push_back(-1);
  return pat.size() == segs.size();
}

bool headers_ok(const RouteSpec& spec, const apigw::HeaderMap& headers) {
  for (const auto& [name, value] : spec.headers) {
    bool ok = false;
    for (const auto& h : headers) ok = ok || (apigw::iequals(h.name, name) && h.value == value);
    if (!ok) return false;
  }
  return true;
}

bool method_ok(const RouteSpec& spec, std::string_view method) {
  if (spec.methods.empty()) return true;
  for (const auto& m : spec.methods)
    if (m == method || (m == "GET" && method == "HEAD")) return true;
  return false;
}

void compare_with_reference(const std::vector<RouteSpec>& specs, std::string_view host,
                            std::string_view method, std::string_view path,
                            const apigw::HeaderMap& headers, const Match& got) {
  std::vector<Candidate> cands;
  for (uint32_t i = 0; i < specs.size(); ++i) {
    const RouteSpec& s = specs[i];
    Candidate c{host_rank(s, host), s.is_prefix ? 1 : 0, {}, 0, i, {}};
    if (c.host_rank < -1 || !headers_ok(s, headers)) continue;
    if (s.is_prefix) {
      if (path.substr(0, s.path.size()) != s.path) continue;
      c.prefix_len = s.path.size();
    } else if (!pattern_match(s.path, path, c)) {
      continue;
    }
    cands.push_back(std::move(c));
  }
  std::sort(cands.begin(), cands.end());
  for (const Candidate& c : cands) {
    if (!method_ok(specs[c.index], method)) continue;
    check(got.kind == Match::Kind::kFound);
    check(got.route == c.index);
    check(got.params.size == c.values.size());
    for (size_t i = 0; i < c.values.size(); ++i) {
      check(got.params.items[i].value == c.values[i]);
      // Values are views into the request path.
      check(c.values[i].empty() || got.params.items[i].value.data() == c.values[i].data());
    }
    return;
  }
  if (cands.empty()) {
    check(got.kind == Match::Kind::kNotFound);
    return;
  }
  check(got.kind == Match::Kind::kMethodNotAllowed);
  std::vector<std::string> allow;
  for (const Candidate& c : cands) {
    if (c.host_rank != cands[0].host_rank) continue;
    for (const auto& m : specs[c.index].methods) {
      allow.push_back(m);
      if (m == "GET") allow.push_back("HEAD");
    }
  }
  std::sort(allow.begin(), allow.end());
  allow.erase(std::unique(allow.begin(), allow.end()), allow.end());
  std::string want;
  for (const auto& m : allow) want += (want.empty() ? "" : ", ") + m;
  check(got.allow == want);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string input(reinterpret_cast<const char*>(data), size);
  auto lines = split(input, '\n');
  while (lines.size() < 3) lines.insert(lines.begin(), std::string_view());
  std::string_view host = lines[lines.size() - 3], method = lines[lines.size() - 2],
                   path = lines[lines.size() - 1];

  apigw::Arena arena;
  apigw::HeaderMap headers(arena);
  std::vector<RouteSpec> specs;
  bool all_patterns_valid = true;
  for (size_t i = 0; i + 3 < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.rfind("R ", 0) == 0) {
      auto kv = split(line.substr(2), ':');
      headers.add(kv[0], kv.size() > 1 ? kv[1] : std::string_view());
      continue;
    }
    if (specs.size() == 8) continue;
    auto tokens = split(line, ' ');
    RouteSpec spec;
    std::string_view p = tokens[0];
    if (!p.empty() && p[0] == '~') {
      spec.is_prefix = true;
      p.remove_prefix(1);
    }
    spec.path = std::string(p);
    for (size_t t = 1; t < tokens.size(); ++t) {
      std::string_view tok = tokens[t];
      if (tok.rfind("h=", 0) == 0) spec.hosts.emplace_back(tok.substr(2));
      if (tok.rfind("m=", 0) == 0) spec.methods.emplace_back(tok.substr(2));
      if (tok.rfind("x=", 0) == 0) {
        auto kv = split(tok.substr(2), ':');
        spec.headers.emplace_back(std::string(kv[0]), std::string(kv.size() > 1 ? kv[1] : ""));
      }
    }
    if (!spec.is_prefix && !apigw::router::validate_pattern(spec.path).is_ok())
      all_patterns_valid = false;
    specs.push_back(std::move(spec));
  }

  (void)apigw::router::validate_pattern(path);
  auto table = apigw::router::RouteTable::build(specs);
  if (!table.is_ok()) {
    check(table.status().code() == apigw::Code::kInvalidArgument);
    check(table.status().message().rfind("route ", 0) == 0);
    return 0;
  }
  check(all_patterns_valid);  // build never accepts what validate_pattern rejects
  check(table->size() == specs.size());
  Match m = table->match(host, method, path, headers);
  compare_with_reference(specs, host, method, path, headers, m);
  return 0;
}
