#include "core/admin.hpp"

#include <sys/socket.h>
#include <netinet/in.h>

#include <string>

#include "net/listen_socket.hpp"

namespace apigw {

Status validate_admin(const AdminOptions& admin) {
  sockaddr_storage ss;
  if (Status st = net::parse_address(admin.address, &ss); !st) return std::move(st).with_context("admin");
  if (!admin.token.empty()) return Status();
  bool loopback = ss.ss_family == AF_INET
                      ? (ntohl(reinterpret_cast<sockaddr_in*>(&ss)->sin_addr.s_addr) >> 24) == 127
                      : IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr);
  if (!loopback)
    return Status(Code::kInvalidArgument,
                  "admin: without a token the admin listener only binds to a loopback address");
  return Status();
}

namespace {

std::string metrics_text(const Gateway& gw) {
  GatewayStats s = gateway_stats(gw);
  std::string out;
  auto gauge = [&](const char* name, const char* help, const char* type, const std::string& series, uint64_t v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    out += series + " " + std::to_string(v) + "\n";
  };
  gauge("apigw_connections_active", "Open client connections.", "gauge", "apigw_connections_active", s.connections);
  gauge("apigw_requests_active", "Requests in flight.", "gauge", "apigw_requests_active", s.active_requests);
  out += "# HELP apigw_config_reloads_total Config reloads by result.\n# TYPE apigw_config_reloads_total counter\n";
  out += "apigw_config_reloads_total{result=\"ok\"} " + std::to_string(s.reloads_ok) + "\n";
  out += "apigw_config_reloads_total{result=\"error\"} " + std::to_string(s.reloads_failed) + "\n";
  out += "# HELP apigw_config_info The running config.\n# TYPE apigw_config_info gauge\n";
  out += "apigw_config_info{version=\"" + std::to_string(s.config_version) + "\"} 1\n";
  return out;
}

}  // namespace

Result<std::shared_ptr<const Snapshot>> make_admin_snapshot(Gateway& gw) {
  Gateway* g = &gw;
  GatewayBuilder b;
  b.listener({"admin", "127.0.0.1:0"});
  b.handler("healthz", [](Exchange& ex) { return ex.respond(200, "{\"status\":\"ok\"}\n", "application/json"); });
  b.handler("readyz", [g](Exchange& ex) {
    bool ready = g->ready() && !g->draining();
    return ex.respond(ready ? 200 : 503, ready ? "{\"status\":\"ready\"}\n" : "{\"status\":\"draining\"}\n",
                      "application/json");
  });
  b.handler("metrics", [g](Exchange& ex) {
    return ex.respond(200, metrics_text(*g), "text/plain; version=0.0.4; charset=utf-8");
  });
  for (const char* name : {"healthz", "readyz", "metrics"}) {
    RouteOptions r;
    r.name = std::string("admin-") + name;
    r.match.path = std::string("/") + name;
    r.match.methods = {"GET"};
    r.handler = name;
    b.route(std::move(r));
  }
  return Snapshot::compile(b, 0);
}

}  // namespace apigw
