// "listeners" and "admin": the addresses the gateway binds.
#include <set>

#include "config/secrets.hpp"
#include "config/sections.hpp"
#include "config/syntax.hpp"

namespace apigw::config {

namespace {

std::optional<std::string> read_address(LoadContext& ctx, ObjectReader& o, bool* loopback) {
  auto address = o.required_string("address");
  if (!address) return std::nullopt;
  if (std::string why = check_listen_address(*address, loopback); !why.empty()) {
    o.errors().add(o.child("address"), why + ", got " + quote(*address));
    return std::nullopt;
  }
  const bool any_port = address->size() >= 2 && address->compare(address->size() - 2, 2, ":0") == 0;
  if (!any_port && !ctx.fixed_addresses.insert(*address).second) {
    o.errors().add(o.child("address"), "address " + quote(*address) + " is already used by another listener");
    return std::nullopt;
  }
  return address;
}

}  // namespace

void load_listeners(LoadContext& ctx, Element value, const std::string& pointer) {
  auto items = as_array(ctx.errors, value, pointer);
  if (!items) return;
  if (items->size() == 0) ctx.errors.add(pointer, "at least one listener is needed");
  std::set<std::string> names;
  size_t i = 0;
  for (Element item : *items) {
    const size_t index = i++;
    ObjectReader o(ctx.errors, item, child_pointer(pointer, index));
    if (!o.ok()) continue;
    ListenerOptions listener;
    auto name = o.string("name");
    if (name) {
      if (std::string why = check_name(*name); !why.empty()) {
        ctx.errors.add(o.child("name"), "listener name " + quote(*name) + " " + why);
        name.reset();
      } else {
        listener.name = *name;
      }
    } else if (!o.has("name")) {
      listener.name = "listener-" + std::to_string(index);
    }
    if (!listener.name.empty() && !names.insert(listener.name).second)
      ctx.errors.add(name ? o.child("name") : o.pointer(), "duplicate listener name " + quote(listener.name));
    bool loopback = false;
    if (auto address = read_address(ctx, o, &loopback)) listener.address = *address;
    listener.tls = load_listener_tls(ctx, o);
    o.finish();
    ctx.builder->listener(std::move(listener));
  }
}

void load_admin(LoadContext& ctx, Element value, const std::string& pointer) {
  ObjectReader o(ctx.errors, value, pointer);
  if (!o.ok()) return;
  AdminOptions admin;
  const size_t before = ctx.errors.count();
  bool loopback = false;
  auto address = read_address(ctx, o, &loopback);
  bool token_given = false;
  auto token = read_secret(o, "token", ctx.base_dir, &token_given);
  o.finish();
  // SPEC: without a token, the admin API may only listen on loopback.
  if (address && !loopback && !token_given)
    ctx.errors.add(o.child("address"), "a non-loopback admin address needs a token (\"token\", \"token_env\" or "
                                       "\"token_file\")");
  if (ctx.errors.count() != before) return;
  admin.address = *address;
  admin.token = token.value_or("");
  ctx.builder->admin(std::move(admin));
}

}  // namespace apigw::config
