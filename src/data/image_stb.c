/*
 * image_stb.c - the one compiled copy of Debian's stb_image (PNG, JPEG, BMP
 * decoders; libstb-dev, headers in /usr/include/stb).
 *
 * Only the three formats gan.c reads are compiled in (fewer decoders, less
 * attack surface; TGA has no magic bytes and would take random files).
 * Everything is static to this file: the rest of libgan calls the wrappers
 * in image_decode.c, declared in image_stb.h.
 */
#include "data/image_stb.h"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmisleading-indentation"
#pragma GCC diagnostic ignored "-Wtype-limits"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#include <stb/stb_image.h>
/* (the diagnostics stay off to the end of the file: GCC reports the
   header's unused static declarations there) */

bool image_stb_info(const uint8_t *buf, size_t len, int *w, int *h, int *comp) {
    if (len > (size_t)0x7fffffff) return false;
    return stbi_info_from_memory(buf, (int)len, w, h, comp) == 1;
}

uint8_t *image_stb_load_rgba(const uint8_t *buf, size_t len, int *w, int *h) {
    if (len > (size_t)0x7fffffff) return NULL;
    int comp = 0;
    return stbi_load_from_memory(buf, (int)len, w, h, &comp, 4);
}

void image_stb_free(uint8_t *pixels) {
    stbi_image_free(pixels);
}

const char *image_stb_failure(void) {
    const char *r = stbi_failure_reason();
    return r ? r : "unknown error";
}
