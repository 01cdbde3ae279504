// RouteTable implementation. See route_table.hpp for the contract.
//
// Layout: one Group per host class key (each exact host, each wildcard
// suffix, and "any host"). A Group holds a segment trie for exact/pattern
// paths and a character trie for path prefixes. match() tries the groups from
// the most to the least specific host and stops at the first Found.
//
// Semantics decided here (documented for the config/README authors):
// - Paths are matched raw (not decoded) and strictly: "/a" does not match "/a/".
// - A `{name}` parameter matches one non-empty segment.
// - `{*name}` matches the rest of the path after its slash, possibly empty;
//   "/echo/{*rest}" also matches "/echo" (rest = ""), like most routers.
// - path_prefix is a plain string prefix, like nginx `location /prefix`:
//   "/api" matches "/api", "/api/x" and "/apix". A prefix has no parameters:
//   braces in it are plain characters (the config loader accepts them too).
// - An exact/pattern route beats any prefix route of the same host group;
//   a longer prefix beats a shorter one.
// - Header matchers only filter: a route whose headers do not match is not a
//   candidate (it neither matches nor contributes to a 405's Allow). More
//   header matchers do not make a route more specific; ties stay by order.
// - HEAD matches a route that allows GET; Allow then lists HEAD as well.
// - Host "*" is the same as no host (any host).
//
// Lookup cost: one hash lookup per path segment per visited trie node (a node
// is visited at most once per lookup), one step per character for prefixes,
// one hash lookup per host label. It does not depend on the number of routes,
// except for candidates at one node filtered out by method or headers.
#include "router/route_table.hpp"

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace apigw::router {
namespace {

struct SvHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
struct SvEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};
template <class V>
using StrMap = std::unordered_map<std::string, V, SvHash, SvEq>;

struct Segment {
  enum class Kind : uint8_t { kLiteral, kParam, kCatchAll };
  Kind kind;
  std::string_view text;  // literal text or parameter name
};

bool valid_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Splits and checks a pattern; `out` may be null (validation only).
Status parse_pattern(std::string_view pattern, std::vector<Segment>* out) {
  auto bad = [](std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); };
  if (pattern.empty() || pattern[0] != '/') return bad("path must start with \"/\"");
  std::string_view names[MatchParams::kMaxParams];
  size_t nparams = 0;
  bool after_catch_all = false;
  std::string_view catch_all;
  size_t pos = 1;
  while (true) {
    size_t end = pattern.find('/', pos);
    if (end == std::string_view::npos) end = pattern.size();
    std::string_view seg = pattern.substr(pos, end - pos);
    if (after_catch_all) return bad(quoted("{*" + std::string(catch_all) + "}") + " must be the last segment");
    size_t open = seg.find('{'), close = seg.find('}');
    Segment s{Segment::Kind::kLiteral, seg};
    if (open != std::string_view::npos || close != std::string_view::npos) {
      size_t opens = static_cast<size_t>(std::count(seg.begin(), seg.end(), '{'));
      size_t closes = static_cast<size_t>(std::count(seg.begin(), seg.end(), '}'));
      if (opens != 1 || closes != 1 || close < open) return bad("unbalanced braces in " + quoted(seg));
      if (open != 0 || close != seg.size() - 1)
        return bad(quoted(seg) + ": a parameter must be a whole segment");
      std::string_view name = seg.substr(1, seg.size() - 2);
      s.kind = Segment::Kind::kParam;
      if (!name.empty() && name[0] == '*') {
        s.kind = Segment::Kind::kCatchAll;
        name.remove_prefix(1);
        after_catch_all = true;
        catch_all = name;
      }
      if (name.empty()) return bad("empty parameter name in " + quoted(pattern));
      if (!std::all_of(name.begin(), name.end(), valid_name_char))
        return bad(quoted(seg) + ": parameter names use letters, digits, '_' and '-'");
      for (size_t i = 0; i < nparams; ++i)
        if (names[i] == name) return bad("duplicate parameter " + quoted(name));
      if (nparams == MatchParams::kMaxParams)
        return bad("more than " + std::to_string(MatchParams::kMaxParams) + " parameters");
      names[nparams++] = name;
      s.text = name;
    }
    if (out) out->push_back(s);
    if (end == pattern.size()) break;
    pos = end + 1;
  }
  return Status::ok();
}

// Exact and pattern paths. A node is reached only at a fixed segment depth,
// so a lookup visits each node at most once.
struct SegNode {
  StrMap<std::unique_ptr<SegNode>> literal;
  std::unique_ptr<SegNode> param;
  std::vector<uint32_t> ends;       // routes ending here, by index
  std::vector<uint32_t> catch_all;  // routes with {*x} here, by index
};

// path_prefix routes: a character trie; `up` links to the nearest ancestor
// holding routes, so the longest-first walk back needs no stack.
struct PrefixTrie {
  struct Node {
    std::vector<std::pair<char, uint32_t>> kids;  // sorted by char
    std::vector<uint32_t> routes;
    int32_t up = -1;
  };
  std::vector<Node> nodes{Node{}};

  void insert(std::string_view prefix, uint32_t route, std::vector<uint32_t>& parents) {
    uint32_t n = 0;
    for (char c : prefix) {
      auto& kids = nodes[n].kids;
      auto it = std::lower_bound(kids.begin(), kids.end(), c,
                                 [](const auto& k, char ch) { return k.first < ch; });
      if (it != kids.end() && it->first == c) {
        n = it->second;
        continue;
      }
      uint32_t child = static_cast<uint32_t>(nodes.size());
      kids.insert(it, {c, child});
      nodes.emplace_back();
      parents.resize(nodes.size());
      parents[child] = n;
      n = child;
    }
    nodes[n].routes.push_back(route);
  }

  // Children always have larger indices than their parent.
  void link(const std::vector<uint32_t>& parents) {
    for (size_t i = 1; i < nodes.size(); ++i) {
      uint32_t p = parents[i];
      nodes[i].up = nodes[p].routes.empty() ? nodes[p].up : static_cast<int32_t>(p);
    }
  }

  // Deepest node on `path` holding routes, or -1.
  int32_t deepest(std::string_view path) const noexcept {
    uint32_t n = 0;
    int32_t best = nodes[0].routes.empty() ? -1 : 0;
    for (char c : path) {
      const auto& kids = nodes[n].kids;
      auto it = std::lower_bound(kids.begin(), kids.end(), c,
                                 [](const auto& k, char ch) { return k.first < ch; });
      if (it == kids.end() || it->first != c) break;
      n = it->second;
      if (!nodes[n].routes.empty()) best = static_cast<int32_t>(n);
    }
    return best;
  }
};

struct Group {
  SegNode root;
  PrefixTrie prefixes;
  std::vector<uint32_t> prefix_parents;  // build only
  bool has_prefixes = false;
};

struct Route {
  std::vector<std::string> methods;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> params;  // names in path order, catch-all last
};

// Visits candidates of `node` for `path` from `pos` (start of the next
// segment; > path.size() when none is left), most specific first. `visit`
// returns true to stop.
template <class Visit>
bool walk(const SegNode& node, std::string_view path, size_t pos, std::string_view* caps,
          size_t ncap, Visit& visit) {
  if (pos > path.size()) {
    for (uint32_t r : node.ends)
      if (visit(r, caps, ncap)) return true;
    if (!node.catch_all.empty() && ncap < MatchParams::kMaxParams) {
      caps[ncap] = std::string_view();
      for (uint32_t r : node.catch_all)
        if (visit(r, caps, ncap + 1)) return true;
    }
    return false;
  }
  size_t end = path.find('/', pos);
  if (end == std::string_view::npos) end = path.size();
  std::string_view seg = path.substr(pos, end - pos);
  if (!node.literal.empty()) {
    auto it = node.literal.find(seg);
    if (it != node.literal.end() && walk(*it->second, path, end + 1, caps, ncap, visit)) return true;
  }
  if (node.param && !seg.empty() && ncap < MatchParams::kMaxParams) {
    caps[ncap] = seg;
    if (walk(*node.param, path, end + 1, caps, ncap + 1, visit)) return true;
  }
  if (!node.catch_all.empty() && ncap < MatchParams::kMaxParams) {
    caps[ncap] = path.substr(pos);
    for (uint32_t r : node.catch_all)
      if (visit(r, caps, ncap + 1)) return true;
  }
  return false;
}

// Pattern routes first (exact/pattern beats prefix), then prefixes longest first.
template <class Visit>
bool visit_group(const Group& g, std::string_view path, Visit& visit) {
  std::string_view caps[MatchParams::kMaxParams];
  if (walk(g.root, path, 1, caps, 0, visit)) return true;
  if (!g.has_prefixes) return false;
  for (int32_t n = g.prefixes.deepest(path); n >= 0; n = g.prefixes.nodes[n].up)
    for (uint32_t r : g.prefixes.nodes[n].routes)
      if (visit(r, caps, 0)) return true;
  return false;
}

bool method_allowed(const Route& r, std::string_view method) noexcept {
  if (r.methods.empty()) return true;
  for (const auto& m : r.methods)
    if (m == method || (m == "GET" && method == "HEAD")) return true;
  return false;
}

bool headers_match(const Route& r, const HeaderMap& headers) noexcept {
  for (const auto& [name, value] : r.headers) {
    bool ok = false;
    for (const Header& h : headers)
      if (iequals(h.name, name) && h.value == value) {
        ok = true;
        break;
      }
    if (!ok) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

struct RouteTable::Impl {
  std::vector<Route> routes;
  StrMap<Group> exact;
  StrMap<Group> wildcard;  // keyed by the suffix with its dot: ".example.org"
  Group any;

  enum class Outcome { kNone, kPathOnly, kFound };

  Outcome find(const Group& g, std::string_view method, std::string_view path,
               const HeaderMap& headers, Match& m) const noexcept {
    bool path_matched = false;
    auto visit = [&](uint32_t r, const std::string_view* caps, size_t ncap) {
      const Route& route = routes[r];
      if (!headers_match(route, headers)) return false;
      path_matched = true;
      if (!method_allowed(route, method)) return false;
      m.kind = Match::Kind::kFound;
      m.route = r;
      m.params.size = std::min(ncap, route.params.size());
      for (size_t i = 0; i < m.params.size; ++i) m.params.items[i] = {route.params[i], caps[i]};
      return true;
    };
    if (visit_group(g, path, visit)) return Outcome::kFound;
    return path_matched ? Outcome::kPathOnly : Outcome::kNone;
  }

  std::string allow(const Group& g, std::string_view path, const HeaderMap& headers) const {
    std::vector<std::string_view> methods;
    auto visit = [&](uint32_t r, const std::string_view*, size_t) {
      const Route& route = routes[r];
      if (!headers_match(route, headers)) return false;
      for (const auto& m : route.methods) {
        methods.push_back(m);
        if (m == "GET") methods.push_back("HEAD");
      }
      return false;
    };
    visit_group(g, path, visit);
    std::sort(methods.begin(), methods.end());
    methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
    std::string out;
    for (auto m : methods) {
      if (!out.empty()) out += ", ";
      out += m;
    }
    return out;
  }

  void add_pattern(Group& g, const std::vector<Segment>& segs, uint32_t r) {
    SegNode* n = &g.root;
    for (const Segment& s : segs) {
      switch (s.kind) {
        case Segment::Kind::kLiteral: {
          auto& child = n->literal[std::string(s.text)];
          if (!child) child = std::make_unique<SegNode>();
          n = child.get();
          break;
        }
        case Segment::Kind::kParam:
          if (!n->param) n->param = std::make_unique<SegNode>();
          n = n->param.get();
          break;
        case Segment::Kind::kCatchAll:
          n->catch_all.push_back(r);
          return;
      }
    }
    n->ends.push_back(r);
  }
};

RouteTable::RouteTable() : impl_(std::make_unique<Impl>()) {}
RouteTable::~RouteTable() = default;
RouteTable::RouteTable(RouteTable&&) noexcept = default;
RouteTable& RouteTable::operator=(RouteTable&&) noexcept = default;

size_t RouteTable::size() const noexcept { return impl_ ? impl_->routes.size() : 0; }

Status validate_pattern(std::string_view pattern) { return parse_pattern(pattern, nullptr); }

Result<RouteTable> RouteTable::build(const std::vector<RouteSpec>& specs) {
  RouteTable table;
  Impl& t = *table.impl_;
  t.routes.reserve(specs.size());
  std::vector<Segment> segs;
  for (size_t i = 0; i < specs.size(); ++i) {
    const RouteSpec& spec = specs[i];
    auto fail = [i](std::string_view msg) {
      return Status(Code::kInvalidArgument, "route " + std::to_string(i) + ": " + std::string(msg));
    };
    auto r = static_cast<uint32_t>(i);
    segs.clear();
    if (spec.is_prefix) {
      if (spec.path.empty() || spec.path[0] != '/') return fail("path_prefix must start with \"/\"");
    } else if (Status s = parse_pattern(spec.path, &segs); !s) {
      return fail(s.message());
    }

    Route route;
    for (const auto& m : spec.methods) {
      if (m.empty()) return fail("empty method");
      if (std::find(route.methods.begin(), route.methods.end(), m) == route.methods.end())
        route.methods.push_back(m);
    }
    for (const auto& [name, value] : spec.headers) {
      if (name.empty()) return fail("empty header name");
      route.headers.emplace_back(name, value);
    }
    for (const Segment& s : segs)
      if (s.kind != Segment::Kind::kLiteral) route.params.emplace_back(s.text);

    // Resolve the host groups first so a bad host leaves nothing half-added.
    std::vector<Group*> groups;
    for (const auto& h : spec.hosts) {
      std::string host = lower(h);
      Group* g = nullptr;
      if (host == "*") {
        g = &t.any;
      } else if (host.rfind("*.", 0) == 0) {
        std::string_view suffix = std::string_view(host).substr(1);  // ".example.org"
        if (suffix.size() < 2 || suffix.find('*') != std::string_view::npos)
          return fail("invalid wildcard host " + quoted(h));
        g = &t.wildcard[std::string(suffix)];
      } else {
        if (host.empty() || host.find('*') != std::string::npos)
          return fail("invalid host " + quoted(h));
        g = &t.exact[host];
      }
      if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
    }
    if (spec.hosts.empty()) groups.push_back(&t.any);

    for (Group* g : groups) {
      if (spec.is_prefix) {
        g->prefixes.insert(spec.path, r, g->prefix_parents);
        g->has_prefixes = true;
      } else {
        t.add_pattern(*g, segs, r);
      }
    }
    t.routes.push_back(std::move(route));
  }

  auto finish = [](Group& g) {
    if (g.has_prefixes) g.prefixes.link(g.prefix_parents);
    g.prefix_parents = {};
  };
  for (auto& [k, g] : t.exact) finish(g);
  for (auto& [k, g] : t.wildcard) finish(g);
  finish(t.any);
  return table;
}

Match RouteTable::match(std::string_view host, std::string_view method, std::string_view path,
                        const HeaderMap& headers) const {
  Match m;
  if (!impl_ || path.empty() || path[0] != '/') return m;
  const Impl& t = *impl_;
  const Group* path_only = nullptr;  // best host group that matched the path
  auto tried = [&](const Group& g) {
    auto outcome = t.find(g, method, path, headers, m);
    if (outcome == Impl::Outcome::kPathOnly && !path_only) path_only = &g;
    return outcome == Impl::Outcome::kFound;
  };

  if (!host.empty()) {
    if (!t.exact.empty()) {
      auto it = t.exact.find(host);
      if (it != t.exact.end() && tried(it->second)) return m;
    }
    // Longest suffix first: "*.a.example.org" before "*.example.org". A
    // leading dot would leave an empty label, so it never starts a suffix.
    if (!t.wildcard.empty()) {
      for (size_t dot = host.find('.', 1); dot != std::string_view::npos; dot = host.find('.', dot + 1)) {
        auto it = t.wildcard.find(host.substr(dot));
        if (it != t.wildcard.end() && tried(it->second)) return m;
      }
    }
  }
  if (tried(t.any)) return m;

  if (path_only) {
    m.kind = Match::Kind::kMethodNotAllowed;
    try {
      m.allow = t.allow(*path_only, path, headers);
    } catch (...) {
      // Out of memory while building Allow: still a 405, just without the list.
      m.allow.clear();
    }
  }
  return m;
}

}  // namespace apigw::router
