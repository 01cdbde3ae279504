// "telemetry": the access log (tracing is not in this build yet).
#include "config/sections.hpp"

namespace apigw::config {
namespace {

void load_access_log(LoadContext& ctx, Element value, const std::string& pointer) {
  ObjectReader o(ctx.errors, value, pointer);
  if (!o.ok()) return;
  const size_t before = ctx.errors.count();
  AccessLogOptions log;
  if (auto path = o.string("path")) {
    if (path->empty()) ctx.errors.add(o.child("path"), "expected a file path or \"-\" (standard output)");
    else if (*path == "-" || path->front() == '/') log.path = *path;
    else log.path = ctx.base_dir + "/" + *path;  // relative to the config file, like *_file secrets
  }
  (void)o.choice("format", {"json"});
  if (auto v = o.number("sample_ratio", 0, 1)) log.sample_ratio = *v;
  if (auto v = o.uint("max_queued_kib", 1, 1u << 20)) log.max_queued_bytes = *v * 1024;
  o.finish();
  if (ctx.errors.count() == before) ctx.builder->access_log(std::move(log));
}

}  // namespace

void load_telemetry(LoadContext& ctx, Element value, const std::string& pointer) {
  ObjectReader o(ctx.errors, value, pointer);
  if (!o.ok()) return;
  if (auto v = o.get("access_log")) load_access_log(ctx, *v, o.child("access_log"));
  o.unsupported("tracing", "tracing is not in this build yet");
  o.finish();
}

}  // namespace apigw::config
