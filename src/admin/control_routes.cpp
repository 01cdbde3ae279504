#include "admin/control_routes.hpp"

#include <simdjson.h>

#include "admin/admin.hpp"
#include "admin/config_document.hpp"
#include "apigw/exchange.hpp"
#include "config/config_loader.hpp"
#include "core/builder_state.hpp"
#include "core/json_text.hpp"

namespace apigw::admin {
namespace {

constexpr std::string_view kJson = "application/json";

Decision answer(Exchange& ex, int status, const std::string& body) { return ex.respond(status, body, kJson); }

std::string errors_json(const std::vector<config::ConfigError>& errors) {
  std::string out = "{\"errors\":[";
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"pointer\":";
    append_json_string(out, errors[i].pointer);
    out += ",\"message\":";
    append_json_string(out, errors[i].message);
    out += "}";
  }
  return out + "]}\n";
}

std::string one_error(std::string_view message) { return errors_json({{"", std::string(message)}}); }

// A PUT /config document loaded against the running one: relative paths
// resolve where the running config's did, the host's handlers stay, and a
// document without "workers" keeps the running count (the CLI's --workers).
config::LoadResult load_replacement(const Gateway& gw, std::string_view json) {
  GatewayBuilder running = gw.running_config();
  const GatewayBuilder::State& cur = running.state();
  config::LoadResult r = config::load(json, cur.document_dir.empty() ? "." : cur.document_dir);
  if (!r.ok()) return r;
  for (const auto& [name, handler] : cur.handlers)
    if (!r.builder.state().handlers.count(name)) r.builder.handler(name, handler);
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(json.data(), json.size()).get(root) == simdjson::SUCCESS && root["workers"].error())
    r.builder.workers(cur.workers);
  return r;
}

Decision get_config(Gateway& gw, Exchange& ex) {
  GatewayBuilder running = gw.running_config();
  const std::string& doc = running.state().document;
  std::string body = "{\"version\":" + std::to_string(gw.config_version()) + ",\"checksum\":";
  append_json_string(body, checksum(doc));
  body += ",\"disabled_routes\":[";
  auto off = gw.disabled_routes();
  for (size_t i = 0; i < off.size(); ++i) {
    if (i) body.push_back(',');
    append_json_string(body, off[i]);
  }
  body += "],\"config\":" + (doc.empty() ? std::string("null") : redact(doc)) + "}\n";
  return answer(ex, 200, body);
}

Decision put_config(Gateway& gw, Exchange& ex, bool apply) {
  std::string_view json = ex.request().body;
  config::LoadResult r = load_replacement(gw, json);
  if (!r.ok()) {
    gw.count_failed_reload();
    return answer(ex, 400, errors_json(r.errors));
  }
  if (!apply) {
    Status st = r.builder.validate();
    return st ? answer(ex, 200, "{\"valid\":true}\n") : answer(ex, 400, one_error(st.message()));
  }
  if (Status st = gw.reload(r.builder); !st) return answer(ex, 400, one_error(st.message()));
  std::string body = "{\"version\":" + std::to_string(gw.config_version()) + ",\"checksum\":";
  append_json_string(body, checksum(json));
  return answer(ex, 200, body + "}\n");
}

Decision get_upstreams(Gateway& gw, Exchange& ex) {
  GatewayStats s = gateway_stats(gw);
  std::string body = "{\"upstreams\":[";
  for (size_t u = 0; u < s.upstreams.size(); ++u) {
    const auto& up = s.upstreams[u];
    if (u) body.push_back(',');
    body += "{\"name\":";
    append_json_string(body, up.name);
    body += ",\"targets\":[";
    for (size_t t = 0; t < up.targets.size(); ++t) {
      if (t) body.push_back(',');
      body += "{\"address\":";
      append_json_string(body, up.targets[t]);
      body += std::string(",\"available\":") + (up.healthy[t] ? "true" : "false") +
              ",\"passing_checks\":" + (up.passing_checks[t] ? "true" : "false") +
              ",\"ejected\":" + (up.ejected[t] ? "true" : "false") +
              ",\"ejections\":" + std::to_string(up.ejections[t]) +
              ",\"in_flight\":" + std::to_string(up.in_flight[t]) + "}";
    }
    body += "]}";
  }
  return answer(ex, 200, body + "]}\n");
}

Decision switch_route(Gateway& gw, Exchange& ex) {
  std::string_view action = ex.param("action");
  if (action != "disable" && action != "enable")
    return ex.fail(Status::http(404, "route_not_found", "expected /routes/{name}/disable or /enable"));
  std::string name(ex.param("name"));
  Status st = gw.set_route_enabled(name, action == "enable");
  if (!st) return answer(ex, st.code() == Code::kNotFound ? 404 : 400, one_error(st.message()));
  std::string body = "{\"route\":";
  append_json_string(body, name);
  return answer(ex, 200, body + ",\"enabled\":" + (action == "enable" ? "true" : "false") + "}\n");
}

// PUT /policies/{name}/override {"limit": N, "burst": M}; DELETE removes it.
Decision put_override(Gateway& gw, Exchange& ex) {
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  std::string_view text = ex.request().body;
  uint64_t limit = 0, burst = 0;
  if (parser.parse(text.data(), text.size()).get(body) != simdjson::SUCCESS)
    return answer(ex, 400, one_error("expected a JSON object like {\"limit\": 10, \"burst\": 0}"));
  for (auto [key, value] : body) {
    uint64_t* field = key == "limit" ? &limit : key == "burst" ? &burst : nullptr;
    if (!field) return answer(ex, 400, errors_json({{"/" + std::string(key), "unknown key (expected limit, burst)"}}));
    if (value.get(*field) != simdjson::SUCCESS)
      return answer(ex, 400, errors_json({{"/" + std::string(key), "expected a non-negative integer"}}));
  }
  if (body["limit"].error()) return answer(ex, 400, errors_json({{"/limit", "missing required key \"limit\""}}));
  std::string name(ex.param("name"));
  Status st = gw.set_rate_limit_override(name, limit, burst);
  if (!st) return answer(ex, st.code() == Code::kNotFound ? 404 : 400, one_error(st.message()));
  std::string out = "{\"policy\":";
  append_json_string(out, name);
  return answer(ex, 200, out + ",\"limit\":" + std::to_string(limit) + ",\"burst\":" + std::to_string(burst) + "}\n");
}

Decision delete_override(Gateway& gw, Exchange& ex) {
  std::string name(ex.param("name"));
  Status st = gw.remove_rate_limit_override(name);
  if (!st) return answer(ex, st.code() == Code::kNotFound ? 404 : 400, one_error(st.message()));
  std::string out = "{\"policy\":";
  append_json_string(out, name);
  return answer(ex, 200, out + ",\"override\":null}\n");
}

// POST /cache/purge {"prefix": "/v1/"}: the cached answers under that path
// prefix ("/" for all) are removed.
Decision purge_cache(Gateway& gw, Exchange& ex) {
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  std::string_view text = ex.request().body;
  if (parser.parse(text.data(), text.size()).get(body) != simdjson::SUCCESS)
    return answer(ex, 400, one_error("expected a JSON object like {\"prefix\": \"/v1/\"}"));
  std::string_view prefix;
  for (auto [key, value] : body) {
    if (key != "prefix")
      return answer(ex, 400, errors_json({{"/" + std::string(key), "unknown key (expected prefix)"}}));
    if (value.get(prefix) != simdjson::SUCCESS)
      return answer(ex, 400, errors_json({{"/prefix", "expected a string"}}));
  }
  if (body["prefix"].error()) return answer(ex, 400, errors_json({{"/prefix", "missing required key \"prefix\""}}));
  if (!prefix.starts_with("/"))
    return answer(ex, 400, errors_json({{"/prefix", "a path prefix starts with \"/\" (\"/\" purges everything)"}}));
  return answer(ex, 200, "{\"purged\":" + std::to_string(gw.purge_cache(prefix)) + "}\n");
}

}  // namespace

config::LoadResult load_replacement_config(const Gateway& gw, std::string_view json) {
  return load_replacement(gw, json);
}

void add_control_routes(GatewayBuilder& b, Gateway& gw, const PolicyPtr& guard) {
  Gateway* g = &gw;
  if (guard) b.policy("admin-token", guard);
  auto route = [&](std::string name, std::string path, std::string method, Handler handler) {
    b.handler(name, std::move(handler));
    RouteOptions r;
    r.name = "admin-" + name;
    r.match.path = std::move(path);
    r.match.methods = {std::move(method)};
    r.handler = std::move(name);
    if (guard) r.policies = {"admin-token"};
    b.route(std::move(r));
  };
  route("config-get", "/config", "GET", [g](Exchange& ex) { return get_config(*g, ex); });
  route("config-put", "/config", "PUT", [g](Exchange& ex) { return put_config(*g, ex, true); });
  route("config-validate", "/config/validate", "POST", [g](Exchange& ex) { return put_config(*g, ex, false); });
  route("upstreams", "/upstreams", "GET", [g](Exchange& ex) { return get_upstreams(*g, ex); });
  route("route-switch", "/routes/{name}/{action}", "POST", [g](Exchange& ex) { return switch_route(*g, ex); });
  route("override-put", "/policies/{name}/override", "PUT", [g](Exchange& ex) { return put_override(*g, ex); });
  route("override-delete", "/policies/{name}/override", "DELETE",
        [g](Exchange& ex) { return delete_override(*g, ex); });
  route("cache-purge", "/cache/purge", "POST", [g](Exchange& ex) { return purge_cache(*g, ex); });
}

}  // namespace apigw::admin
