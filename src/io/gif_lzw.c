/*
 * gif_lzw.c - GIF LZW compression and the byte buffer (see gif_lzw.h).
 *
 * The code table maps (prefix code, next byte) to a code through an
 * open-addressing hash table of GAN_GIF_HASH slots (keys stored + 1 so that 0
 * means empty), at most half full. Codes 0..255 are the single bytes, 256 is
 * clear, 257 is end; new strings get 258, 259, ...
 *
 * Width rule (the decoder adds one table entry per code it reads, starting
 * with the second code after a clear, and widens its codes as soon as its
 * next free code reaches 2^width): after emitting a code and adding an entry,
 * the encoder widens when next_code > 2^width, which keeps it one entry ahead
 * of the decoder and in step on widths. When next_code would pass 4096, the
 * encoder emits a clear code (at 12 bits) instead of adding an entry.
 */
#include "io/gif_lzw.h"

#include <stdlib.h>
#include <string.h>

#define GAN_GIF_CLEAR 256
#define GAN_GIF_END 257
#define GAN_GIF_FIRST 258
#define GAN_GIF_MAX_CODES 4096
#define GAN_GIF_HASH 8192

void gan_gif_buf_put(gan_gif_buf *b, const void *data, size_t n) {
    if (b->failed || !n) return;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n) {
            if (cap > SIZE_MAX / 2) {
                b->failed = true;
                return;
            }
            cap *= 2;
        }
        uint8_t *p = realloc(b->data, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
}

void gan_gif_buf_byte(gan_gif_buf *b, uint8_t v) {
    gan_gif_buf_put(b, &v, 1);
}

/* Bit packer: codes go in least significant bit first. */
typedef struct gan_gif_bits {
    gan_gif_buf *out;
    uint32_t acc;
    int nbits;
} gan_gif_bits;

static void gan_gif_emit(gan_gif_bits *bw, unsigned code, int width) {
    bw->acc |= (uint32_t)code << bw->nbits;
    bw->nbits += width;
    while (bw->nbits >= 8) {
        gan_gif_buf_byte(bw->out, (uint8_t)(bw->acc & 0xff));
        bw->acc >>= 8;
        bw->nbits -= 8;
    }
}

static void gan_gif_flush(gan_gif_bits *bw) {
    if (bw->nbits > 0) gan_gif_buf_byte(bw->out, (uint8_t)(bw->acc & 0xff));
    bw->acc = 0;
    bw->nbits = 0;
}

static size_t gan_gif_hash(uint32_t key) {
    return (size_t)((key * 2654435761u) >> 19) & (GAN_GIF_HASH - 1);
}

gan_status gan_gif_lzw_encode(const uint8_t *indices, size_t n, gan_gif_buf *out) {
    if (!indices || n == 0) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gif: no pixels to encode");
    uint32_t *keys = calloc(GAN_GIF_HASH, sizeof *keys);
    uint16_t *codes = malloc(GAN_GIF_HASH * sizeof *codes);
    if (!keys || !codes) {
        free(keys);
        free(codes);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "gif: cannot allocate the LZW table");
    }
    gan_gif_bits bw = {out, 0, 0};
    int width = 9;
    unsigned next = GAN_GIF_FIRST;
    gan_gif_emit(&bw, GAN_GIF_CLEAR, width);
    unsigned cur = indices[0];
    for (size_t i = 1; i < n; i++) {
        uint32_t key = ((uint32_t)cur << 8 | indices[i]) + 1;
        size_t h = gan_gif_hash(key);
        while (keys[h] && keys[h] != key) h = (h + 1) & (GAN_GIF_HASH - 1);
        if (keys[h] == key) {
            cur = codes[h];
            continue;
        }
        gan_gif_emit(&bw, cur, width);
        if (next < GAN_GIF_MAX_CODES) {
            keys[h] = key;
            codes[h] = (uint16_t)next++;
            if (next > (1u << width) && width < 12) width++;
        } else {
            gan_gif_emit(&bw, GAN_GIF_CLEAR, width);
            memset(keys, 0, GAN_GIF_HASH * sizeof *keys);
            next = GAN_GIF_FIRST;
            width = 9;
        }
        cur = indices[i];
    }
    gan_gif_emit(&bw, cur, width);
    /* The decoder adds an entry for this last code too: widen like it does. */
    if (next < GAN_GIF_MAX_CODES) {
        next++;
        if (next > (1u << width) && width < 12) width++;
    }
    gan_gif_emit(&bw, GAN_GIF_END, width);
    gan_gif_flush(&bw);
    free(keys);
    free(codes);
    if (out->failed) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "gif: cannot allocate the output");
    return GAN_OK;
}
