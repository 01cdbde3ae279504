// JSON -> options of the schema policy: the schema (inline or from a file),
// compiled here, once, with its errors at their JSON pointers.
#include "config/policy_options.hpp"
#include "config/secrets.hpp"
#include "policy/json_schema.hpp"
#include "policy/media_type.hpp"

namespace apigw::config {

namespace {

constexpr uint64_t kDefaultMaxDepth = 64;
constexpr uint64_t kMaxMaxDepth = 1024;         // simdjson's own default ceiling
constexpr size_t kMaxSchemaFile = 4u << 20;

std::shared_ptr<const policy::JsonSchema> schema_from_file(ObjectReader& o, const LoadContext& ctx,
                                                           const std::string& file, uint32_t max_depth) {
  const std::string path = resolve_path(ctx.base_dir, file);
  std::string text;
  std::string why = file.find('\0') != std::string::npos ? "the name holds a NUL byte"
                                                         : read_file_to_string(path, &text, kMaxSchemaFile);
  if (!why.empty()) {
    o.errors().add(o.child("schema_file"), "cannot read " + quote(path) + ": " + why);
    return nullptr;
  }
  std::vector<policy::JsonSchema::Error> errors;
  auto schema = policy::JsonSchema::compile(text, max_depth, &errors);
  // The pointers are within the file: name it, then the place in it.
  for (auto& e : errors)
    o.errors().add(o.child("schema_file"), quote(path) + (e.pointer.empty() ? "" : " at " + e.pointer) + ": " + e.message);
  return schema;
}

}  // namespace

std::optional<policy::SchemaOptions> read_schema_options(ObjectReader& o, const LoadContext& ctx) {
  policy::SchemaOptions opts;
  bool ok = true;
  auto max_depth = o.uint("max_depth", 1, kMaxMaxDepth);
  if (o.has("max_depth") && !max_depth) ok = false;
  const auto depth = static_cast<uint32_t>(max_depth.value_or(kDefaultMaxDepth));

  if (o.has("content_types")) {
    auto types = o.strings("content_types");
    if (!types) {
      ok = false;
    } else if (types->empty()) {
      o.errors().add(o.child("content_types"), "expected at least one media type");
      ok = false;
    } else {
      for (size_t i = 0; i < types->size(); ++i) {
        policy::MediaType m;
        if (!policy::parse_media_type((*types)[i], &m)) {
          o.errors().add(child_pointer(o.child("content_types"), i),
                         quote((*types)[i]) + " is not a media type such as \"application/json\"");
          ok = false;
        }
      }
      opts.content_types = std::move(*types);
    }
  }

  auto inline_schema = o.get("schema");
  auto file = o.string("schema_file");
  if (inline_schema && o.has("schema_file")) {
    o.errors().add(o.pointer(), "give only one of \"schema\" and \"schema_file\"");
    return std::nullopt;
  }
  if (inline_schema) {
    std::vector<policy::JsonSchema::Error> errors;
    opts.schema = policy::JsonSchema::compile(*inline_schema, o.child("schema"), depth, &errors);
    for (auto& e : errors) o.errors().add(std::move(e.pointer), std::move(e.message));
  } else if (file) {
    opts.schema = schema_from_file(o, ctx, *file, depth);
  } else {
    if (!o.has("schema_file")) o.errors().add(o.pointer(), "missing required key \"schema\" (or \"schema_file\")");
    return std::nullopt;
  }
  if (!ok || !opts.schema) return std::nullopt;
  return opts;
}

}  // namespace apigw::config
