/*
 * test_gif.c - the animated GIF writer.
 *
 * The test carries its own GIF decoder (header, global colour table,
 * extensions, image descriptors, sub-blocks and a standard variable-width LZW
 * decoder written independently of the encoder), decodes what the writer
 * produced and compares every frame's indices with what they should be:
 * gray pixels exactly, RGB pixels as the nearest 6x7x6 palette colour. Noise
 * frames large enough to fill the 4096-code table several times exercise the
 * clear-code path; flat frames exercise long strings and all code widths.
 * It also checks delays, the loop extension, upscaling and bad arguments.
 */
#include "io/gif.h"
#include "io/gif_palette.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ test GIF decoder */

typedef struct decoded_gif {
    int width, height, frames;
    uint8_t palette[768];
    uint8_t frame_palettes[64][768]; /* each frame's table: its local one, else the global */
    int loop_ext;       /* NETSCAPE2.0 seen, loop count in loop_count */
    int loop_count;
    int delays[64];
    uint8_t *indices;   /* frames x height x width */
    int clears;         /* clear codes seen after the first of each frame */
    int max_width;      /* widest code seen */
} decoded_gif;

typedef struct reader {
    const uint8_t *p, *end;
    int bad;
} reader;

static int rd_byte(reader *r) {
    if (r->p >= r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}

static int rd_u16(reader *r) {
    int lo = rd_byte(r);
    return lo | rd_byte(r) << 8;
}

/* Concatenate sub-blocks into a malloc'd buffer. */
static uint8_t *rd_blocks(reader *r, size_t *len) {
    uint8_t *buf = NULL;
    *len = 0;
    for (;;) {
        int n = rd_byte(r);
        if (r->bad || n == 0) break;
        if (r->end - r->p < n) {
            r->bad = 1;
            break;
        }
        buf = realloc(buf, *len + (size_t)n);
        memcpy(buf + *len, r->p, (size_t)n);
        *len += (size_t)n;
        r->p += n;
    }
    return buf;
}

/* Standard GIF LZW decoder. Returns 0 when exactly `n` indices came out. */
static int lzw_decode(const uint8_t *z, size_t zlen, int min_size, uint8_t *out, size_t n,
                      decoded_gif *d) {
    static uint16_t prefix[4096];
    static uint8_t suffix[4096], first[4096], stack[4097];
    int clear = 1 << min_size, end = clear + 1, width = min_size + 1, next = clear + 2;
    int prev = -1, codes = 0;
    size_t bitpos = 0, o = 0;
    for (int i = 0; i < clear; i++) suffix[i] = first[i] = (uint8_t)i;
    for (;;) {
        if (bitpos + (size_t)width > zlen * 8) return -1;
        int code = 0;
        for (int b = 0; b < width; b++, bitpos++)
            code |= ((z[bitpos / 8] >> (bitpos % 8)) & 1) << b;
        if (width > d->max_width) d->max_width = width;
        codes++;
        if (code == clear) {
            if (codes > 1) d->clears++;
            width = min_size + 1;
            next = clear + 2;
            prev = -1;
            continue;
        }
        if (code == end) break;
        int sp = 0, c = code;
        if (prev < 0) {
            if (code >= clear) return -2;
            if (o >= n) return -3;
            out[o++] = (uint8_t)code;
            prev = code;
            continue;
        }
        if (code > next || (code == next && next >= 4096)) return -4;
        uint8_t f = code == next ? first[prev] : first[code];
        if (code == next) {
            stack[sp++] = f;
            c = prev;
        }
        while (c >= clear) {
            stack[sp++] = suffix[c];
            c = prefix[c];
        }
        stack[sp++] = (uint8_t)c;
        if (o + (size_t)sp > n) return -3;
        while (sp) out[o++] = stack[--sp];
        if (next < 4096) {
            prefix[next] = (uint16_t)prev;
            suffix[next] = f;
            first[next] = first[prev];
            next++;
            if (next == (1 << width) && width < 12) width++;
        }
        prev = code;
    }
    return o == n ? 0 : -5;
}

static int decode_gif(const uint8_t *buf, size_t len, decoded_gif *d) {
    memset(d, 0, sizeof *d);
    reader r = {buf, buf + len, 0};
    if (len < 13 || memcmp(buf, "GIF89a", 6) != 0) return -1;
    r.p += 6;
    d->width = rd_u16(&r);
    d->height = rd_u16(&r);
    int packed = rd_byte(&r);
    rd_byte(&r);
    rd_byte(&r);
    if (packed != 0xF7) return -2;
    for (int i = 0; i < 768; i++) d->palette[i] = (uint8_t)rd_byte(&r);
    size_t frame = (size_t)d->width * d->height;
    int delay = -1;
    for (;;) {
        int t = rd_byte(&r);
        if (r.bad) return -3;
        if (t == 0x3B) break;
        if (t == 0x21) {
            int label = rd_byte(&r);
            size_t blen = 0;
            uint8_t *blk = rd_blocks(&r, &blen);
            if (label == 0xF9 && blen == 4) delay = blk[1] | blk[2] << 8;
            if (label == 0xFF && blen == 14 && !memcmp(blk, "NETSCAPE2.0", 11) && blk[11] == 1) {
                d->loop_ext = 1;
                d->loop_count = blk[12] | blk[13] << 8;
            }
            free(blk);
        } else if (t == 0x2C) {
            int x = rd_u16(&r), y = rd_u16(&r), w = rd_u16(&r), h = rd_u16(&r);
            int flags = rd_byte(&r), min_size;
            if (x || y || w != d->width || h != d->height || (flags != 0 && flags != 0x87) ||
                d->frames >= 64)
                return -4;
            memcpy(d->frame_palettes[d->frames], d->palette, 768);
            for (int i = 0; flags && i < 768; i++) d->frame_palettes[d->frames][i] = (uint8_t)rd_byte(&r);
            min_size = rd_byte(&r);
            if (min_size != 8) return -4;
            size_t zlen = 0;
            uint8_t *z = rd_blocks(&r, &zlen);
            d->indices = realloc(d->indices, frame * (size_t)(d->frames + 1));
            int rc = lzw_decode(z, zlen, min_size, d->indices + frame * (size_t)d->frames, frame,
                                d);
            free(z);
            if (rc) return -10 + rc;
            d->delays[d->frames++] = delay;
            delay = -1;
        } else {
            return -5;
        }
    }
    return r.p == r.end && !r.bad ? 0 : -6;
}

/* ------------------------------------------------------------- helpers */

static uint32_t rng_state = 777;
static uint8_t rng_byte(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (uint8_t)(rng_state >> 24);
}

/* Encode, decode and compare every output pixel with its source pixel. */
static void roundtrip(const uint8_t *frames, int n, int c, int h, int w,
                      const gan_gif_options *opt, decoded_gif *d) {
    uint8_t *gif = NULL;
    size_t len = 0;
    CHECK_OK(gan_gif_encode(frames, n, c, h, w, opt, &gif, &len));
    if (!gif) return;
    int rc = decode_gif(gif, len, d);
    CHECK_MSG(rc == 0, "%d frames %dx%dx%d: decoder error %d", n, c, h, w, rc);
    free(gif);
    if (rc) return;
    int s = opt ? opt->scale : 1;
    CHECK(d->width == w * s && d->height == h * s && d->frames == n);
    gan_gif_palette pal = {0}; /* RGB: the tables the writer must have made */
    int bad = 0;
    size_t plane = (size_t)h * w;
    for (int i = 0; i < n && d->indices; i++) {
        if (c == 3) {
            CHECK_OK(gan_gif_palette_build(frames + (size_t)i * 3 * plane, 1, (size_t)h,
                                           (size_t)w, &pal));
            CHECK_MSG(memcmp(d->frame_palettes[i], pal.rgb, sizeof pal.rgb) == 0 &&
                          (i > 0 || memcmp(d->palette, pal.rgb, sizeof pal.rgb) == 0),
                      "frame %d: colour table differs", i);
        }
        for (int y = 0; y < h * s; y++)
            for (int x = 0; x < w * s; x++) {
                const uint8_t *f = frames + (size_t)i * c * plane;
                size_t at = (size_t)(y / s) * w + x / s;
                uint8_t got = d->indices[((size_t)i * h * s + y) * w * s + x];
                uint8_t want = c == 1 ? f[at] : gan_gif_palette_index(&pal, f[at], f[plane + at],
                                                                      f[2 * plane + at]);
                bad += got != want;
            }
    }
    CHECK_MSG(bad == 0, "%d frames %dx%dx%d: %d indices differ", n, c, h, w, bad);
    gan_gif_palette_free(&pal);
}

/* ----------------------------------------------------------------- tests */

static void test_gray_roundtrips(void) {
    static const int sizes[][2] = {{1, 1}, {1, 2}, {3, 5}, {28, 28}, {64, 64}, {200, 150}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int h = sizes[k][0], w = sizes[k][1];
        size_t plane = (size_t)h * w;
        uint8_t *f = malloc(4 * plane);
        for (size_t i = 0; i < plane; i++) {
            f[i] = rng_byte();                       /* noise */
            f[plane + i] = 128;                      /* flat */
            f[2 * plane + i] = (uint8_t)(i % w * 3); /* gradient */
            f[3 * plane + i] = (uint8_t)((i / 7) % 3 ? 0 : 255);
        }
        decoded_gif d;
        roundtrip(f, 4, 1, h, w, NULL, &d);
        if (plane >= 200 * 150) {
            CHECK_MSG(d.clears >= 4, "only %d mid-stream clear codes", d.clears);
            CHECK(d.max_width == 12);
        }
        /* The gray palette is the identity. */
        CHECK(d.palette[3 * 77] == 77 && d.palette[3 * 77 + 2] == 77 && d.palette[765] == 255);
        CHECK(d.loop_ext && d.loop_count == 0);
        CHECK(d.delays[0] == 10 && d.delays[3] == 10);
        free(d.indices);
        free(f);
    }
    /* Every width from 9 to 12 bits: a flat 300x300 image makes long runs. */
    uint8_t *flat = malloc(300 * 300);
    memset(flat, 9, 300 * 300);
    decoded_gif d;
    roundtrip(flat, 1, 1, 300, 300, NULL, &d);
    CHECK(d.max_width >= 10);
    free(d.indices);
    free(flat);
}

static void test_rgb_and_options(void) {
    int h = 9, w = 11, n = 3;
    size_t plane = (size_t)h * w;
    uint8_t *f = malloc((size_t)n * 3 * plane);
    for (size_t i = 0; i < (size_t)n * 3 * plane; i++) f[i] = rng_byte();
    gan_gif_options opt;
    gan_gif_options_default(&opt);
    int delays[3] = {5, 0, 300};
    opt.delays_cs = delays;
    opt.scale = 3;
    opt.loop = 0;
    decoded_gif d;
    roundtrip(f, n, 3, h, w, &opt, &d);
    CHECK(!d.loop_ext);
    CHECK(d.delays[0] == 5 && d.delays[1] == 0 && d.delays[2] == 300);
    /* Each pixel's entry is its nearest: no entry is closer to the source colour. */
    int worse = 0;
    for (size_t i = 0; i < plane; i++) {
        const uint8_t *pl = d.frame_palettes[0];
        const uint8_t *e = pl + 3 * d.indices[(i / w * 3) * (size_t)w * 3 + i % w * 3];
        int de = 0, best = 1 << 30;
        for (int ch = 0; ch < 3; ch++)
            de += (e[ch] - f[ch * plane + i]) * (e[ch] - f[ch * plane + i]);
        for (int k = 0; k < 256; k++) {
            int dk = 0;
            for (int ch = 0; ch < 3; ch++) {
                int v = pl[3 * k + ch] - f[ch * plane + i];
                dk += v * v;
            }
            best = dk < best ? dk : best;
        }
        worse += de > best;
    }
    CHECK_MSG(worse == 0, "%d pixels not mapped to their nearest entry", worse);
    /* Frames of at most 256 colours are stored exactly, however close the colours. */
    uint8_t few[2 * 3 * 16 * 16];
    for (int k = 0; k < 2 * 256; k++) {
        int col = (k * 7) % 200, fr = k / 256, p = k % 256;
        uint8_t rgb[3] = {(uint8_t)(250 + col % 6), (uint8_t)col, (uint8_t)(col / 2 + 3)};
        for (int ch = 0; ch < 3; ch++) few[(fr * 3 + ch) * 256 + p] = rgb[ch];
    }
    decoded_gif d2;
    roundtrip(few, 2, 3, 16, 16, NULL, &d2);
    int off = 0;
    for (int fr = 0; fr < 2 && d2.indices; fr++)
        for (int p = 0; p < 256; p++)
            for (int ch = 0; ch < 3; ch++)
                off += d2.frame_palettes[fr][3 * d2.indices[fr * 256 + p] + ch] !=
                       few[(fr * 3 + ch) * 256 + p];
    CHECK_MSG(off == 0, "%d channel values of a 200-colour animation changed", off);
    free(d2.indices);
    free(d.indices);
    free(f);
}

static void test_write_and_refusals(void) {
    uint8_t px[2 * 4 * 4];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 8);
    const char *path = test_tmp_path("anim.gif");
    CHECK_OK(gan_gif_write(path, px, 2, 1, 4, 4, NULL));
    size_t len = 0;
    uint8_t *file = test_read_file(path, &len);
    decoded_gif d;
    CHECK(file && decode_gif(file, len, &d) == 0 && d.frames == 2 &&
          memcmp(d.indices, px, 32) == 0);
    free(d.indices);
    free(file);

    gan_gif_options opt;
    gan_gif_options_default(&opt);
    CHECK(gan_gif_write(path, px, 2, 2, 4, 4, NULL) == GAN_ERR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(gan_last_error(), path) != NULL, "message: %s", gan_last_error());
    CHECK(gan_gif_write(path, px, 0, 1, 4, 4, NULL) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_gif_write(path, NULL, 1, 1, 4, 4, NULL) == GAN_ERR_INVALID_ARGUMENT);
    opt.scale = 0;
    CHECK(gan_gif_write(path, px, 1, 1, 4, 4, &opt) == GAN_ERR_INVALID_ARGUMENT);
    opt.scale = 64;
    CHECK(gan_gif_write(path, px, 1, 1, 2000, 1, &opt) == GAN_ERR_INVALID_ARGUMENT);
    opt.scale = 1;
    opt.delay_cs = 70000;
    CHECK(gan_gif_write(path, px, 1, 1, 4, 4, &opt) == GAN_ERR_INVALID_ARGUMENT);
    opt.delay_cs = -1;
    CHECK(gan_gif_write(path, px, 1, 1, 4, 4, &opt) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_gif_write("/nonexistent/dir/a.gif", px, 1, 1, 4, 4, NULL) == GAN_ERR_IO);
}

/* Frames like gan interpolate's: a morph between two colourful smooth
 * images with a fine texture of +-amp (generated images), in n steps. */
static uint8_t *morph_frames(int n, int side, int amp) {
    size_t plane = (size_t)side * side;
    uint8_t *f = malloc((size_t)n * 3 * plane);
    for (int i = 0; i < n; i++) {
        double t = (double)i / (n - 1);
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++) {
                double u = (double)x / side, v = (double)y / side;
                double a[3] = {200 * u + 40 * sin(9 * v), 120 + 100 * sin(6 * u + 3 * v),
                               230 * v * (1 - u)};
                double b[3] = {90 + 90 * cos(7 * v - 2 * u), 220 * u * v, 60 + 150 * (1 - v)};
                for (int c = 0; c < 3; c++) {
                    double val = (1 - t) * a[c] + t * b[c] + (amp ? (double)(rng_byte() % (2 * amp + 1)) - amp : 0.0);
                    f[((size_t)i * 3 + c) * plane + (size_t)y * side + x] =
                        (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : val + 0.5);
                }
            }
    }
    return f;
}

/* The decoded colours of RGB frames against the frames: mean |error| per
 * channel value. */
static double rgb_frame_error(const uint8_t *f, int n, int side, const gan_gif_options *opt) {
    uint8_t *gif = NULL;
    size_t len = 0;
    CHECK_OK(gan_gif_encode(f, n, 3, side, side, opt, &gif, &len));
    decoded_gif d = {0};
    int rc = gif ? decode_gif(gif, len, &d) : -1;
    free(gif);
    CHECK(rc == 0 && d.frames == n);
    if (rc) return INFINITY;
    size_t plane = (size_t)side * side;
    double err = 0;
    for (int i = 0; i < n; i++)
        for (size_t p = 0; p < plane; p++) {
            uint8_t k = d.indices[(size_t)i * plane + p];
            for (int c = 0; c < 3; c++)
                err += fabs((double)d.frame_palettes[i][3 * k + c] -
                            f[((size_t)i * 3 + c) * plane + p]);
        }
    free(d.indices);
    return err / ((double)n * plane * 3);
}

/* The colour tables on a colour interpolation of 24 frames of 64 x 64
 * (smooth fields of many hues, harder than generated sprites): the fixed
 * 6 x 7 x 6 cube with ordered dithering the writer used before gave a mean
 * error of 15.9 per channel value whatever the texture; one median-cut
 * table for all frames 5.2 to 5.8; one per frame (what the writer does)
 * 2.69, 2.85 and 3.71 for textures of +-0, 3 and 10 (2026-12-06). On 4 x 4
 * grids of real emoji (data/emoji at 32 px) morphing over 24 frames: cube
 * 11.18, one table 2.84, a table per frame 1.59. */
static void test_rgb_palette_quality(void) {
    static const struct { int amp; double limit; } cases[] = {{0, 3.0}, {3, 3.2}, {10, 4.2}};
    for (int k = 0; k < 3; k++) {
        int n = 24, side = 64;
        uint8_t *f = morph_frames(n, side, cases[k].amp);
        double e = rgb_frame_error(f, n, side, NULL);
        fprintf(stderr, "RGB morph, texture +-%d: mean |error| %.2f per channel value\n",
                cases[k].amp, e);
        CHECK_MSG(e < cases[k].limit, "texture +-%d: mean error %.2f per channel value",
                  cases[k].amp, e);
        free(f);
    }
}

int main(void) {
    test_gray_roundtrips();
    test_rgb_and_options();
    test_rgb_palette_quality();
    test_write_and_refusals();
    return test_report();
}
