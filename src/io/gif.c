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

#include <stdlib.h>
#include <string.h>

void gan_gif_options_default(gan_gif_options *opt) {
    opt->delay_cs = 10;
    opt->delays_cs = NULL;
    opt->scale = 1;
    opt->loop = 1;
}

/* Nearest level of an L-level channel: round(v * (L - 1) / 255). */
static unsigned gan_gif_level(uint8_t v, unsigned levels) {
    return ((unsigned)v * (levels - 1) * 2 + 255) / 510;
}

uint8_t gan_gif_rgb_index(uint8_t r, uint8_t g, uint8_t b) {
    return (uint8_t)(42 * gan_gif_level(r, 6) + 6 * gan_gif_level(g, 7) + gan_gif_level(b, 6));
}

/* floor(v (L - 1) / 255 + (2 t + 1) / 32), t in [0, 16): the dithered level. */
static unsigned gan_gif_level_dithered(uint8_t v, unsigned levels, unsigned t) {
    return ((unsigned)v * (levels - 1) * 32 + (2 * t + 1) * 255) / (255 * 32);
}

uint8_t gan_gif_rgb_index_dithered(uint8_t r, uint8_t g, uint8_t b, size_t x, size_t y) {
    static const uint8_t bayer[4][4] = {{0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9},
                                        {15, 7, 13, 5}};
    unsigned t = bayer[y % 4][x % 4];
    return (uint8_t)(42 * gan_gif_level_dithered(r, 6, t) + 6 * gan_gif_level_dithered(g, 7, t) +
                     gan_gif_level_dithered(b, 6, t));
}

void gan_gif_palette_entry(int channels, int i, uint8_t rgb[3]) {
    if (channels == 1) {
        rgb[0] = rgb[1] = rgb[2] = (uint8_t)i;
        return;
    }
    if (i < 0 || i >= 252) {
        rgb[0] = rgb[1] = rgb[2] = 0;
        return;
    }
    unsigned r = (unsigned)i / 42, g = (unsigned)i / 6 % 7, b = (unsigned)i % 6;
    rgb[0] = (uint8_t)((r * 255 * 2 + 5) / 10);
    rgb[1] = (uint8_t)((g * 255 * 2 + 6) / 12);
    rgb[2] = (uint8_t)((b * 255 * 2 + 5) / 10);
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
static void gan_gif_put_header(gan_gif_buf *b, int channels, unsigned w, unsigned h, bool loop) {
    gan_gif_buf_put(b, "GIF89a", 6);
    gan_gif_put_u16(b, w);
    gan_gif_put_u16(b, h);
    gan_gif_buf_byte(b, 0xF7); /* global table, 8-bit colour resolution, 256 entries */
    gan_gif_buf_byte(b, 0);    /* background colour index */
    gan_gif_buf_byte(b, 0);    /* no aspect ratio */
    for (int i = 0; i < 256; i++) {
        uint8_t rgb[3];
        gan_gif_palette_entry(channels, i, rgb);
        gan_gif_buf_put(b, rgb, 3);
    }
    if (loop) {
        gan_gif_buf_put(b, "\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00", 19);
    }
}

/* Palette indices of frame `f` (C x H x W planar) at the output size. */
static void gan_gif_indices(const uint8_t *f, int channels, int height, int width, int scale,
                            uint8_t *idx) {
    size_t plane = (size_t)height * (size_t)width, ow = (size_t)width * (size_t)scale;
    for (size_t y = 0; y < (size_t)height * (size_t)scale; y++) {
        size_t sy = y / (size_t)scale;
        uint8_t *row = idx + y * ow;
        for (size_t x = 0; x < ow; x++) {
            size_t at = sy * (size_t)width + x / (size_t)scale;
            row[x] = channels == 1 ? f[at]
                                   : gan_gif_rgb_index_dithered(f[at], f[plane + at],
                                                                f[2 * plane + at],
                                                                x / (size_t)scale, sy);
        }
    }
}

/* One frame: graphic control extension, image descriptor, LZW data blocks. */
static gan_status gan_gif_put_frame(gan_gif_buf *b, const uint8_t *idx, unsigned w, unsigned h,
                                    int delay, gan_gif_buf *lzw) {
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
    gan_gif_buf_byte(b, 0); /* no local table, not interlaced */
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
    gan_gif_buf b = {0}, lzw = {0};
    gan_gif_put_header(&b, channels, w, h, opt->loop != 0);
    size_t frame_size = (size_t)channels * (size_t)height * (size_t)width;
    gan_status s = GAN_OK;
    for (int i = 0; i < n && s == GAN_OK; i++) {
        gan_gif_indices(frames + (size_t)i * frame_size, channels, height, width, opt->scale, idx);
        s = gan_gif_put_frame(&b, idx, w, h, opt->delays_cs ? opt->delays_cs[i] : opt->delay_cs,
                              &lzw);
    }
    gan_gif_buf_byte(&b, 0x3B);
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
