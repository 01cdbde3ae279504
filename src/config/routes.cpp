// "routes": match, policies and exactly one target per route.
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
      if (!ctx.policy_names.count(name))
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
    o.unsupported("upstream", "upstream pools are not in this build");
    const int targets = o.has("respond") + o.has("handler") + o.has("upstream");
    if (targets != 1)
      ctx.errors.add(o.pointer(), std::string(targets == 0 ? "needs a target" : "has more than one target") +
                                      ": exactly one of \"respond\", \"handler\", \"upstream\"");
    o.unsupported("rewrite", "path rewriting comes with upstream pools");
    o.unsupported("split", "traffic splitting comes with upstream pools");
    o.unsupported("mirror", "mirroring comes with upstream pools");
    if (auto enabled = o.boolean("enabled")) route.enabled = *enabled;
    o.finish();
    if (ctx.errors.count() == before) ctx.builder->route(std::move(route));
  }
}

}  // namespace apigw::config
