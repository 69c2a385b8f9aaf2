/*
 * gif.c - the animated GIF89a writer (see gif.h).
 *
 * Each frame is mapped to palette indices at the output size (upscaled, one
 * index buffer of W*scale x H*scale bytes reused for every frame), LZW
 * compressed (gif_lzw.c) and cut into sub-blocks. All sizes are validated
 * before anything is allocated.
 */
#include "io/gif.h"

#include "io/atomic_file.h"
#include "io/gif_lzw.h"
#include "io/gif_palette.h"

#include <stdlib.h>
#include <string.h>

void gan_gif_options_default(gan_gif_options *opt) {
    opt->delay_cs = 10;
    opt->delays_cs = NULL;
    opt->scale = 1;
    opt->loop = 1;
}


static void gan_gif_put_u16(gan_gif_buf *b, unsigned v) {
    gan_gif_buf_byte(b, (uint8_t)(v & 0xff));
    gan_gif_buf_byte(b, (uint8_t)(v >> 8));
}

static gan_status gan_gif_check(const uint8_t *frames, int n, int channels, int height,
                                int width, const gan_gif_options *opt) {
    if (!frames) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "frames is NULL");
    if (channels != 1 && channels != 3)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%d channels (expected 1 for gray or 3 for RGB)",
                        channels);
    if (n < 1 || height < 1 || width < 1)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "bad request: %d frames of %d x %d pixels (all must be >= 1)", n, width,
                        height);
    if (opt->scale < 1 || opt->scale > GAN_GIF_MAX_SCALE)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "scale %d out of range 1..%d", opt->scale,
                        GAN_GIF_MAX_SCALE);
    uint64_t w = (uint64_t)width * (uint64_t)opt->scale, h = (uint64_t)height * (uint64_t)opt->scale;
    if (w > GAN_GIF_MAX_SIDE || h > GAN_GIF_MAX_SIDE)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "frame of %llu x %llu pixels is larger than "
                        "GIF allows (%d)", (unsigned long long)w, (unsigned long long)h,
                        GAN_GIF_MAX_SIDE);
    if (w * h * (uint64_t)n > GAN_GIF_MAX_PIXELS)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%d frames of %llu x %llu pixels are too many",
                        n, (unsigned long long)w, (unsigned long long)h);
    for (int i = 0; i < n; i++) {
        int d = opt->delays_cs ? opt->delays_cs[i] : opt->delay_cs;
        if (d < 0 || d > 65535)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "frame %d: delay %d out of range 0..65535",
                            i, d);
    }
    return GAN_OK;
}

/* Header, logical screen, global colour table and the loop extension. */
static void gan_gif_put_header(gan_gif_buf *b, const gan_gif_palette *pal, unsigned w,
                               unsigned h, bool loop) {
    gan_gif_buf_put(b, "GIF89a", 6);
    gan_gif_put_u16(b, w);
    gan_gif_put_u16(b, h);
    gan_gif_buf_byte(b, 0xF7); /* global table, 8-bit colour resolution, 256 entries */
    gan_gif_buf_byte(b, 0);    /* background colour index */
    gan_gif_buf_byte(b, 0);    /* no aspect ratio */
    for (int i = 0; i < 256; i++) { /* gray: the identity; RGB: the median-cut colours */
        uint8_t grey[3] = {(uint8_t)i, (uint8_t)i, (uint8_t)i};
        gan_gif_buf_put(b, pal ? pal->rgb[i] : grey, 3);
    }
    if (loop) {
        gan_gif_buf_put(b, "\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00", 19);
    }
}

/* Palette indices of frame `f` (C x H x W planar) at the output size. */
static void gan_gif_indices(const uint8_t *f, gan_gif_palette *pal, int height, int width,
                            int scale, uint8_t *idx) {
    size_t plane = (size_t)height * (size_t)width, ow = (size_t)width * (size_t)scale;
    for (size_t y = 0; y < (size_t)height * (size_t)scale; y++) {
        size_t sy = y / (size_t)scale;
        uint8_t *row = idx + y * ow;
        for (size_t x = 0; x < ow; x++) {
            size_t at = sy * (size_t)width + x / (size_t)scale;
            row[x] = !pal ? f[at]
                          : gan_gif_palette_index(pal, f[at], f[plane + at], f[2 * plane + at]);
        }
    }
}

/* One frame: graphic control extension, image descriptor, LZW data blocks. */
static gan_status gan_gif_put_frame(gan_gif_buf *b, const uint8_t *idx, unsigned w, unsigned h,
                                    int delay, const gan_gif_palette *local, gan_gif_buf *lzw) {
    static const uint8_t gce[4] = {0x21, 0xF9, 0x04, 0x04}; /* disposal 1: do not dispose */
    gan_gif_buf_put(b, gce, 4);
    gan_gif_put_u16(b, (unsigned)delay);
    gan_gif_buf_byte(b, 0); /* transparent index (unused) */
    gan_gif_buf_byte(b, 0); /* block terminator */
    gan_gif_buf_byte(b, 0x2C);
    gan_gif_put_u16(b, 0);
    gan_gif_put_u16(b, 0);
    gan_gif_put_u16(b, w);
    gan_gif_put_u16(b, h);
    gan_gif_buf_byte(b, local ? 0x87 : 0); /* a local table of 256 entries, or none */
    if (local) gan_gif_buf_put(b, local->rgb, sizeof local->rgb);
    gan_gif_buf_byte(b, 8); /* LZW minimum code size */
    lzw->len = 0;
    GAN_TRY(gan_gif_lzw_encode(idx, (size_t)w * h, lzw));
    for (size_t done = 0; done < lzw->len;) {
        size_t k = GAN_MIN(lzw->len - done, (size_t)255);
        gan_gif_buf_byte(b, (uint8_t)k);
        gan_gif_buf_put(b, lzw->data + done, k);
        done += k;
    }
    gan_gif_buf_byte(b, 0);
    return GAN_OK;
}

gan_status gan_gif_encode(const uint8_t *frames, int n, int channels, int height, int width,
                          const gan_gif_options *opt, uint8_t **out, size_t *out_len) {
    if (!out || !out_len) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gif: output is NULL");
    *out = NULL;
    *out_len = 0;
    gan_gif_options def;
    gan_gif_options_default(&def);
    if (!opt) opt = &def;
    GAN_TRY(gan_gif_check(frames, n, channels, height, width, opt));
    unsigned w = (unsigned)(width * opt->scale), h = (unsigned)(height * opt->scale);
    uint8_t *idx = malloc((size_t)w * h);
    if (!idx) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "gif: cannot allocate a %u x %u frame", w, h);
    gan_gif_palette pal = {0}; /* RGB: frame 0's table, global, then each frame's, local */
    gan_status s = channels == 3 ? gan_gif_palette_build(frames, 1, (size_t)height,
                                                         (size_t)width, &pal)
                                 : GAN_OK;
    if (s != GAN_OK) {
        free(idx);
        return s;
    }
    gan_gif_buf b = {0}, lzw = {0};
    gan_gif_put_header(&b, channels == 3 ? &pal : NULL, w, h, opt->loop != 0);
    size_t frame_size = (size_t)channels * (size_t)height * (size_t)width;
    for (int i = 0; i < n && s == GAN_OK; i++) {
        const uint8_t *f = frames + (size_t)i * frame_size;
        if (channels == 3 && i > 0)
            s = gan_gif_palette_build(f, 1, (size_t)height, (size_t)width, &pal);
        if (s != GAN_OK) break;
        gan_gif_indices(f, channels == 3 ? &pal : NULL, height, width, opt->scale, idx);
        s = gan_gif_put_frame(&b, idx, w, h, opt->delays_cs ? opt->delays_cs[i] : opt->delay_cs,
                              channels == 3 ? &pal : NULL, &lzw);
    }
    gan_gif_buf_byte(&b, 0x3B);
    gan_gif_palette_free(&pal);
    free(idx);
    free(lzw.data);
    if (s == GAN_OK && b.failed) s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "gif: cannot allocate output");
    if (s != GAN_OK) {
        free(b.data);
        return s;
    }
    *out = b.data;
    *out_len = b.len;
    return GAN_OK;
}

gan_status gan_gif_write(const char *path, const uint8_t *frames, int n, int channels,
                         int height, int width, const gan_gif_options *opt) {
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "gif: empty output path");
    uint8_t *gif = NULL;
    size_t len = 0;
    gan_status s = gan_gif_encode(frames, n, channels, height, width, opt, &gif, &len);
    if (s != GAN_OK) return gan_fail_prefix(s, path);
    s = gan_atomic_write_file(path, gif, len);
    free(gif);
    return s;
}
