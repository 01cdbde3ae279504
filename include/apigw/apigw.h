/* apigw.h: the stable C ABI of apigw (C99, standard headers only).
 *
 * Rules: opaque handles, functions named apigw_<object>_<verb>, int32_t status
 * codes (APIGW_OK == 0, errors negative, never renumbered), a trailing
 * caller-supplied error buffer (err, errlen) that may be NULL, *_free(NULL) is
 * a no-op, versioned structs start with struct_size and only grow at the end,
 * and an OWNERSHIP line on every pointer. Versions with the same ABI major are
 * compatible. Nothing unwinds out of these functions.
 *
 * Threads: functions tagged THREAD-SAFE may be called from any thread. The
 * others are called by the host on one thread at a time per gateway, or from
 * inside the callback that received the handle. Callbacks run on the
 * gateway's worker threads (or on the thread of apigw_gateway_run, or on the
 * host's loop thread with apigw_gateway_attach).
 *
 * The smallest host program:
 *
 *   static int32_t on_hello(void *user, const apigw_request *req, apigw_response *res) {
 *     apigw_response_set_status(res, 200);
 *     apigw_response_set_body(res, "hi\n", 3);
 *     return APIGW_OK;
 *   }
 *   char err[APIGW_ERRBUF_SIZE];
 *   apigw_gateway *gw = NULL;
 *   if (apigw_gateway_new_from_json(json, strlen(json), &gw, err, sizeof err) != APIGW_OK
 *       || apigw_gateway_add_handler(gw, "hello", on_hello, NULL, err, sizeof err) != APIGW_OK
 *       || apigw_gateway_start(gw, err, sizeof err) != APIGW_OK) { fprintf(stderr, "%s\n", err); }
 *   ...
 *   apigw_gateway_stop(gw, 1000);
 *   apigw_gateway_free(gw);
 */
#ifndef APIGW_H
#define APIGW_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define APIGW_EXTERN __attribute__((visibility("default")))
#else
#define APIGW_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define APIGW_ABI_MAJOR 0
#define APIGW_ABI_MINOR 4

/* (major << 16) | minor of the library actually loaded. */
APIGW_EXTERN uint32_t apigw_abi_version(void);

/* OWNERSHIP: a static string owned by the library; never free it. */
APIGW_EXTERN const char *apigw_version(void);

/* ---- Status codes --------------------------------------------------------- */

typedef int32_t apigw_status;

#define APIGW_OK 0
#define APIGW_E_INVALID (-1)   /* a bad argument: NULL, an empty name, a status out of range ... */
#define APIGW_E_CONFIG (-2)    /* the configuration does not validate */
#define APIGW_E_STATE (-3)     /* not allowed now: already running, already stopped ... */
#define APIGW_E_IO (-4)        /* cannot listen: address in use, permission ... */
#define APIGW_E_NOMEM (-5)     /* out of memory */
#define APIGW_E_INTERNAL (-6)  /* a bug in apigw */
#define APIGW_E_NOT_FOUND (-7) /* no such item (index beyond the end, unknown name) */
#define APIGW_E_TRUNCATED (-8) /* the caller's buffer is too small; it holds a truncated copy */

/* Big enough for one error message; pass a larger buffer to get every
 * config error (one per line, "JSON-POINTER: message"). */
#define APIGW_ERRBUF_SIZE 256

/* OWNERSHIP: static strings owned by the library; never free them.
 * "APIGW_E_CONFIG" / "the configuration does not validate"; unknown codes
 * get "APIGW_E_UNKNOWN" / "unknown status code". THREAD-SAFE. */
APIGW_EXTERN const char *apigw_status_name(int32_t status);
APIGW_EXTERN const char *apigw_status_str(int32_t status);

/* ---- Borrowed strings ---------------------------------------------------- */

/* Bytes that are not NUL-terminated.
 * OWNERSHIP: ptr is borrowed from the library and valid only until the
 * callback that produced it returns; copy what you keep. ptr is NULL (and len
 * 0) when the item is absent, non-NULL when it is present but empty. */
typedef struct apigw_str {
  const char *ptr;
  size_t len;
} apigw_str;

/* ---- Opaque handles ------------------------------------------------------ */

typedef struct apigw_gateway apigw_gateway;   /* a gateway: config, host callbacks, workers */
typedef struct apigw_builder apigw_builder;   /* a configuration built step by step */
typedef struct apigw_request apigw_request;   /* the request, inside a callback */
typedef struct apigw_response apigw_response; /* the answer, inside a callback or deferred */

/* A libuv loop (uv_loop_t) the host owns; apigw never runs it. */
struct uv_loop_s;

/* ---- Callbacks ----------------------------------------------------------- */

/* A handler answers a request: set the answer on res and return APIGW_OK, or
 * take res over with apigw_response_defer and return APIGW_OK to answer
 * later. Any other return value answers 500.
 * OWNERSHIP: req and res are borrowed for the duration of the call; user is
 * the pointer given at registration, never touched by apigw. */
typedef int32_t (*apigw_handler_fn)(void *user, const apigw_request *req, apigw_response *res);

/* A policy phase returns a decision. APIGW_RESPOND: the answer set on res
 * goes out (request phases) or replaces the current one (response phases).
 * APIGW_PAUSE: only after apigw_response_defer; the request waits for
 * apigw_response_resume or apigw_response_complete. Any other value is
 * treated as APIGW_FAIL (a 500): a broken policy fails closed. */
#define APIGW_CONTINUE 0
#define APIGW_RESPOND 1
#define APIGW_PAUSE 2
#define APIGW_FAIL 3

/* OWNERSHIP: req and res are borrowed for the duration of the call. */
typedef int32_t (*apigw_phase_fn)(void *user, apigw_request *req, apigw_response *res);
typedef void (*apigw_log_fn)(void *user, const apigw_request *req, const apigw_response *res);

/* A custom policy stage: phase callbacks under the phase names of the C++
 * Policy interface, in the order they run. A NULL phase means
 * APIGW_CONTINUE. Set struct_size = sizeof(apigw_policy_vtable); fields are
 * only ever appended, and the library reads no further than struct_size. */
typedef struct apigw_policy_vtable {
  uint32_t struct_size;
  apigw_phase_fn on_request;
  apigw_phase_fn on_request_body; /* sees the whole body only with needs_request_body */
  apigw_phase_fn select_upstream;
  apigw_phase_fn on_upstream_request;
  apigw_phase_fn on_upstream_response;
  apigw_phase_fn on_response;
  apigw_phase_fn on_response_body; /* sees the whole body only with response_body_limit */
  apigw_log_fn on_log; /* after the answer went out; may not change anything */
  int32_t needs_request_body; /* nonzero: buffer the body before on_request_body */
  /* ABI 0.4. Nonzero: on_response_body reads or rewrites the answer's body
   * (apigw_response_body, apigw_response_set_body) and holds up to this many
   * bytes: a proxied answer is buffered up to the largest limit of the
   * route's policies before the response phases run, and goes out whole with
   * its new length. A longer answer is not held: on_response_body runs once
   * with apigw_response_body_overflowed set and what arrived so far, may
   * return APIGW_FAIL, and cannot change the body (which then streams on).
   * With 0 everywhere on a route, on_response_body never runs there. */
  size_t response_body_limit;
} apigw_policy_vtable;

/* A rate-limit key function: a rate_limit or quota policy with
 * "key": "host:NAME" asks it for the request's key. It writes the key into
 * buf and returns its length; 0 means the request has no key (the policy's
 * missing_key applies). A length above buflen means the key did not fit: the
 * function is called once more, with a buffer of that length (keys longer
 * than APIGW_RATE_LIMIT_KEY_MAX count as none). Called on the worker threads,
 * several at once.
 * OWNERSHIP: req is borrowed for the call; buf is the library's, written by
 * the function during the call only; user is the pointer given at
 * registration. */
typedef size_t (*apigw_rate_limit_key_fn)(void *user, const apigw_request *req, char *buf, size_t buflen);

#define APIGW_RATE_LIMIT_KEY_MAX 65536

/* Called once, on the loop's thread, when an attached gateway has stopped. */
typedef void (*apigw_stopped_fn)(void *user);

/* ---- Gateway ------------------------------------------------------------- */

/* Parses and checks a JSON config (SPEC.md section 2) and makes a gateway
 * that is not running yet. Routes may name handlers and policies that the
 * host registers before start. On error *out stays NULL and err holds every
 * error, one per line.
 * OWNERSHIP: json is borrowed for the call; *out is owned by the caller, who
 * frees it with apigw_gateway_free. */
APIGW_EXTERN int32_t apigw_gateway_new_from_json(const char *json, size_t len, apigw_gateway **out, char *err,
                                                 size_t errlen);

/* The same from a builder (see below), which stays owned by the caller and
 * may be reused or freed at once. */
APIGW_EXTERN int32_t apigw_gateway_new_from_builder(const apigw_builder *builder, apigw_gateway **out, char *err,
                                                    size_t errlen);

/* Registers handler `name` (replacing one of the same name). Before start;
 * later registrations take effect at the next reload.
 * OWNERSHIP: name is copied; user is kept and passed to fn, and must stay
 * valid until apigw_gateway_free returns. */
APIGW_EXTERN int32_t apigw_gateway_add_handler(apigw_gateway *gw, const char *name, apigw_handler_fn fn, void *user,
                                               char *err, size_t errlen);

/* Registers custom policy stage `name`, usable in a route's "policies".
 * The same timing as apigw_gateway_add_handler.
 * OWNERSHIP: name and *vtable are copied; user as for handlers. */
APIGW_EXTERN int32_t apigw_gateway_add_policy(apigw_gateway *gw, const char *name, const apigw_policy_vtable *vtable,
                                              void *user, char *err, size_t errlen);

/* Registers rate-limit key function `name` for "key": "host:NAME" (alone or
 * in a key array) of rate_limit and quota policies, replacing one of the
 * same name. The same timing as apigw_gateway_add_handler; a config naming a
 * function that is not registered is refused at start or reload.
 * OWNERSHIP: name is copied; user as for handlers. */
APIGW_EXTERN int32_t apigw_gateway_add_rate_limit_key(apigw_gateway *gw, const char *name, apigw_rate_limit_key_fn fn,
                                                      void *user, char *err, size_t errlen);

/* Binds the listeners and serves on worker threads of the gateway's own;
 * returns at once. */
APIGW_EXTERN int32_t apigw_gateway_start(apigw_gateway *gw, char *err, size_t errlen);

/* Binds and serves on the calling thread; returns after apigw_gateway_stop
 * (called from another thread or from a callback). A stop from another
 * thread counts once the gateway serves (apigw_gateway_address succeeds);
 * one that comes earlier may be missed. */
APIGW_EXTERN int32_t apigw_gateway_run(apigw_gateway *gw, char *err, size_t errlen);

/* Binds and serves on `loop`, which the host owns and runs. To finish: call
 * apigw_gateway_stop on the loop's thread, keep running the loop until
 * on_stopped(user) is called (exactly once if this call succeeded, never if
 * it failed), then free the gateway.
 * OWNERSHIP: loop is borrowed until on_stopped; on_stopped may be NULL. */
APIGW_EXTERN int32_t apigw_gateway_attach(apigw_gateway *gw, struct uv_loop_s *loop, apigw_stopped_fn on_stopped,
                                          void *user, char *err, size_t errlen);

/* Swaps in a new config atomically; requests in flight finish on the old one.
 * Registered handlers and policies carry over. Listeners and workers are
 * fixed at start (changing them is refused). On error the old config keeps
 * serving. THREAD-SAFE.
 * OWNERSHIP: json is borrowed for the call. */
APIGW_EXTERN int32_t apigw_gateway_reload_json(apigw_gateway *gw, const char *json, size_t len, char *err,
                                               size_t errlen);
APIGW_EXTERN int32_t apigw_gateway_reload_builder(apigw_gateway *gw, const apigw_builder *builder, char *err,
                                                  size_t errlen);

/* Stops accepting, lets requests in flight finish for up to drain_ms (the
 * configured drain_timeout_ms when negative), then closes everything. With
 * apigw_gateway_start it blocks until the workers have exited, so call it
 * from a host thread there, not from a callback. A stopped gateway cannot
 * start again. A no-op on NULL or a gateway that is not running. THREAD-SAFE. */
APIGW_EXTERN void apigw_gateway_stop(apigw_gateway *gw, int64_t drain_ms);

/* Stops (without drain) if still running, and frees. NULL is a no-op.
 * OWNERSHIP: gw is freed; user pointers are not touched. */
APIGW_EXTERN void apigw_gateway_free(apigw_gateway *gw);

/* Copies the address listener `index` is bound to ("127.0.0.1:8080", NUL
 * terminated) into buf: useful with port 0. APIGW_E_NOT_FOUND beyond the
 * last listener or before the gateway is serving. THREAD-SAFE.
 * OWNERSHIP: buf is the caller's. */
APIGW_EXTERN int32_t apigw_gateway_address(apigw_gateway *gw, size_t index, char *buf, size_t buflen);

/* Requests in flight across all workers (0 when not running). THREAD-SAFE. */
APIGW_EXTERN uint64_t apigw_gateway_active_requests(apigw_gateway *gw);

/* Removes the answers whose path starts with `prefix` ("/" for all) from
 * every cache policy's store, on every worker at once, and writes how many
 * went into *removed (may be NULL). A gateway that is not serving yet has
 * none. APIGW_E_INVALID unless prefix starts with '/'. ABI 0.4. THREAD-SAFE.
 * OWNERSHIP: prefix (len bytes, no NUL needed) is borrowed for the call. */
APIGW_EXTERN int32_t apigw_gateway_purge_cache(apigw_gateway *gw, const char *prefix, size_t len, uint64_t *removed,
                                               char *err, size_t errlen);

/* The kill switch: a disabled route answers 503 with Retry-After on every
 * worker at once, and stays disabled across reloads until enabled again
 * (enabled nonzero). APIGW_E_NOT_FOUND for a route the running config does
 * not have, APIGW_E_STATE before start. ABI 0.4. THREAD-SAFE.
 * OWNERSHIP: route is borrowed for the call. */
APIGW_EXTERN int32_t apigw_gateway_set_route_enabled(apigw_gateway *gw, const char *route, int32_t enabled, char *err,
                                                     size_t errlen);

/* Emergency override of rate_limit policy `policy`: a new limit (1..1e9)
 * and burst (0..1e9), window unchanged, on every worker at once, kept
 * across reloads until removed. APIGW_E_NOT_FOUND when the running config
 * has no such policy, APIGW_E_STATE before start, APIGW_E_INVALID for a
 * limit out of range. ABI 0.4. THREAD-SAFE.
 * OWNERSHIP: policy is borrowed for the call. */
APIGW_EXTERN int32_t apigw_gateway_set_rate_limit_override(apigw_gateway *gw, const char *policy, uint64_t limit,
                                                           uint64_t burst, char *err, size_t errlen);
APIGW_EXTERN int32_t apigw_gateway_remove_rate_limit_override(apigw_gateway *gw, const char *policy, char *err,
                                                              size_t errlen);

/* ---- Builder: a config step by step -------------------------------------- */

/* OWNERSHIP: *out is owned by the caller; free it with apigw_builder_free. */
APIGW_EXTERN int32_t apigw_builder_new(apigw_builder **out, char *err, size_t errlen);
APIGW_EXTERN void apigw_builder_free(apigw_builder *builder);

/* Everything below copies its string arguments; the builder checks
 * arguments at once and the whole config in apigw_gateway_new_from_builder. */
APIGW_EXTERN int32_t apigw_builder_set_workers(apigw_builder *builder, uint32_t workers, char *err, size_t errlen);
/* address: "IP:PORT" or "[IPv6]:PORT"; port 0 picks a free one. */
APIGW_EXTERN int32_t apigw_builder_add_listener(apigw_builder *builder, const char *name, const char *address,
                                                char *err, size_t errlen);
/* An upstream pool with default options (round robin, SPEC.md defaults). */
APIGW_EXTERN int32_t apigw_builder_add_upstream(apigw_builder *builder, const char *name, char *err, size_t errlen);
/* address: "IP:PORT" or "hostname:PORT"; weight 1..1000. */
APIGW_EXTERN int32_t apigw_builder_add_target(apigw_builder *builder, const char *upstream, const char *address,
                                              uint32_t weight, char *err, size_t errlen);
/* A built-in policy by type with its options as a JSON object (the keys of
 * SPEC.md's policy object besides "name" and "type"; NULL or "" for none),
 * e.g. type "rate_limit", options {"key": "ip", "limit": 10, "window_ms": 1000}.
 * OWNERSHIP: options_json is borrowed for the call. */
APIGW_EXTERN int32_t apigw_builder_add_policy(apigw_builder *builder, const char *name, const char *type,
                                              const char *options_json, size_t len, char *err, size_t errlen);

/* A route. Set struct_size = sizeof(apigw_route_options) and leave unused
 * fields zero (C99: designated initializers). Exactly one target: handler,
 * upstream, or respond_status != 0.
 * OWNERSHIP: every pointer is borrowed for the call and copied. */
typedef struct apigw_route_options {
  uint32_t struct_size;
  const char *name;
  const char *path;        /* exact or pattern (/users/{id}, /files/{*rest}) ... */
  const char *path_prefix; /* ... or a plain prefix */
  const char *method;      /* NULL: any method */
  const char *handler;
  const char *upstream;
  int32_t respond_status;   /* a static answer: 100..599 */
  const char *respond_body; /* with respond_status; {param} placeholders are filled in */
  const char *const *policies; /* policy names, run in this order */
  size_t policy_count;
} apigw_route_options;

APIGW_EXTERN int32_t apigw_builder_add_route(apigw_builder *builder, const apigw_route_options *route, char *err,
                                             size_t errlen);

/* ---- Request (inside a handler or a phase) ------------------------------- */

/* OWNERSHIP: every apigw_str returned here is borrowed until the callback
 * returns. A NULL req gives an absent string. */
APIGW_EXTERN apigw_str apigw_request_method(const apigw_request *req);
APIGW_EXTERN apigw_str apigw_request_path(const apigw_request *req);  /* without the query */
APIGW_EXTERN apigw_str apigw_request_query(const apigw_request *req); /* without the '?' */
APIGW_EXTERN apigw_str apigw_request_body(const apigw_request *req);
APIGW_EXTERN apigw_str apigw_request_client_ip(const apigw_request *req);
/* The first field called `name` (case-insensitive); absent: ptr NULL. */
APIGW_EXTERN apigw_str apigw_request_header(const apigw_request *req, const char *name);
/* The route's path parameter `name`; absent: ptr NULL. */
APIGW_EXTERN apigw_str apigw_request_param(const apigw_request *req, const char *name);
/* The consumer an auth policy identified; absent: ptr NULL. */
APIGW_EXTERN apigw_str apigw_request_consumer(const apigw_request *req);

/* Every header field in order: index 0 .. count-1. */
APIGW_EXTERN size_t apigw_request_header_count(const apigw_request *req);
APIGW_EXTERN int32_t apigw_request_header_at(const apigw_request *req, size_t index, apigw_str *name,
                                             apigw_str *value);

/* Every path parameter of the matched route in order: index 0 .. count-1. */
APIGW_EXTERN size_t apigw_request_param_count(const apigw_request *req);
APIGW_EXTERN int32_t apigw_request_param_at(const apigw_request *req, size_t index, apigw_str *name,
                                            apigw_str *value);

/* Request phases only: change what the rest of the chain and the upstream see.
 * OWNERSHIP: name, value and id are copied. */
APIGW_EXTERN int32_t apigw_request_set_header(apigw_request *req, const char *name, const char *value);
APIGW_EXTERN int32_t apigw_request_set_consumer(apigw_request *req, const char *id);

/* ---- Response ------------------------------------------------------------ */

/* Set the answer (status 200 and no body by default). set_header replaces
 * every field of that name. set_body is refused (APIGW_E_STATE) on an answer
 * that overflowed the response_body_limit: its rest still streams.
 * OWNERSHIP: name, value and body are copied. */
APIGW_EXTERN int32_t apigw_response_set_status(apigw_response *res, int32_t status);
APIGW_EXTERN int32_t apigw_response_set_header(apigw_response *res, const char *name, const char *value);
APIGW_EXTERN int32_t apigw_response_set_body(apigw_response *res, const void *body, size_t len);

/* Read the answer so far (response phases, on_log). Not for deferred ones. */
APIGW_EXTERN int32_t apigw_response_status(const apigw_response *res);
APIGW_EXTERN apigw_str apigw_response_header(const apigw_response *res, const char *name);
/* The answer's body so far: whole in on_response_body on routes with a
 * response_body_limit (see apigw_policy_vtable). ABI 0.4.
 * OWNERSHIP: borrowed until the callback returns. */
APIGW_EXTERN apigw_str apigw_response_body(const apigw_response *res);
/* 1 when the answer was longer than the route's response_body_limit
 * (apigw_response_body holds only its beginning and the body cannot be set),
 * 0 when not, APIGW_E_INVALID for NULL or a deferred response. ABI 0.4. */
APIGW_EXTERN int32_t apigw_response_body_overflowed(const apigw_response *res);

/* Takes the answer over to finish it later, from any thread: returns a
 * deferred response (NULL if res was already deferred or cannot be). Return
 * APIGW_OK from the handler, or APIGW_PAUSE from the phase, right after.
 * Then set status, headers and body on the deferred response and call
 * apigw_response_complete; a phase may instead call apigw_response_resume to
 * go on with the next stage. If the client has gone meanwhile, completing is
 * still safe and simply dropped.
 * OWNERSHIP: the deferred response is owned by the caller until exactly one
 * of apigw_response_complete / apigw_response_resume, which frees it. */
APIGW_EXTERN apigw_response *apigw_response_defer(apigw_response *res);

/* Sends the answer set on `deferred` and frees it. THREAD-SAFE (one thread
 * at a time per deferred response). */
APIGW_EXTERN int32_t apigw_response_complete(apigw_response *deferred);

/* Policies: goes on with the next stage (what was set on `deferred` is
 * discarded) and frees it. THREAD-SAFE as above. */
APIGW_EXTERN int32_t apigw_response_resume(apigw_response *deferred);

#ifdef __cplusplus
}
#endif

#endif /* APIGW_H */
