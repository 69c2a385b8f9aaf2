/*
 * internal.h - conventions and helpers shared by every libgan source file.
 *
 * Conventions (written down once, used everywhere):
 *   - Layout is NCHW. N = batch, C = channels, H = height, W = width;
 *     F = features of a flat vector (F = C*H*W).
 *   - A buffer named dX holds dLoss/dX. Parameter gradients ACCUMULATE (+=)
 *     and must be zeroed before a backward pass; activation gradients are
 *     WRITTEN (=).
 *   - Every buffer carries a shape comment, e.g. `float *y; // (N, F)`.
 *   - Library code reports failures with gan_fail(status, fmt, ...), which
 *     records a one-line message for gan_last_error() and returns status.
 *     It never prints and never exits.
 */
#ifndef GAN_INTERNAL_H
#define GAN_INTERNAL_H

#include "gan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* gan_fail(status, fmt, ...) and GAN_PRINTF are declared in gan.h. */

/* Prefix the current error message with "prefix: " (keeps the status). */
gan_status gan_fail_prefix(gan_status status, const char *prefix);

#define GAN_TRY(expr)                                                                              \
    do {                                                                                           \
        gan_status gan__s = (expr);                                                                \
        if (gan__s != GAN_OK) return gan__s;                                                       \
    } while (0)

/* A monotonic clock in seconds (clock.c): differences are durations. */
double gan_now_seconds(void);

/* FNV-1a, 64 bits: h (start with GAN_FNV1A64_BASIS) folded with n bytes
 * at p. Cache keys, classifier ids and rank-agreement checks use it. */
#define GAN_FNV1A64_BASIS 0xcbf29ce484222325ull
static inline uint64_t gan_fnv1a64(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

#define GAN_MIN(a, b) ((a) < (b) ? (a) : (b))
#define GAN_MAX(a, b) ((a) > (b) ? (a) : (b))

#ifdef __cplusplus
}
#endif

#endif /* GAN_INTERNAL_H */
