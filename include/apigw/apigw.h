/* apigw.h: the stable C ABI of apigw (C99, standard headers only).
 *
 * Rules (docs/c-abi.md): opaque handles, functions named apigw_<object>_<verb>,
 * int32_t status codes (0 ok, negative errors, never renumbered), an optional
 * caller-supplied error buffer, *_free(NULL) is a no-op, and an OWNERSHIP line
 * on every pointer. Versions with the same ABI major are compatible.
 *
 * This first cut exposes the version calls; the gateway calls grow in later
 * releases without renumbering anything here. */
#ifndef APIGW_H
#define APIGW_H

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
#define APIGW_ABI_MINOR 1

/* (major << 16) | minor of the library actually loaded. */
APIGW_EXTERN uint32_t apigw_abi_version(void);

/* OWNERSHIP: a static string owned by the library; never free it. */
APIGW_EXTERN const char *apigw_version(void);

#ifdef __cplusplus
}
#endif

#endif /* APIGW_H */
