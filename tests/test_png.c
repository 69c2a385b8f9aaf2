/*
 * test_png.c - the zlib-only PNG encoder and gan_write_png_grid.
 *
 * The test carries its own minimal PNG decoder (signature, chunk CRCs, IHDR,
 * IDAT concatenation, zlib uncompress, the five row filters), so every image
 * the encoder writes is decoded independently and compared byte for byte.
 * It also checks the grid layout and border value, the [-1, 1] -> uint8
 * mapping, and that NaN input and unwritable paths are refused.
 */
#include "io/png.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ------------------------------------------------------ test PNG decoder */

typedef struct decoded_png {
    int width, height, channels;
    uint8_t *pixels;      /* height x width x channels */
    int idat_chunks;      /* number of IDAT chunks seen */
    unsigned filters_seen; /* bit t set when a row used filter type t */
} decoded_png;

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c) {
    int p = a + b - c;
    int pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    if (pa <= pb && pa <= pc) return a;
    return pb <= pc ? b : c;
}

/* Undo the row filters of `raw` into d->pixels. Returns 0 on success. */
static int unfilter(decoded_png *d, const uint8_t *raw) {
    size_t stride = (size_t)d->width * d->channels, bpp = (size_t)d->channels;
    for (int y = 0; y < d->height; y++) {
        const uint8_t *src = raw + (size_t)y * (stride + 1);
        uint8_t *row = d->pixels + (size_t)y * stride;
        const uint8_t *prev = y ? row - stride : NULL;
        int type = src[0];
        if (type > 4) return -1;
        d->filters_seen |= 1u << type;
        for (size_t i = 0; i < stride; i++) {
            int a = i >= bpp ? row[i - bpp] : 0, b = prev ? prev[i] : 0;
            int c = (prev && i >= bpp) ? prev[i - bpp] : 0;
            int pred = type == 0 ? 0 : type == 1 ? a : type == 2 ? b : type == 3 ? (a + b) / 2
                                                                                : paeth(a, b, c);
            row[i] = (uint8_t)(src[1 + i] + pred);
        }
    }
    return 0;
}

/* Decode an 8-bit gray/RGB non-interlaced PNG. Returns 0 on success, or a
 * negative code naming the first problem (-3: a chunk CRC is wrong). */
static int decode_png(const uint8_t *buf, size_t len, decoded_png *d) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memset(d, 0, sizeof *d);
    if (len < 8 || memcmp(buf, sig, 8) != 0) return -1;
    uint8_t *z = NULL;
    size_t z_len = 0, pos = 8;
    int seen_ihdr = 0, seen_iend = 0, rc = 0;
    while (pos + 12 <= len && !seen_iend) {
        uint32_t n = get_u32(buf + pos);
        if (n > len - pos - 12) { rc = -2; break; }
        const uint8_t *type = buf + pos + 4, *data = buf + pos + 8;
        uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), type, n + 4);
        if (crc != get_u32(data + n)) { rc = -3; break; }
        if (!seen_ihdr && memcmp(type, "IHDR", 4) != 0) { rc = -4; break; }
        if (memcmp(type, "IHDR", 4) == 0) {
            if (n != 13 || data[8] != 8 || (data[9] != 0 && data[9] != 2) || data[10] ||
                data[11] || data[12]) { rc = -5; break; }
            d->width = (int)get_u32(data);
            d->height = (int)get_u32(data + 4);
            d->channels = data[9] == 2 ? 3 : 1;
            seen_ihdr = 1;
        } else if (memcmp(type, "IDAT", 4) == 0) {
            uint8_t *nz = realloc(z, z_len + n + 1);
            if (!nz) { rc = -6; break; }
            z = nz;
            memcpy(z + z_len, data, n);
            z_len += n;
            d->idat_chunks++;
        } else if (memcmp(type, "IEND", 4) == 0) {
            if (n != 0) { rc = -7; break; }
            seen_iend = 1;
        }
        pos += 12 + (size_t)n;
    }
    if (!rc && (!seen_iend || pos != len || !d->idat_chunks)) rc = -8;
    if (!rc) {
        size_t stride = (size_t)d->width * d->channels;
        uLongf raw_len = (uLongf)((stride + 1) * d->height);
        uint8_t *raw = malloc(raw_len + 1);
        d->pixels = malloc(stride * d->height + 1);
        uLongf got = raw_len + 1; /* one spare byte: detects a too-long stream */
        if (!raw || !d->pixels || uncompress(raw, &got, z, (uLong)z_len) != Z_OK ||
            got != raw_len)
            rc = -9;
        else if (unfilter(d, raw) != 0)
            rc = -10;
        free(raw);
    }
    free(z);
    if (rc) {
        free(d->pixels);
        d->pixels = NULL;
    }
    return rc;
}

/* ------------------------------------------------------------- helpers */

static uint32_t rng_state = 12345;
static uint8_t rng_byte(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (uint8_t)(rng_state >> 24);
}

/* Encode, decode, compare; returns the decoded filter set (0 on failure). */
static unsigned roundtrip(const uint8_t *px, int w, int h, int c, int *idat_chunks) {
    uint8_t *png = NULL;
    size_t len = 0;
    CHECK_OK(gan_png_encode(px, w, h, c, &png, &len));
    if (!png) return 0;
    decoded_png d;
    int rc = decode_png(png, len, &d);
    CHECK_MSG(rc == 0, "%dx%dx%d: decoder error %d", w, h, c, rc);
    unsigned filters = 0;
    if (rc == 0) {
        CHECK(d.width == w && d.height == h && d.channels == c);
        CHECK_MSG(memcmp(d.pixels, px, (size_t)w * h * c) == 0, "%dx%dx%d: pixels differ", w, h,
                  c);
        filters = d.filters_seen;
        if (idat_chunks) *idat_chunks = d.idat_chunks;
    }
    free(d.pixels);
    free(png);
    return filters;
}

/* ----------------------------------------------------------------- tests */

static unsigned test_roundtrip_images(void) {
    unsigned filters = 0;
    static const int sizes[][2] = {{1, 1}, {1, 7}, {7, 1}, {3, 5}, {13, 11}, {31, 2}, {64, 64}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int c = 1; c <= 3; c += 2) {
            int w = sizes[s][0], h = sizes[s][1];
            size_t n = (size_t)w * h * c;
            uint8_t *px = malloc(n);
            for (int kind = 0; kind < 4; kind++) {
                for (size_t i = 0; i < n; i++) {
                    size_t x = (i / c) % w, y = i / ((size_t)c * w);
                    px[i] = kind == 0   ? rng_byte()                        /* noise */
                            : kind == 1 ? (uint8_t)(x * 7 + y * 3 + i % c)   /* gradient */
                            : kind == 2 ? (uint8_t)200                       /* constant */
                                        : (uint8_t)((x / 2 + y / 3) % 2 ? 250 : 5); /* blocks */
                }
                filters |= roundtrip(px, w, h, c, NULL);
            }
            free(px);
        }
    }
    return filters;
}

static void test_signature_and_ihdr(void) {
    uint8_t px[2 * 3 * 3];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 13);
    uint8_t *png = NULL;
    size_t len = 0;
    CHECK_OK(gan_png_encode(px, 3, 2, 3, &png, &len));
    if (!png) return;
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    CHECK(len > 8 + 25 + 12 + 12);
    CHECK(memcmp(png, sig, 8) == 0);
    CHECK(get_u32(png + 8) == 13 && memcmp(png + 12, "IHDR", 4) == 0);
    CHECK(get_u32(png + 16) == 3 && get_u32(png + 20) == 2);
    CHECK(png[24] == 8 && png[25] == 2 && png[26] == 0 && png[27] == 0 && png[28] == 0);
    CHECK(memcmp(png + len - 12, "\0\0\0\0IEND\xae\x42\x60\x82", 12) == 0);
    /* A flipped bit in IHDR's CRC, or in IDAT's data, must break the CRC. */
    decoded_png d;
    png[30] ^= 1;
    CHECK(decode_png(png, len, &d) == -3);
    png[30] ^= 1;
    png[8 + 25 + 8] ^= 0x10;
    CHECK(decode_png(png, len, &d) == -3);
    png[8 + 25 + 8] ^= 0x10;
    CHECK(decode_png(png, len, &d) == 0);
    free(d.pixels);
    free(png);
}

static void test_large_image_splits_idat(void) {
    int w = 300, h = 300, c = 3, chunks = 0;
    uint8_t *px = malloc((size_t)w * h * c);
    for (size_t i = 0; i < (size_t)w * h * c; i++) px[i] = rng_byte();
    roundtrip(px, w, h, c, &chunks);
    CHECK_MSG(chunks > 1, "expected several IDAT chunks, got %d", chunks);
    free(px);
}

static void test_bad_arguments(void) {
    uint8_t px[4] = {0};
    uint8_t *png = NULL;
    size_t len = 0;
    CHECK(gan_png_encode(px, 2, 2, 2, &png, &len) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_png_encode(px, 0, 2, 1, &png, &len) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_png_encode(px, 2, -1, 1, &png, &len) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_png_encode(NULL, 2, 2, 1, &png, &len) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(png == NULL);
}

static void test_png_write_file(void) {
    uint8_t px[5 * 4];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 11);
    const char *path = test_tmp_path("plain.png");
    CHECK_OK(gan_png_write(path, px, 5, 4, 1));
    size_t len = 0;
    uint8_t *buf = test_read_file(path, &len);
    CHECK(buf != NULL);
    decoded_png d;
    if (buf && decode_png(buf, len, &d) == 0) {
        CHECK(d.width == 5 && d.height == 4 && d.channels == 1);
        CHECK(memcmp(d.pixels, px, sizeof px) == 0);
        free(d.pixels);
    } else {
        CHECK_MSG(0, "%s did not decode", path);
    }
    free(buf);

    const char *bad = "/nonexistent/dir/x.png";
    CHECK(gan_png_write(bad, px, 5, 4, 1) == GAN_ERR_IO);
    CHECK_MSG(strstr(gan_last_error(), bad) != NULL, "message: %s", gan_last_error());
}

static void test_pixel_mapping(void) {
    CHECK(gan_png_pixel_from_float(-1.0f) == 0);
    CHECK(gan_png_pixel_from_float(1.0f) == 255);
    CHECK(gan_png_pixel_from_float(0.0f) == 128);
    CHECK(gan_png_pixel_from_float(-5.0f) == 0);
    CHECK(gan_png_pixel_from_float(3.0f) == 255);
    CHECK(gan_png_pixel_from_float(0.5f) == 191); /* 1.5 * 127.5 = 191.25 */
    CHECK(gan_png_pixel_from_float(-0.5f) == 64); /* 63.75 */
    CHECK(gan_png_pixel_from_float(nextafterf(-1.0f, 0.0f)) == 0);
}

/* Read a grid PNG back; returns the decoded image (pixels NULL on failure). */
static decoded_png read_grid(const char *path) {
    decoded_png d;
    memset(&d, 0, sizeof d);
    size_t len = 0;
    uint8_t *buf = test_read_file(path, &len);
    CHECK_MSG(buf != NULL, "cannot read %s", path);
    if (buf) CHECK(decode_png(buf, len, &d) == 0);
    free(buf);
    return d;
}

/* A grid of 5 images (C = 1 or 3, H = 3, W = 4) in 2 columns: 3 rows, one empty cell. */
static void test_grid_layout(int channels) {
    enum { N = 5, H = 3, W = 4, COLS = 2, B = 2 };
    int C = channels;
    float *img = malloc(sizeof(float) * N * C * H * W);
    /* Pixel value encodes (image, channel, y, x) within [-1, 1]. */
    for (int i = 0; i < N; i++)
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    img[((i * C + c) * H + y) * W + x] =
                        -1.0f + (float)(i * 37 + c * 11 + y * 5 + x) / 100.0f;
    img[0] = -1.0f; /* image 0, channel 0, (0,0) */
    img[1] = 1.0f;  /* image 0, channel 0, (0,1) */
    img[2] = 0.0f;  /* image 0, channel 0, (0,2) */
    const char *path = test_tmp_path(C == 1 ? "grid_gray.png" : "grid_rgb.png");
    CHECK_OK(gan_write_png_grid(path, img, N, C, H, W, COLS));
    decoded_png d = read_grid(path);
    int rows = (N + COLS - 1) / COLS, gw = COLS * (W + B) + B, gh = rows * (H + B) + B;
    if (d.pixels) {
        CHECK(d.channels == C);
        CHECK_MSG(d.width == gw && d.height == gh, "grid is %dx%d, expected %dx%d", d.width,
                  d.height, gw, gh);
    }
    if (!d.pixels || d.width != gw || d.height != gh || d.channels != C) {
        free(d.pixels);
        free(img);
        return;
    }
    /* Mark every pixel covered by an image; check those against the floats. */
    uint8_t *covered = calloc((size_t)gw * gh, 1);
    int mismatches = 0;
    for (int i = 0; i < N; i++) {
        int x0 = B + (i % COLS) * (W + B), y0 = B + (i / COLS) * (H + B);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                covered[(size_t)(y0 + y) * gw + x0 + x] = 1;
                for (int c = 0; c < C; c++) {
                    float v = img[((i * C + c) * H + y) * W + x];
                    int want = (int)lround(((double)v + 1.0) * 127.5);
                    if (d.pixels[((size_t)(y0 + y) * gw + x0 + x) * C + c] != want) mismatches++;
                }
            }
    }
    CHECK_MSG(mismatches == 0, "%d image pixels differ", mismatches);
    /* Image 0's first pixels: -1 -> 0, 1 -> 255, 0 -> 128. */
    CHECK(d.pixels[((size_t)B * gw + B) * C] == 0);
    CHECK(d.pixels[((size_t)B * gw + B + 1) * C] == 255);
    CHECK(d.pixels[((size_t)B * gw + B + 2) * C] == 128);
    /* Everything else (borders, the empty 6th cell) has the border value. */
    int bad_border = 0, border_pixels = 0;
    for (int y = 0; y < gh; y++)
        for (int x = 0; x < gw; x++) {
            if (covered[(size_t)y * gw + x]) continue;
            border_pixels++;
            for (int c = 0; c < C; c++)
                if (d.pixels[((size_t)y * gw + x) * C + c] != GAN_PNG_GRID_BORDER_VALUE)
                    bad_border++;
        }
    CHECK(border_pixels == gw * gh - N * H * W);
    CHECK_MSG(bad_border == 0, "%d border values differ from %d", bad_border,
              GAN_PNG_GRID_BORDER_VALUE);
    CHECK(GAN_PNG_GRID_BORDER_VALUE == 64);
    free(covered);
    free(d.pixels);
    free(img);
}

static void test_grid_refusals(void) {
    float img[2 * 1 * 2 * 2] = {0, 0.5f, -0.5f, 1, 0, 0, 0, 0};
    const char *path = test_tmp_path("grid_nan.png");
    img[6] = NAN;
    CHECK(gan_write_png_grid(path, img, 2, 1, 2, 2, 2) == GAN_ERR_NUMERIC);
    CHECK_MSG(strstr(gan_last_error(), path) && strstr(gan_last_error(), "image 1"),
              "message: %s", gan_last_error());
    size_t len = 0;
    void *buf = test_read_file(path, &len);
    CHECK(buf == NULL); /* nothing written */
    free(buf);
    img[6] = INFINITY;
    CHECK(gan_write_png_grid(path, img, 2, 1, 2, 2, 2) == GAN_ERR_NUMERIC);
    img[6] = 0;

    CHECK(gan_write_png_grid(path, img, 2, 2, 2, 2, 2) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_write_png_grid(path, img, 0, 1, 2, 2, 2) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_write_png_grid(path, img, 2, 1, 2, 2, 0) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_write_png_grid(path, img, 2, 1, 2, 2, 2) == GAN_OK);

    const char *bad = "/nonexistent/dir/x.png";
    CHECK(gan_write_png_grid(bad, img, 2, 1, 2, 2, 2) == GAN_ERR_IO);
    CHECK_MSG(strstr(gan_last_error(), bad) != NULL, "message: %s", gan_last_error());
}

int main(void) {
    unsigned filters = test_roundtrip_images();
    /* The adaptive filter choice must actually use several filter types, so
     * the decoder's unfilter paths (and the encoder's filters) are exercised. */
    int distinct = 0;
    for (int t = 0; t <= 4; t++) distinct += (filters >> t) & 1;
    CHECK_MSG(distinct >= 3, "filter types used: mask 0x%x", filters);
    test_signature_and_ihdr();
    test_large_image_splits_idat();
    test_bad_arguments();
    test_png_write_file();
    test_pixel_mapping();
    test_grid_layout(1);
    test_grid_layout(3);
    test_grid_refusals();
    return test_report();
}
