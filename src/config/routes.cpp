// "routes": match, policies and exactly one target per route; with an
// upstream target, how the request is rewritten, split and mirrored.
#include <algorithm>
#include <set>

#include "config/did_you_mean.hpp"
#include "config/sections.hpp"
#include "config/syntax.hpp"
#include "router/route_table.hpp"

namespace apigw::config {

namespace {

void to_lower(std::string& s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
}
void to_upper(std::string& s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
}

// Header names must be tokens, values must not be able to split a message.
bool check_header_pairs(Errors& errors, const StringPairs& pairs, const std::string& pointer) {
  bool ok = true;
  for (const auto& [name, value] : pairs) {
    const std::string at = child_pointer(pointer, name);
    if (!is_token(name)) {
      errors.add(at, quote(name) + " is not a valid header name");
      ok = false;
    } else if (!is_field_value(value)) {
      errors.add(at, "value holds control characters");
      ok = false;
    }
  }
  return ok;
}

void read_match(LoadContext& ctx, Element value, const std::string& pointer, RouteMatch* match) {
  ObjectReader o(ctx.errors, value, pointer);
  if (!o.ok()) return;
  if (auto hosts = o.strings("hosts")) {
    for (size_t i = 0; i < hosts->size(); ++i) {
      std::string& host = (*hosts)[i];
      to_lower(host);
      if (std::string why = check_host(host); !why.empty())
        ctx.errors.add(child_pointer(o.child("hosts"), i), "host " + quote(host) + " " + why);
    }
    match->hosts = std::move(*hosts);
  }
  auto path = o.string("path");
  auto prefix = o.string("path_prefix");
  if (o.has("path") == o.has("path_prefix"))
    ctx.errors.add(pointer, "needs exactly one of \"path\", \"path_prefix\"");
  if (path) {
    if (Status st = router::validate_pattern(*path); !st) ctx.errors.add(o.child("path"), std::string(st.message()));
    match->path = std::move(*path);
  }
  if (prefix) {
    if (prefix->empty() || prefix->front() != '/')
      ctx.errors.add(o.child("path_prefix"), "must start with '/'");
    else if (!is_field_value(*prefix) || prefix->find(' ') != std::string::npos)
      ctx.errors.add(o.child("path_prefix"), "must not hold spaces or control characters");
    match->path_prefix = std::move(*prefix);
  }
  if (auto methods = o.strings("methods")) {
    for (size_t i = 0; i < methods->size(); ++i) {
      std::string& m = (*methods)[i];
      to_upper(m);
      if (!is_token(m)) ctx.errors.add(child_pointer(o.child("methods"), i), quote(m) + " is not a valid method");
    }
    match->methods = std::move(*methods);
  }
  if (auto headers = o.string_map("headers")) {
    check_header_pairs(ctx.errors, *headers, o.child("headers"));
    match->headers = std::move(*headers);
  }
  o.finish();
}

std::optional<StaticResponse> read_respond(LoadContext& ctx, Element value, const std::string& pointer) {
  ObjectReader o(ctx.errors, value, pointer);
  if (!o.ok()) return std::nullopt;
  StaticResponse respond;
  if (auto status = o.uint("status", 100, 599)) respond.status = static_cast<int>(*status);
  if (auto headers = o.string_map("headers")) {
    check_header_pairs(ctx.errors, *headers, o.child("headers"));
    for (const auto& [name, v] : *headers) {
      std::string n = name;
      to_lower(n);
      // The gateway frames the body itself; a second framing header would be a smuggling risk.
      if (n == "content-length" || n == "transfer-encoding")
        ctx.errors.add(child_pointer(o.child("headers"), name), "is set by the gateway; remove it");
    }
    respond.headers = std::move(*headers);
  }
  if (auto body = o.string("body")) respond.body = std::move(*body);
  o.finish();
  return respond;
}

void read_route_policies(LoadContext& ctx, Element value, const std::string& pointer, size_t route_index,
                         std::vector<std::string>* out) {
  auto items = as_array(ctx.errors, value, pointer);
  if (!items) return;
  size_t k = 0;
  for (Element item : *items) {
    const size_t index = k++;
    const std::string at = child_pointer(pointer, index);
    std::string_view ref;
    if (item.get(ref) == simdjson::SUCCESS) {
      std::string name(ref);
      if (!ctx.policy_names.count(name) && !ctx.host_policies)
        ctx.errors.add(at, "unknown policy " + quote(name) + did_you_mean(name, ctx.policy_names));
      out->push_back(std::move(name));
    } else if (item.is_object()) {
      // Inline policies get a name no user policy can have (user names hold no '/').
      std::string name = "routes/" + std::to_string(route_index) + "/policies/" + std::to_string(index);
      ObjectReader o(ctx.errors, item, at);
      if (PolicyPtr policy = build_policy(ctx, o, name)) ctx.builder->policy(name, std::move(policy));
      out->push_back(std::move(name));
    } else {
      ctx.errors.add(at, "expected a policy name or a policy object");
    }
  }
}

std::string check_handler(const LoadContext& ctx, const std::string& handler) {
  if (handler.empty()) return "must not be empty";
  if (!ctx.known_handlers || handler == "echo") return "";
  const auto& known = *ctx.known_handlers;
  if (std::find(known.begin(), known.end(), handler) != known.end()) return "";
  std::vector<std::string> candidates = known;
  candidates.insert(candidates.begin(), "echo");
  return "unknown handler " + quote(handler) + did_you_mean(handler, candidates);
}

// A name from "upstreams"; an upstream declared but broken is not reported again.
void check_upstream_ref(LoadContext& ctx, const std::string& name, const std::string& pointer) {
  if (name.empty()) ctx.errors.add(pointer, "must not be empty");
  else if (!ctx.upstream_names.count(name))
    ctx.errors.add(pointer, "unknown upstream " + quote(name) + did_you_mean(name, ctx.upstream_names));
}

// The parameter names of the route's match ({id}, {*rest}); nullopt when the
// match itself is wrong (already reported) and nothing can be judged against it.
std::optional<std::vector<std::string>> route_params(const RouteMatch& match) {
  if (match.path.empty()) {
    if (match.path_prefix.empty()) return std::nullopt;
    return std::vector<std::string>{};
  }
  if (!match.path_prefix.empty() || !router::validate_pattern(match.path)) return std::nullopt;
  std::vector<std::string> params;
  size_t pos = 0;
  while (pos < match.path.size()) {
    size_t end = match.path.find('/', pos + 1);
    if (end == std::string::npos) end = match.path.size();
    std::string_view seg = std::string_view(match.path).substr(pos + 1, end - pos - 1);
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      seg = seg.substr(1, seg.size() - 2);
      if (!seg.empty() && seg.front() == '*') seg.remove_prefix(1);
      params.emplace_back(seg);
    }
    pos = end;
  }
  return params;
}

// "/users/{id}": a path whose {name} and {*name} placeholders are the route's parameters.
void check_path_template(LoadContext& ctx, const std::string& tmpl, const RouteMatch& match,
                         const std::string& pointer) {
  if (tmpl.empty() || tmpl.front() != '/') {
    ctx.errors.add(pointer, "must start with '/'");
    return;
  }
  if (!is_field_value(tmpl) || tmpl.find(' ') != std::string::npos) {
    ctx.errors.add(pointer, "must not hold spaces or control characters");
    return;
  }
  const auto params = route_params(match);
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t open = tmpl.find('{', i);
    size_t close = tmpl.find('}', i);
    if (open == std::string::npos && close == std::string::npos) break;
    if (open == std::string::npos || close == std::string::npos || close < open || tmpl.find('{', open + 1) < close) {
      ctx.errors.add(pointer, "unbalanced braces in " + quote(tmpl));
      return;
    }
    std::string name = tmpl.substr(open + 1, close - open - 1);
    if (!name.empty() && name.front() == '*') name.erase(0, 1);
    if (name.empty()) {
      ctx.errors.add(pointer, "empty parameter name in " + quote(tmpl));
      return;
    }
    if (params && std::find(params->begin(), params->end(), name) == params->end()) {
      std::string where = match.path.empty() ? "match.path_prefix has no parameters"
                                             : "match.path " + quote(match.path) + " has no such parameter";
      ctx.errors.add(pointer, "unknown parameter " + quote(tmpl.substr(open, close - open + 1)) + ": " + where +
                                  did_you_mean(name, *params));
    }
    i = close + 1;
  }
}

RewriteOptions read_rewrite(LoadContext& ctx, Element value, const std::string& pointer, const RouteMatch& match) {
  RewriteOptions rewrite;
  ObjectReader o(ctx.errors, value, pointer);
  if (!o.ok()) return rewrite;
  if (auto path = o.string("path")) {
    check_path_template(ctx, *path, match, o.child("path"));
    rewrite.path = std::move(*path);
  }
  if (auto prefix = o.string("strip_prefix")) {
    if (prefix->empty() || prefix->front() != '/')
      ctx.errors.add(o.child("strip_prefix"), "must start with '/'");
    else if (!is_field_value(*prefix) || prefix->find(' ') != std::string::npos)
      ctx.errors.add(o.child("strip_prefix"), "must not hold spaces or control characters");
    rewrite.strip_prefix = std::move(*prefix);
  }
  if (o.has("path") && o.has("strip_prefix"))
    ctx.errors.add(pointer, "give only one of \"path\", \"strip_prefix\"");
  if (auto host = o.string("host")) {
    if (std::string why = check_host_port(*host, false); !why.empty())
      ctx.errors.add(o.child("host"), "invalid host " + quote(*host) + ": " + why + "; expected HOST or HOST:PORT");
    rewrite.host = std::move(*host);
  }
  o.finish();
  return rewrite;
}

std::vector<SplitOptions> read_split(LoadContext& ctx, Element value, const std::string& pointer) {
  std::vector<SplitOptions> split;
  auto items = as_array(ctx.errors, value, pointer);
  if (!items) return split;
  uint64_t total = 0;
  bool all_weights = true;
  size_t i = 0;
  for (Element item : *items) {
    ObjectReader o(ctx.errors, item, child_pointer(pointer, i++));
    if (!o.ok()) continue;
    SplitOptions s;
    if (auto upstream = o.required_string("upstream")) {
      check_upstream_ref(ctx, *upstream, o.child("upstream"));
      s.upstream = std::move(*upstream);
    }
    if (auto weight = o.uint("weight", 1, 100)) {
      s.weight = static_cast<uint32_t>(*weight);
      total += *weight;
    } else {
      if (!o.has("weight")) o.missing("weight");
      all_weights = false;
    }
    o.finish();
    split.push_back(std::move(s));
  }
  if (all_weights && total > 100)
    ctx.errors.add(pointer, "weights add up to " + std::to_string(total) + ", more than 100 (percent)");
  return split;
}

std::optional<MirrorOptions> read_mirror(LoadContext& ctx, Element value, const std::string& pointer) {
  ObjectReader o(ctx.errors, value, pointer);
  if (!o.ok()) return std::nullopt;
  MirrorOptions mirror;
  mirror.percent = 100;  // every request unless sampled down
  if (auto upstream = o.required_string("upstream")) {
    check_upstream_ref(ctx, *upstream, o.child("upstream"));
    mirror.upstream = std::move(*upstream);
  }
  if (auto percent = o.uint("percent", 1, 100)) mirror.percent = static_cast<uint32_t>(*percent);
  o.finish();
  return mirror;
}

}  // namespace

void load_routes(LoadContext& ctx, Element value, const std::string& pointer) {
  auto items = as_array(ctx.errors, value, pointer);
  if (!items) return;
  std::set<std::string> names;
  size_t i = 0;
  for (Element item : *items) {
    const size_t index = i++;
    ObjectReader o(ctx.errors, item, child_pointer(pointer, index));
    if (!o.ok()) continue;
    const size_t before = ctx.errors.count();
    RouteOptions route;
    if (auto name = o.required_string("name")) {
      if (std::string why = check_name(*name); !why.empty())
        ctx.errors.add(o.child("name"), "route name " + quote(*name) + " " + why);
      else if (!names.insert(*name).second)
        ctx.errors.add(o.child("name"), "duplicate route name " + quote(*name));
      route.name = std::move(*name);
    }
    if (auto match = o.get("match")) read_match(ctx, *match, o.child("match"), &route.match);
    else o.missing("match");
    if (auto policies = o.get("policies"))
      read_route_policies(ctx, *policies, o.child("policies"), index, &route.policies);

    if (auto respond = o.get("respond")) route.respond = read_respond(ctx, *respond, o.child("respond"));
    if (auto handler = o.string("handler")) {
      if (std::string why = check_handler(ctx, *handler); !why.empty()) ctx.errors.add(o.child("handler"), why);
      route.handler = std::move(*handler);
    }
    if (auto upstream = o.string("upstream")) {
      check_upstream_ref(ctx, *upstream, o.child("upstream"));
      route.upstream = std::move(*upstream);
    }
    const int targets = o.has("respond") + o.has("handler") + o.has("upstream");
    if (targets != 1)
      ctx.errors.add(o.pointer(), std::string(targets == 0 ? "needs a target" : "has more than one target") +
                                      ": exactly one of \"respond\", \"handler\", \"upstream\"");
    // How the request is forwarded: meaningless on a route that answers itself.
    auto needs_upstream = [&](std::string_view key) {
      if (!o.has("upstream")) ctx.errors.add(o.child(key), "needs \"upstream\" on the route");
    };
    if (auto rewrite = o.get("rewrite")) {
      needs_upstream("rewrite");
      route.rewrite = read_rewrite(ctx, *rewrite, o.child("rewrite"), route.match);
    }
    if (auto split = o.get("split")) {
      needs_upstream("split");
      route.split = read_split(ctx, *split, o.child("split"));
    }
    if (auto split_on = o.string("split_on")) {
      needs_upstream("split_on");
      if (auto h = parse_hash_on(*split_on)) route.split_on = std::move(*h);
      else ctx.errors.add(o.child("split_on"), "expected \"ip\", \"path\", \"header:NAME\" or \"cookie:NAME\"");
      if (route.split.empty()) ctx.errors.add(o.child("split_on"), "split_on needs a split");
    }
    if (auto mirror = o.get("mirror")) {
      needs_upstream("mirror");
      route.mirror = read_mirror(ctx, *mirror, o.child("mirror"));
    }
    if (auto enabled = o.boolean("enabled")) route.enabled = *enabled;
    o.finish();
    if (ctx.errors.count() == before) ctx.builder->route(std::move(route));
  }
}

}  // namespace apigw::config
