// "tls" of listeners and upstreams (SPEC.md section 2). Paths resolve against
// the config file's directory; the files themselves are read when the
// gateway is built, so `apigw validate` reports missing or broken files too.
#include "config/sections.hpp"
#include "config/secrets.hpp"
#include "config/syntax.hpp"
#include "net/tls_server_context.hpp"

namespace apigw::config {

#if APIGW_WITH_TLS
namespace {

std::optional<std::string> read_path(LoadContext& ctx, ObjectReader& o, std::string_view key, bool required) {
  auto v = required ? o.required_string(key) : o.string(key);
  if (!v) return std::nullopt;
  if (v->empty()) {
    o.errors().add(o.child(key), "must not be empty");
    return std::nullopt;
  }
  return resolve_path(ctx.base_dir, *v);
}

void read_certificates(LoadContext& ctx, ObjectReader& parent, ListenerTlsOptions* tls) {
  auto value = parent.get("certificates");
  if (!value) return parent.missing("certificates");
  const std::string pointer = parent.child("certificates");
  auto items = as_array(ctx.errors, *value, pointer);
  if (!items) return;
  if (items->size() == 0) ctx.errors.add(pointer, "at least one certificate is needed");
  size_t i = 0;
  for (Element item : *items) {
    ObjectReader o(ctx.errors, item, child_pointer(pointer, i++));
    if (!o.ok()) continue;
    TlsCertificate c;
    if (auto p = read_path(ctx, o, "cert_file", true)) c.cert_file = *p;
    if (auto p = read_path(ctx, o, "key_file", true)) c.key_file = *p;
    bool given = false;
    if (auto password = read_secret(o, "key_password", ctx.base_dir, &given)) c.key_password = *password;
    if (auto names = o.strings("server_names")) {
      for (size_t k = 0; k < names->size(); ++k) {
        const std::string& n = (*names)[k];
        std::string_view host = n;
        if (host.rfind("*.", 0) == 0) host.remove_prefix(2);
        if (host.empty() || host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") !=
                                std::string_view::npos)
          ctx.errors.add(child_pointer(o.child("server_names"), k),
                         "expected a host name or \"*.domain\", got " + quote(n));
      }
      c.server_names = std::move(*names);
    }
    o.finish();
    tls->certificates.push_back(std::move(c));
  }
}

}  // namespace
#endif

std::optional<ListenerTlsOptions> load_listener_tls(LoadContext& ctx, ObjectReader& listener) {
  auto value = listener.get("tls");
  if (!value) return std::nullopt;
  ObjectReader o(ctx.errors, *value, listener.child("tls"));
  if (!o.ok()) return std::nullopt;
#if !APIGW_WITH_TLS
  ctx.errors.add(o.pointer(), "TLS is not in this build (built with APIGW_WITH_TLS=OFF)");
  return std::nullopt;
#else
  const size_t before = ctx.errors.count();
  ListenerTlsOptions tls;
  read_certificates(ctx, o, &tls);
  if (auto v = o.choice("min_version", {"1.2", "1.3"})) tls.min_version = *v == 0 ? "1.2" : "1.3";
  if (auto ciphers = o.strings("ciphers")) {
    for (size_t k = 0; k < ciphers->size(); ++k) {
      if (!net::known_tls_cipher((*ciphers)[k]))
        ctx.errors.add(child_pointer(o.child("ciphers"), k), "unknown cipher suite " + quote((*ciphers)[k]));
    }
    tls.ciphers = std::move(*ciphers);
  }
  if (auto v = o.uint("handshake_timeout_ms", 1, 600000)) tls.handshake_timeout_ms = static_cast<uint32_t>(*v);
  if (auto v = o.boolean("session_tickets")) tls.session_tickets = *v;
  if (auto v = o.uint("session_ticket_lifetime_ms", 1000, 86400000))
    tls.session_ticket_lifetime_ms = static_cast<uint32_t>(*v);
  static const std::vector<std::string> modes = {"none", "optional", "required"};
  if (auto v = o.choice("client_auth", modes)) tls.client_auth = static_cast<ClientAuth>(*v);
  if (auto p = read_path(ctx, o, "client_ca_file", false)) tls.client_ca_file = *p;
  if (tls.client_auth != ClientAuth::kNone && tls.client_ca_file.empty() && !o.has("client_ca_file"))
    ctx.errors.add(o.child("client_auth"), "client_auth " + quote(modes[static_cast<size_t>(tls.client_auth)]) +
                                               " needs client_ca_file");
  if (auto h = o.string("client_subject_header")) {
    if (!is_token(*h)) ctx.errors.add(o.child("client_subject_header"), "expected a header name, got " + quote(*h));
    tls.client_subject_header = *h;
  }
  if (auto v = o.uint("reload_check_ms", 0, 86400000)) tls.reload_check_ms = static_cast<uint32_t>(*v);
  o.finish();
  if (ctx.errors.count() != before) return std::nullopt;
  return tls;
#endif
}

std::optional<UpstreamTlsOptions> load_upstream_tls(LoadContext& ctx, ObjectReader& upstream) {
  auto value = upstream.get("tls");
  if (!value) return std::nullopt;
  ObjectReader o(ctx.errors, *value, upstream.child("tls"));
  if (!o.ok()) return std::nullopt;
#if !APIGW_WITH_TLS
  ctx.errors.add(o.pointer(), "TLS is not in this build (built with APIGW_WITH_TLS=OFF)");
  return std::nullopt;
#else
  const size_t before = ctx.errors.count();
  UpstreamTlsOptions tls;
  if (auto v = o.string("server_name")) tls.server_name = *v;
  if (auto p = read_path(ctx, o, "ca_file", false)) tls.ca_file = *p;
  if (auto v = o.boolean("verify")) tls.verify = *v;
  if (auto p = read_path(ctx, o, "cert_file", false)) tls.cert_file = *p;
  if (auto p = read_path(ctx, o, "key_file", false)) tls.key_file = *p;
  if (tls.cert_file.empty() != tls.key_file.empty() && o.has("cert_file") != o.has("key_file"))
    ctx.errors.add(o.pointer(), "cert_file and key_file go together");
  o.finish();
  if (ctx.errors.count() != before) return std::nullopt;
  return tls;
#endif
}

}  // namespace apigw::config
