/*
 * png.c - PNG encoding with zlib, and gan_write_png_grid (see io/png.h).
 *
 * Layout of an encoded file: the 8-byte signature, IHDR, one or more IDAT
 * chunks (the zlib stream split every GAN_PNG_IDAT_MAX bytes), IEND.
 * Invariants: the filtered image ("raw") has height rows of 1 + width *
 * channels bytes, each starting with its filter type 0..4; sizes are checked
 * against GAN_PNG_MAX_SIDE / GAN_PNG_MAX_RAW before anything is allocated.
 */
#include "io/png.h"

#include "io/atomic_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const uint8_t gan_png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

/* ------------------------------------------------------------ filtering */

static uint8_t gan_png_paeth(uint8_t a, uint8_t b, uint8_t c) {
    int p = (int)a + (int)b - (int)c;
    int pa = abs(p - (int)a), pb = abs(p - (int)b), pc = abs(p - (int)c);
    if (pa <= pb && pa <= pc) return a;
    if (pb <= pc) return b;
    return c;
}

/* Filter one row of `n` bytes with filter `type` into dst. `prev` is the
 * previous unfiltered row (all zeros for the first row); bpp = channels. */
static void gan_png_filter_row(int type, const uint8_t *row, const uint8_t *prev, size_t n,
                               size_t bpp, uint8_t *dst) {
    for (size_t i = 0; i < n; i++) {
        uint8_t a = i >= bpp ? row[i - bpp] : 0;
        uint8_t b = prev[i];
        uint8_t c = i >= bpp ? prev[i - bpp] : 0;
        uint8_t pred = 0;
        switch (type) {
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (uint8_t)(((unsigned)a + (unsigned)b) / 2); break;
        case 4: pred = gan_png_paeth(a, b, c); break;
        default: pred = 0; break;
        }
        dst[i] = (uint8_t)(row[i] - pred);
    }
}

/* Sum of |filtered byte| read as signed, the standard filter-choice cost. */
static uint64_t gan_png_row_cost(const uint8_t *f, size_t n) {
    uint64_t cost = 0;
    for (size_t i = 0; i < n; i++) cost += (uint64_t)abs((int)(int8_t)f[i]);
    return cost;
}

/* Write the filtered rows (filter byte + row) for the whole image into raw,
 * which holds height * (1 + stride) bytes; scratch holds 2 * stride bytes. */
static void gan_png_filter_image(const uint8_t *pixels, size_t width, size_t height,
                                 size_t channels, uint8_t *raw, uint8_t *scratch) {
    size_t stride = width * channels;
    uint8_t *zeros = scratch, *trial = scratch + stride;
    memset(zeros, 0, stride);
    for (size_t y = 0; y < height; y++) {
        const uint8_t *row = pixels + y * stride;
        const uint8_t *prev = y ? row - stride : zeros;
        uint8_t *dst = raw + y * (stride + 1);
        uint64_t best_cost = UINT64_MAX;
        for (int type = 0; type <= 4; type++) {
            gan_png_filter_row(type, row, prev, stride, channels, trial);
            uint64_t cost = gan_png_row_cost(trial, stride);
            if (cost < best_cost) {
                best_cost = cost;
                dst[0] = (uint8_t)type;
                memcpy(dst + 1, trial, stride);
            }
        }
    }
}

/* ---------------------------------------------------------------- chunks */

static void gan_png_put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Append a chunk (length, type, data, CRC) at out; returns bytes written. */
static size_t gan_png_put_chunk(uint8_t *out, const char type[4], const uint8_t *data,
                                size_t n) {
    gan_png_put_u32(out, (uint32_t)n);
    memcpy(out + 4, type, 4);
    if (n) memcpy(out + 8, data, n);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, out + 4, (uInt)(n + 4));
    gan_png_put_u32(out + 8 + n, (uint32_t)crc);
    return n + 12;
}

/* Deflate `raw` into a malloc'd buffer at zlib's level 2: gan train writes a
 * grid every epoch, which on a GPU can be every 0.3 s (the seed model: 30
 * epochs in ~10 s on an H100). On a sample grid (726 x 726, nearest-neighbour
 * enlarged; Python's zlib, this machine) level 2 takes 2.9 ms for 82 KB,
 * level 6 (the default) 10.0 ms for 73 KB, level 9 37 ms for 72 KB. */
static gan_status gan_png_deflate(const uint8_t *raw, size_t raw_len, uint8_t **z,
                                  size_t *z_len) {
    uLongf cap = compressBound((uLong)raw_len);
    *z = malloc(cap);
    if (!*z) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "png: cannot allocate %lu bytes", cap);
    int rc = compress2(*z, &cap, raw, (uLong)raw_len, 2);
    if (rc != Z_OK) {
        free(*z);
        *z = NULL;
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "png: zlib compress2 failed (%d)", rc);
    }
    *z_len = cap;
    return GAN_OK;
}

/* Assemble signature + IHDR + IDAT chunks + IEND around the zlib stream. */
static gan_status gan_png_assemble(const uint8_t *z, size_t z_len, int width, int height,
                                   int channels, uint8_t **out, size_t *out_len) {
    size_t n_idat = z_len / GAN_PNG_IDAT_MAX + 1;
    size_t total = 8 + (12 + 13) + n_idat * 12 + z_len + 12;
    uint8_t *buf = malloc(total);
    if (!buf) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "png: cannot allocate %zu bytes", total);
    size_t pos = 0;
    memcpy(buf, gan_png_signature, 8);
    pos += 8;
    uint8_t ihdr[13];
    gan_png_put_u32(ihdr, (uint32_t)width);
    gan_png_put_u32(ihdr + 4, (uint32_t)height);
    ihdr[8] = 8;                      /* bit depth */
    ihdr[9] = channels == 3 ? 2 : 0;  /* colour type: RGB or gray */
    ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filtering, no interlace */
    pos += gan_png_put_chunk(buf + pos, "IHDR", ihdr, sizeof ihdr);
    size_t done = 0;
    do {
        size_t n = GAN_MIN(z_len - done, (size_t)GAN_PNG_IDAT_MAX);
        pos += gan_png_put_chunk(buf + pos, "IDAT", z + done, n);
        done += n;
    } while (done < z_len);
    pos += gan_png_put_chunk(buf + pos, "IEND", NULL, 0);
    *out = buf;
    *out_len = pos;
    return GAN_OK;
}

/* ---------------------------------------------------------------- encode */

static gan_status gan_png_check_args(const uint8_t *pixels, int width, int height, int channels,
                                     size_t *raw_len) {
    if (!pixels) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "png: pixels is NULL");
    if (channels != 1 && channels != 3)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "png: %d channels (expected 1 for gray or 3 for RGB)", channels);
    if (width < 1 || height < 1 || width > GAN_PNG_MAX_SIDE || height > GAN_PNG_MAX_SIDE)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "png: image size %d x %d out of range 1..%d",
                        width, height, GAN_PNG_MAX_SIDE);
    uint64_t raw = (uint64_t)height * (1 + (uint64_t)width * (uint64_t)channels);
    if (raw > GAN_PNG_MAX_RAW)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "png: image %d x %d x %d is too large",
                        width, height, channels);
    *raw_len = (size_t)raw;
    return GAN_OK;
}

gan_status gan_png_encode(const uint8_t *pixels, int width, int height, int channels,
                          uint8_t **out, size_t *out_len) {
    if (!out || !out_len) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "png: output is NULL");
    *out = NULL;
    *out_len = 0;
    size_t raw_len = 0;
    GAN_TRY(gan_png_check_args(pixels, width, height, channels, &raw_len));
    size_t stride = (size_t)width * (size_t)channels;
    uint8_t *raw = malloc(raw_len);
    uint8_t *scratch = malloc(2 * stride);
    if (!raw || !scratch) {
        free(raw);
        free(scratch);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "png: cannot allocate %zu bytes", raw_len);
    }
    gan_png_filter_image(pixels, (size_t)width, (size_t)height, (size_t)channels, raw, scratch);
    free(scratch);
    uint8_t *z = NULL;
    size_t z_len = 0;
    gan_status s = gan_png_deflate(raw, raw_len, &z, &z_len);
    free(raw);
    if (s != GAN_OK) return s;
    s = gan_png_assemble(z, z_len, width, height, channels, out, out_len);
    free(z);
    return s;
}

gan_status gan_png_write(const char *path, const uint8_t *pixels, int width, int height,
                         int channels) {
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "png: empty output path");
    uint8_t *png = NULL;
    size_t len = 0;
    gan_status s = gan_png_encode(pixels, width, height, channels, &png, &len);
    if (s != GAN_OK) return gan_fail_prefix(s, path);
    s = gan_atomic_write_file(path, png, len);
    free(png);
    return s;
}

/* ------------------------------------------------------------------ grid */

uint8_t gan_png_pixel_from_float(float x) {
    double v = round(((double)x + 1.0) * 127.5);
    if (v < 0.0) return 0;
    if (v > 255.0) return 255;
    return (uint8_t)v;
}

/* Refuse NaN and infinity, naming the first bad pixel. */
static gan_status gan_png_check_finite(const char *path, const float *images, int n, int c,
                                       int h, int w) {
    size_t per_image = (size_t)c * (size_t)h * (size_t)w;
    size_t total = per_image * (size_t)n;
    for (size_t i = 0; i < total; i++) {
        if (isfinite(images[i])) continue;
        size_t img = i / per_image, rest = i % per_image;
        size_t ch = rest / ((size_t)h * (size_t)w), yx = rest % ((size_t)h * (size_t)w);
        return gan_fail(GAN_ERR_NUMERIC,
                        "%s: image %zu has a non-finite pixel (%s) at channel %zu, row %zu, "
                        "column %zu",
                        path, img, isnan(images[i]) ? "nan" : "inf", ch, yx / (size_t)w,
                        yx % (size_t)w);
    }
    return GAN_OK;
}

/* Grid geometry with overflow checks: gw x gh pixels. */
static gan_status gan_png_grid_size(const char *path, int n, int channels, int height,
                                    int width, int cols, int *gw, int *gh) {
    if (n < 1 || height < 1 || width < 1 || cols < 1)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "%s: bad grid request: n=%d, height=%d, width=%d, cols=%d (all must be "
                        ">= 1)",
                        path, n, height, width, cols);
    if (channels != 1 && channels != 3)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT,
                        "%s: %d channels (expected 1 for gray or 3 for RGB)", path, channels);
    int64_t rows = ((int64_t)n + cols - 1) / cols;
    int64_t b = GAN_PNG_GRID_BORDER;
    int64_t w64 = (int64_t)cols * (width + b) + b;
    int64_t h64 = rows * (height + b) + b;
    if (w64 > GAN_PNG_MAX_SIDE || h64 > GAN_PNG_MAX_SIDE ||
        (uint64_t)w64 * (uint64_t)h64 * (uint64_t)channels > GAN_PNG_MAX_RAW)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: grid of %lld x %lld pixels is too large",
                        path, (long long)w64, (long long)h64);
    *gw = (int)w64;
    *gh = (int)h64;
    return GAN_OK;
}

/* Copy image `i` (C x H x W floats) into its cell of the interleaved grid. */
static void gan_png_grid_place(uint8_t *grid, int gw, const float *img, int i, int channels,
                               int height, int width, int cols) {
    size_t x0 = (size_t)GAN_PNG_GRID_BORDER + (size_t)(i % cols) * (width + GAN_PNG_GRID_BORDER);
    size_t y0 = (size_t)GAN_PNG_GRID_BORDER + (size_t)(i / cols) * (height + GAN_PNG_GRID_BORDER);
    for (int c = 0; c < channels; c++)
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) {
                float v = img[((size_t)c * height + y) * width + x];
                size_t at = ((y0 + y) * (size_t)gw + x0 + x) * channels + c;
                grid[at] = gan_png_pixel_from_float(v);
            }
}

gan_status gan_image_grid(const char *what, const float *images, int n, int channels,
                          int height, int width, int cols, uint8_t **out, int *gw, int *gh) {
    *out = NULL;
    if (!images) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: images is NULL", what);
    GAN_TRY(gan_png_grid_size(what, n, channels, height, width, cols, gw, gh));
    GAN_TRY(gan_png_check_finite(what, images, n, channels, height, width));
    size_t grid_len = (size_t)*gw * (size_t)*gh * (size_t)channels;
    uint8_t *grid = malloc(grid_len);
    if (!grid)
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %zu bytes", what, grid_len);
    memset(grid, GAN_PNG_GRID_BORDER_VALUE, grid_len);
    size_t per_image = (size_t)channels * (size_t)height * (size_t)width;
    for (int i = 0; i < n; i++)
        gan_png_grid_place(grid, *gw, images + (size_t)i * per_image, i, channels, height, width,
                           cols);
    *out = grid;
    return GAN_OK;
}

gan_status gan_write_png_grid(const char *path, const float *images, int n, int channels,
                              int height, int width, int cols) {
    return gan_write_png_grid_scaled(path, images, n, channels, height, width, cols, 1);
}

int gan_grid_auto_scale(int grid_width) {
    int k = grid_width > 0 ? (GAN_GRID_MIN_WIDTH + grid_width - 1) / grid_width : 1;
    return k < 1 ? 1 : k > GAN_GRID_MAX_SCALE ? GAN_GRID_MAX_SCALE : k;
}

gan_status gan_write_png_grid_scaled(const char *path, const float *images, int n, int channels,
                                     int height, int width, int cols, int scale) {
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "png: empty output path");
    if (scale < 0 || scale > GAN_GRID_MAX_SCALE)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: grid scale %d is out of range [0, %d]",
                        path, scale, GAN_GRID_MAX_SCALE);
    uint8_t *grid, *big = NULL;
    int gw, gh;
    GAN_TRY(gan_image_grid(path, images, n, channels, height, width, cols, &grid, &gw, &gh));
    int k = scale ? scale : gan_grid_auto_scale(gw);
    if (k > 1 && ((int64_t)gw * k > GAN_PNG_MAX_SIDE || (int64_t)gh * k > GAN_PNG_MAX_SIDE ||
                  (uint64_t)gw * k * (uint64_t)gh * k * channels > GAN_PNG_MAX_RAW))
        k = 1; /* an enlarged grid this big helps nobody */
    if (k > 1) {
        big = malloc((size_t)gw * k * (size_t)gh * k * channels);
        if (!big) {
            free(grid);
            return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate the enlarged grid", path);
        }
        size_t bw = (size_t)gw * k;
        for (size_t y = 0; y < (size_t)gh * k; y++) /* nearest neighbour: each pixel k x k */
            for (size_t x = 0; x < bw; x++)
                memcpy(big + (y * bw + x) * channels,
                       grid + ((y / k) * (size_t)gw + x / k) * channels, (size_t)channels);
    }
    gan_status s = k > 1 ? gan_png_write(path, big, gw * k, gh * k, channels)
                         : gan_png_write(path, grid, gw, gh, channels);
    free(grid);
    free(big);
    return s;
}
