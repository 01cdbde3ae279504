// "telemetry": the access log and tracing.
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

void load_tracing(LoadContext& ctx, Element value, const std::string& pointer) {
  ObjectReader o(ctx.errors, value, pointer);
  if (!o.ok()) return;
  const size_t before = ctx.errors.count();
  TracingOptions t;
  if (auto v = o.required_string("otlp_endpoint")) {
    if (v->rfind("http://", 0) != 0)
      ctx.errors.add(o.child("otlp_endpoint"), "expected an http:// URL of an OTLP/HTTP collector, e.g. "
                                               "\"http://127.0.0.1:4318/v1/traces\"");
    t.otlp_endpoint = *v;
  }
  if (auto v = o.number("sample_ratio", 0, 1)) t.sample_ratio = *v;
  if (auto v = o.string("service_name")) t.service_name = *v;
  if (auto v = o.uint("max_queued_spans", 1, 10'000'000)) t.max_queued_spans = static_cast<uint32_t>(*v);
  if (auto v = o.uint("batch_spans", 1, 100'000)) t.batch_spans = static_cast<uint32_t>(*v);
  if (auto v = o.uint("flush_interval_ms", 10, 3'600'000)) t.flush_interval_ms = static_cast<uint32_t>(*v);
  if (auto v = o.uint("export_timeout_ms", 10, 600'000)) t.export_timeout_ms = static_cast<uint32_t>(*v);
  o.finish();
  if (ctx.errors.count() == before) ctx.builder->tracing(std::move(t));
}

}  // namespace

void load_telemetry(LoadContext& ctx, Element value, const std::string& pointer) {
  ObjectReader o(ctx.errors, value, pointer);
  if (!o.ok()) return;
  if (auto v = o.get("access_log")) load_access_log(ctx, *v, o.child("access_log"));
  if (auto v = o.get("tracing")) load_tracing(ctx, *v, o.child("tracing"));
  o.finish();
}

}  // namespace apigw::config
