/*
 * tool_util.h - small macros the `gan` tools share: return early on a
 * failed libgan call, and min. (The library has its own copies in
 * src/internal.h; tools include only gan.h from the library.)
 */
#ifndef GAN_TOOL_UTIL_H
#define GAN_TOOL_UTIL_H

#include "gan.h"

#ifndef GAN_TRY
#define GAN_TRY(expr)                                                                              \
    do {                                                                                           \
        gan_status gan__s = (expr);                                                                \
        if (gan__s != GAN_OK) return gan__s;                                                       \
    } while (0)
#endif

#ifndef GAN_MIN
#define GAN_MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

#endif /* GAN_TOOL_UTIL_H */
