// "consumers": who may call the gateway, and the credentials that name them.
#include <map>

#include "config/secrets.hpp"
#include "config/sections.hpp"
#include "config/syntax.hpp"

namespace apigw::config {

namespace {

constexpr size_t kMaxApiKeyBytes = 1024;  // the api_key policy reads no more

// Keys travel in headers and query strings: printable ASCII, no spaces.
std::string check_api_key(std::string_view key) {
  if (key.size() > kMaxApiKeyBytes) return "is longer than 1024 bytes";
  for (char c : key)
    if (c <= 0x20 || c >= 0x7f) return "may only hold printable ASCII characters without spaces";
  return "";
}

// "k-1", or {"key": ...} / {"key_env": NAME} / {"key_file": PATH}.
std::optional<std::string> read_api_key(LoadContext& ctx, Element item, const std::string& at) {
  std::string_view inline_key;
  if (item.get(inline_key) == simdjson::SUCCESS) {
    if (inline_key.empty()) {
      ctx.errors.add(at, "must not be empty");
      return std::nullopt;
    }
    return std::string(inline_key);
  }
  if (!item.is_object()) {
    ctx.errors.add(at, "expected a key string or an object with \"key\", \"key_env\" or \"key_file\"");
    return std::nullopt;
  }
  ObjectReader o(ctx.errors, item, at);
  bool given = false;
  auto key = read_secret(o, "key", ctx.base_dir, &given);
  if (!given) o.errors().add(at, "needs one of \"key\", \"key_env\", \"key_file\"");
  o.finish();
  return key;
}

}  // namespace

void load_consumers(LoadContext& ctx, Element value, const std::string& pointer) {
  auto items = as_array(ctx.errors, value, pointer);
  if (!items) return;
  std::map<std::string, std::string> key_owner;  // key -> pointer of its first use
  size_t i = 0;
  for (Element item : *items) {
    const std::string at = child_pointer(pointer, i++);
    ObjectReader o(ctx.errors, item, at);
    if (!o.ok()) continue;
    policy::Consumer consumer;
    if (auto id = o.required_string("id")) {
      if (std::string why = check_name(*id); !why.empty())
        ctx.errors.add(o.child("id"), "consumer id " + quote(*id) + " " + why);
      else if (!ctx.consumer_ids.insert(*id).second)
        ctx.errors.add(o.child("id"), "duplicate consumer id " + quote(*id));
      consumer.id = std::move(*id);
    }
    if (auto tags = o.strings("tags")) {
      for (size_t t = 0; t < tags->size(); ++t) {
        if (std::string why = check_name((*tags)[t]); !why.empty())
          ctx.errors.add(child_pointer(o.child("tags"), t), "tag " + quote((*tags)[t]) + " " + why);
        else ctx.consumer_tags.insert((*tags)[t]);
      }
      consumer.tags = std::move(*tags);
    }
    if (auto keys = o.get("api_keys")) {
      const std::string keys_at = o.child("api_keys");
      if (auto list = as_array(ctx.errors, *keys, keys_at)) {
        size_t k = 0;
        for (Element key_item : *list) {
          const std::string key_at = child_pointer(keys_at, k++);
          auto key = read_api_key(ctx, key_item, key_at);
          if (!key) continue;
          // Messages never show a key: they end up in logs and CI output.
          if (std::string why = check_api_key(*key); !why.empty()) {
            ctx.errors.add(key_at, "API key " + why);
            continue;
          }
          auto [pos, fresh] = key_owner.emplace(*key, key_at);
          if (!fresh) {
            ctx.errors.add(key_at, "the same API key as " + pos->second);
            continue;
          }
          consumer.api_keys.push_back(std::move(*key));
        }
      }
    }
    o.finish();
    ctx.consumers.push_back(std::move(consumer));
  }
}

}  // namespace apigw::config
