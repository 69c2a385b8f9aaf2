/*
 * gif_lzw.h - the variable-width LZW compressor used by the GIF writer, and
 * the growable byte buffer the writer assembles the file in.
 *
 * gan_gif_lzw_encode compresses a stream of 8-bit palette indices with the
 * GIF flavour of LZW (minimum code size 8): a clear code first, codes of 9
 * bits growing by one each time the table reaches 2^width entries, up to 12
 * bits; a clear code (and a fresh table) when all 4096 codes are used; the
 * end code last. Bits are packed least significant first. The output is the
 * raw code stream, not yet cut into sub-blocks.
 */
#ifndef GAN_IO_GIF_LZW_H
#define GAN_IO_GIF_LZW_H

#include "internal.h"

/* A growable byte buffer; `failed` remembers an allocation failure. */
typedef struct gan_gif_buf {
    uint8_t *data;
    size_t len, cap;
    bool failed;
} gan_gif_buf;

/* Append bytes (sets failed on allocation failure; later appends are no-ops). */
void gan_gif_buf_put(gan_gif_buf *b, const void *data, size_t n);
void gan_gif_buf_byte(gan_gif_buf *b, uint8_t v);

/* Compress `n` indices (n >= 1) and append the code stream to out. */
gan_status gan_gif_lzw_encode(const uint8_t *indices, size_t n, gan_gif_buf *out);

#endif /* GAN_IO_GIF_LZW_H */
