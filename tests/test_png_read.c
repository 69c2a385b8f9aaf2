/*
 * test_png_read.c - the PNG reader.
 *
 * Checks: round trips through the encoder (gray and RGB, many sizes and
 * contents, so several filter types occur); files written by Pillow
 * (tests/fixtures/io, made by make_io_fixtures.py: gray, gray + alpha, RGB,
 * RGBA, 8- and 4-bit palette, palette + tRNS, 1-bit gray, and a hand-made
 * file using all five filter types) decode to the pixels Pillow decodes
 * (stored next to them as .npy); hand-built files with 16-bit samples,
 * interlacing, absurd sizes, bad palette indices, unknown critical chunks,
 * too little or too much image data are refused with the file's name; every
 * truncation and every byte flip of valid files are refused (or, for flips
 * with the CRC fixed up, handled) without crash.
 */
#include "io/npy.h"
#include "io/png.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t rng_state = 99;
static uint8_t rng_byte(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (uint8_t)(rng_state >> 24);
}

static void put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Append a chunk to buf at *pos. */
static void add_chunk(uint8_t *buf, size_t *pos, const char *type, const void *data, size_t n) {
    put_u32(buf + *pos, (uint32_t)n);
    memcpy(buf + *pos + 4, type, 4);
    if (n) memcpy(buf + *pos + 8, data, n);
    put_u32(buf + *pos + 8 + n, (uint32_t)crc32(0, buf + *pos + 4, (uInt)n + 4));
    *pos += n + 12;
}

/* Build a PNG by hand: IHDR fields, optional PLTE, the filtered image `raw`
 * deflated into one IDAT, IEND. Returns the length (buf must be big). */
static size_t make_png(uint8_t *buf, uint32_t w, uint32_t h, int depth, int color, int interlace,
                       const uint8_t *plte, size_t plte_len, const uint8_t *raw, size_t raw_len) {
    size_t pos = 8;
    memcpy(buf, "\x89PNG\r\n\x1a\n", 8);
    uint8_t ihdr[13];
    put_u32(ihdr, w);
    put_u32(ihdr + 4, h);
    ihdr[8] = (uint8_t)depth;
    ihdr[9] = (uint8_t)color;
    ihdr[10] = ihdr[11] = 0;
    ihdr[12] = (uint8_t)interlace;
    add_chunk(buf, &pos, "IHDR", ihdr, 13);
    if (plte) add_chunk(buf, &pos, "PLTE", plte, plte_len);
    uint8_t z[4096];
    uLongf zl = sizeof z;
    compress(z, &zl, raw, (uLong)raw_len);
    add_chunk(buf, &pos, "IDAT", z, zl);
    add_chunk(buf, &pos, "IEND", NULL, 0);
    return pos;
}

static gan_status decode(const uint8_t *buf, size_t len, int *w, int *h, int *c) {
    uint8_t *px = NULL;
    gan_status s = gan_png_decode(buf, len, "mem.png", &px, w, h, c);
    CHECK((s == GAN_OK) == (px != NULL));
    free(px);
    return s;
}

static void test_roundtrip(void) {
    static const int sizes[][2] = {{1, 1}, {1, 9}, {9, 1}, {5, 3}, {33, 17}, {100, 80}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (int c = 1; c <= 3; c += 2)
            for (int kind = 0; kind < 3; kind++) {
                int w = sizes[k][0], h = sizes[k][1];
                size_t n = (size_t)w * h * c;
                uint8_t *px = malloc(n);
                for (size_t i = 0; i < n; i++)
                    px[i] = kind == 0 ? rng_byte() : kind == 1 ? (uint8_t)(i * 3 + i / 7) : 77;
                uint8_t *png = NULL, *back = NULL;
                size_t len = 0;
                CHECK_OK(gan_png_encode(px, w, h, c, &png, &len));
                int bw = 0, bh = 0, bc = 0;
                CHECK_OK(gan_png_decode(png, len, "rt.png", &back, &bw, &bh, &bc));
                CHECK(bw == w && bh == h && bc == c);
                CHECK_MSG(back && memcmp(back, px, n) == 0, "%dx%dx%d kind %d differs", w, h, c,
                          kind);
                free(back);
                free(png);
                free(px);
            }
    /* Through a file. */
    uint8_t px[6] = {1, 2, 3, 4, 5, 6}, *back = NULL;
    const char *path = test_tmp_path("rt.png");
    CHECK_OK(gan_png_write(path, px, 2, 1, 3));
    int w, h, c;
    CHECK_OK(gan_png_read(path, &back, &w, &h, &c));
    CHECK(w == 2 && h == 1 && c == 3 && back && !memcmp(back, px, 6));
    free(back);
    CHECK(gan_png_read(test_tmp_path("missing.png"), &back, &w, &h, &c) == GAN_ERR_IO);
    CHECK(back == NULL);
}

static void test_pillow_fixtures(void) {
    static const char *names[] = {"gray", "gray_alpha", "rgb", "rgba", "pal8",
                                  "pal4", "pal_trns", "gray1", "filters_rgb"};
    static const int want_c[] = {1, 2, 3, 4, 3, 3, 4, 1, 3};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char png_name[64], npy_name[64];
        snprintf(png_name, sizeof png_name, "io/%s.png", names[k]);
        snprintf(npy_name, sizeof npy_name, "io/%s.npy", names[k]);
        gan_npy want;
        CHECK_OK(gan_npy_read(test_fixture_path(npy_name), &want));
        uint8_t *px = NULL;
        int w = 0, h = 0, c = 0;
        CHECK_OK(gan_png_read(test_fixture_path(png_name), &px, &w, &h, &c));
        CHECK_MSG(c == want_c[k], "%s: %d channels", names[k], c);
        CHECK_MSG(want.ndims == 3 && want.shape[0] == h && want.shape[1] == w &&
                      want.shape[2] == c,
                  "%s: shape differs from Pillow's", names[k]);
        CHECK_MSG(px && want.data && want.nbytes == (size_t)w * h * c &&
                      memcmp(px, want.data, want.nbytes) == 0,
                  "%s: pixels differ from Pillow's", names[k]);
        free(px);
        gan_npy_free(&want);
    }
}

static void expect_refused(const uint8_t *buf, size_t len, gan_status want, const char *words,
                           const char *what) {
    int w, h, c;
    gan_status s = decode(buf, len, &w, &h, &c);
    CHECK_MSG(s == want, "%s: status %d, expected %d (%s)", what, (int)s, (int)want,
              gan_last_error());
    CHECK_MSG(strstr(gan_last_error(), "mem.png") && (!words || strstr(gan_last_error(), words)),
              "%s: message: %s", what, gan_last_error());
}

static void test_crafted(void) {
    static uint8_t buf[16384];
    uint8_t raw[64];
    memset(raw, 0, sizeof raw);
    int w, h, c;
    /* A valid 2x2 palette image with 4-bit indices: rows are filter + 1 byte. */
    uint8_t plte[6] = {10, 20, 30, 200, 210, 220};
    raw[1] = 0x10;
    raw[3] = 0x01;
    size_t len = make_png(buf, 2, 2, 4, 3, 0, plte, 6, raw, 4);
    uint8_t *px = NULL;
    CHECK_OK(gan_png_decode(buf, len, "mem.png", &px, &w, &h, &c));
    CHECK(w == 2 && h == 2 && c == 3 && px && !memcmp(px, "\xc8\xd2\xdc\x0a\x14\x1e", 6) &&
          !memcmp(px + 6, "\x0a\x14\x1e\xc8\xd2\xdc", 6));
    free(px);
    raw[3] = 0x02; /* index 2 of a 2-entry palette */
    len = make_png(buf, 2, 2, 4, 3, 0, plte, 6, raw, 4);
    expect_refused(buf, len, GAN_ERR_FORMAT, "palette index", "bad index");
    len = make_png(buf, 2, 2, 4, 3, 0, NULL, 0, raw, 4);
    expect_refused(buf, len, GAN_ERR_FORMAT, "PLTE", "no PLTE");
    memset(raw, 0, sizeof raw);
    /* headers (width, height, bit depth, colour type, interlace) and
     * image data lengths that are refused; raw is all zeros */
    static const struct {
        uint32_t w, h;
        int depth, color, interlace;
        size_t raw_len;
        gan_status want;
        const char *words, *what;
    } headers[] = {
        {2, 2, 16, 0, 0, 10, GAN_ERR_UNSUPPORTED, "16-bit", "16-bit"},
        {2, 2, 8, 0, 1, 6, GAN_ERR_UNSUPPORTED, "interlaced", "interlaced"},
        {2, 2, 8, 5, 0, 6, GAN_ERR_FORMAT, "colour type", "colour type 5"},
        {2, 2, 3, 0, 0, 6, GAN_ERR_FORMAT, "bit depth", "depth 3"},
        {0, 2, 8, 0, 0, 6, GAN_ERR_FORMAT, "out of range", "width 0"},
        {2000000, 2, 8, 0, 0, 6, GAN_ERR_FORMAT, "out of range", "width 2e6"},
        {999999, 999999, 8, 6, 0, 6, GAN_ERR_FORMAT, "too large", "huge image"},
        {30000, 30000, 8, 0, 0, 6, GAN_ERR_FORMAT, "truncated", "bomb"},
        {2, 2, 8, 0, 0, 5, GAN_ERR_FORMAT, "image data", "short data"},
        {2, 2, 8, 0, 0, 7, GAN_ERR_FORMAT, "image data", "long data"},
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        len = make_png(buf, headers[i].w, headers[i].h, headers[i].depth, headers[i].color,
                       headers[i].interlace, NULL, 0, raw, headers[i].raw_len);
        expect_refused(buf, len, headers[i].want, headers[i].words, headers[i].what);
    }
    raw[3] = 5;
    len = make_png(buf, 2, 2, 8, 0, 0, NULL, 0, raw, 6);
    expect_refused(buf, len, GAN_ERR_FORMAT, "filter type", "filter 5");
    raw[3] = 0;
    /* Trailing bytes, an unknown critical chunk, no IEND, no IDAT. */
    len = make_png(buf, 2, 2, 8, 0, 0, NULL, 0, raw, 6);
    CHECK(decode(buf, len, &w, &h, &c) == GAN_OK && w == 2 && h == 2 && c == 1);
    buf[len] = 0;
    expect_refused(buf, len + 1, GAN_ERR_FORMAT, "trailing", "trailing");
    expect_refused(buf, len - 12, GAN_ERR_FORMAT, "truncated", "no IEND");
    size_t pos = len - 12;
    add_chunk(buf, &pos, "ABCD", "x", 1);
    add_chunk(buf, &pos, "IEND", NULL, 0);
    expect_refused(buf, pos, GAN_ERR_UNSUPPORTED, "critical", "critical chunk");
    pos = len - 12;
    add_chunk(buf, &pos, "abCD", "x", 1); /* ancillary: ignored */
    add_chunk(buf, &pos, "IEND", NULL, 0);
    CHECK(decode(buf, pos, &w, &h, &c) == GAN_OK);
    pos = 33;
    add_chunk(buf, &pos, "IEND", NULL, 0);
    expect_refused(buf, pos, GAN_ERR_FORMAT, "IDAT", "no IDAT");
    expect_refused(buf, 7, GAN_ERR_FORMAT, "signature", "short");
}

/* Every prefix and every single-byte flip of `file` is refused, and flips
 * with the CRC fixed up never crash. */
static void hostile(const uint8_t *file, size_t len, const char *what) {
    uint8_t *buf = malloc(len);
    int w, h, c, bad = 0;
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(buf, file, cut);
        bad += decode(buf, cut, &w, &h, &c) != GAN_ERR_FORMAT;
    }
    CHECK_MSG(bad == 0, "%s: %d truncations not refused", what, bad);
    bad = 0;
    int fixed_ok = 0;
    for (size_t i = 0; i < len; i++) {
        memcpy(buf, file, len);
        buf[i] ^= (uint8_t)(1u << (i % 8));
        gan_status s = decode(buf, len, &w, &h, &c);
        bad += s == GAN_OK;
        /* The same flip with the chunk's CRC recomputed. */
        size_t pos = 8;
        while (pos + 12 <= len) {
            uint32_t n = (uint32_t)file[pos] << 24 | (uint32_t)file[pos + 1] << 16 |
                         (uint32_t)file[pos + 2] << 8 | file[pos + 3];
            if (i >= pos + 4 && i < pos + 8 + n) {
                put_u32(buf + pos + 8 + n, (uint32_t)crc32(0, buf + pos + 4, (uInt)n + 4));
                fixed_ok += decode(buf, len, &w, &h, &c) == GAN_OK;
                break;
            }
            pos += 12 + (size_t)n;
        }
    }
    CHECK_MSG(bad == 0, "%s: %d byte flips accepted", what, bad);
    fprintf(stderr, "%s: %zu bytes, %d CRC-fixed flips still decode\n", what, len, fixed_ok);
    free(buf);
}

static void test_hostile(void) {
    static const char *names[] = {"io/rgba.png", "io/pal_trns.png", "io/gray1.png",
                                  "io/filters_rgb.png"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t len = 0;
        uint8_t *file = test_read_file(test_fixture_path(names[k]), &len);
        CHECK(file != NULL);
        if (file) hostile(file, len, names[k]);
        free(file);
    }
    uint8_t px[4 * 5 * 3];
    for (size_t i = 0; i < sizeof px; i++) px[i] = rng_byte();
    uint8_t *png = NULL;
    size_t len = 0;
    CHECK_OK(gan_png_encode(px, 5, 4, 3, &png, &len));
    if (png) hostile(png, len, "encoder output");
    free(png);
}

int main(void) {
    test_roundtrip();
    test_pillow_fixtures();
    test_crafted();
    test_hostile();
    return test_report();
}
