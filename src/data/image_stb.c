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

/* Debian's stb_image 2.27 builds a JPEG Huffman table from the 16 code
 * counts of a DHT segment without checking that they sum to at most 256,
 * writing past its 257-entry size list (found by tests/fuzz/fuzz_image.c;
 * later stb versions refuse such a table). Walk the JPEG's segments as stb
 * will, and refuse a file with such a table before stb sees it. Bytes past
 * the end read as 0, as stb's reader gives them. Not a JPEG: true. */
static _Thread_local const char *own_failure; /* why our check refused, or NULL */
static const char *const bad_huffman = "corrupt JPEG: a Huffman table of more than 256 codes";
/* stb 2.27 also decodes a scan with a Huffman table that no DHT defined (its
 * tables are uninitialised memory: index 16777570 of a 256-entry array,
 * found by fuzz_image); refuse that too. */
static const char *const undefined_huffman = "corrupt JPEG: a scan uses a Huffman table no DHT defined";

static unsigned jpeg_byte(const uint8_t *buf, size_t len, size_t at) {
    return at < len ? buf[at] : 0u;
}

/* NULL when stb may decode buf safely, else why not. */
static const char *jpeg_huffman_problem(const uint8_t *buf, size_t len) {
    bool defined[2][4] = {{false}}, progressive = false; /* [DC 0 / AC 1][table] */
    /* stb reads a marker as 0xFF, any more 0xFF fill bytes, then the code:
       "FF FF D8" is a JPEG to it too */
    size_t i = 0;
    if (len < 4 || buf[0] != 0xFF) return NULL;
    while (i < len && buf[i] == 0xFF) i++;
    if (i >= len || buf[i] != 0xD8) return NULL;
    i++;
    while (i + 4 <= len) {
        unsigned m = buf[i + 1];
        if (buf[i] != 0xFF || m == 0xFF) { /* fill bytes, or junk stb skips */
            i++;
            continue;
        }
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { /* no length */
            i += 2;
            continue;
        }
        if (m == 0xD9) return NULL;
        size_t seg = (size_t)buf[i + 2] << 8 | buf[i + 3];
        if (seg < 2) return NULL; /* stb refuses it */
        if (m == 0xC4) {
            long left = (long)seg - 2;
            size_t at = i + 4;
            while (left > 0) {
                unsigned n = 0;
                for (size_t k = 1; k <= 16; k++) n += jpeg_byte(buf, len, at + k);
                if (n > 256) return bad_huffman;
                unsigned q = jpeg_byte(buf, len, at);
                if (q >> 4 <= 1 && (q & 15) <= 3) defined[q >> 4][q & 15] = true;
                left -= 17 + (long)n;
                at += 17 + n;
            }
        }
        if (m == 0xC2) progressive = true;
        if (m == 0xDA) { /* the tables this scan decodes with must exist (as stb uses them) */
            unsigned ns = jpeg_byte(buf, len, i + 4);
            size_t after = i + 5 + 2 * (size_t)ns;
            unsigned ss = jpeg_byte(buf, len, after), ah = jpeg_byte(buf, len, after + 2) >> 4;
            bool need_dc = progressive ? ss == 0 && ah == 0 : true, need_ac = progressive ? ss > 0 : true;
            for (unsigned k = 0; k < ns && k < 4; k++) {
                unsigned sel = jpeg_byte(buf, len, i + 6 + 2 * (size_t)k);
                if ((need_dc && (sel >> 4) <= 3 && !defined[0][sel >> 4]) ||
                    (need_ac && (sel & 15) <= 3 && !defined[1][sel & 15]))
                    return undefined_huffman;
            }
        }
        i += 2 + seg;
        if (m == 0xDA) { /* entropy-coded data up to the next real marker */
            /* as stb's bit reader: FF, any more FF fill, then 00 (a stuffed
               FF) or RSTn is data; then anything else is the marker (so
               "FF FF FF 00 FF C4" holds a DHT: found by fuzz_image) */
            while (i < len) {
                if (buf[i] != 0xFF) {
                    i++;
                    continue;
                }
                size_t j = i + 1;
                while (j < len && buf[j] == 0xFF) j++;
                if (j < len && (buf[j] == 0 || (buf[j] >= 0xD0 && buf[j] <= 0xD7))) {
                    i = j + 1;
                    continue;
                }
                i = j - 1; /* the marker's FF, its code next */
                break;
            }
        }
    }
    return NULL;
}

bool image_stb_info(const uint8_t *buf, size_t len, int *w, int *h, int *comp) {
    if (len > (size_t)0x7fffffff) return false;
    own_failure = jpeg_huffman_problem(buf, len);
    if (own_failure) return false;
    return stbi_info_from_memory(buf, (int)len, w, h, comp) == 1;
}

/* stb 2.27 grows its buffer to an IDAT chunk's declared length before it
 * reads the chunk (2 GB for a 445-byte file: found by fuzz_image). Refuse a
 * PNG with a chunk that claims more bytes than the file has left. Not a PNG:
 * NULL. */
static const char *const png_chunk_too_long = "corrupt PNG: a chunk claims more bytes than the file holds";

static const char *png_chunk_problem(const uint8_t *buf, size_t len) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len < 8 || memcmp(buf, sig, 8) != 0) return NULL;
    size_t i = 8;
    while (i + 8 <= len) {
        uint64_t n = (uint64_t)buf[i] << 24 | (uint64_t)buf[i + 1] << 16 | (uint64_t)buf[i + 2] << 8 | buf[i + 3];
        if (n + 12 > (uint64_t)(len - i)) return png_chunk_too_long;
        if (memcmp(buf + i + 4, "IEND", 4) == 0) return NULL;
        i += 12 + (size_t)n;
    }
    return NULL;
}

uint8_t *image_stb_load_rgba(const uint8_t *buf, size_t len, int *w, int *h) {
    if (len > (size_t)0x7fffffff) return NULL;
    own_failure = png_chunk_problem(buf, len);
    if (own_failure) return NULL;
    own_failure = jpeg_huffman_problem(buf, len);
    if (own_failure) return NULL;
    int comp = 0;
    return stbi_load_from_memory(buf, (int)len, w, h, &comp, 4);
}

void image_stb_free(uint8_t *pixels) {
    stbi_image_free(pixels);
}

const char *image_stb_failure(void) {
    const char *r = own_failure ? own_failure : stbi_failure_reason();
    return r ? r : "unknown error";
}
