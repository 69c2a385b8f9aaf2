/*
 * png_read.c - PNG decoding with zlib (see io/png.h for what is accepted).
 *
 * Two passes over the chunks of a file held in memory: the first checks
 * every chunk's bounds and CRC, the chunk order (IHDR first, PLTE before the
 * IDATs, the IDATs consecutive, IEND last) and IHDR, and sums the IDAT
 * lengths; only then is the filtered image ("raw", height rows of 1 + stride
 * bytes) allocated, and the second pass inflates the IDATs into it. Rows are
 * unfiltered in place, then expanded to 8-bit interleaved pixels.
 */
#define _POSIX_C_SOURCE 200809L
#include "io/png.h"
#include "io/open_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define GAN_PNG_INFLATE_RATIO 1032 /* deflate's largest expansion, plus slack below */

static const uint8_t gan_png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

/* What the first pass learns. */
typedef struct gan_png_info {
    const char *name;
    uint32_t width, height;
    int depth, color; /* IHDR bit depth and colour type */
    int samples;      /* samples per pixel in the file: 1, 2, 3 or 4 */
    int out_channels; /* channels of the decoded image */
    uint8_t palette[256][4];
    int palette_len;
    bool has_trns;
    uint64_t idat_total;
} gan_png_info;

static uint32_t gan_png_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Printable chunk type for messages. */
static void gan_png_type_str(const uint8_t *t, char out[5]) {
    for (int i = 0; i < 4; i++) out[i] = (t[i] >= 32 && t[i] < 127) ? (char)t[i] : '?';
    out[4] = 0;
}

static gan_status gan_png_parse_ihdr(gan_png_info *in, const uint8_t *d, uint32_t n) {
    if (n != 13) return gan_fail(GAN_ERR_FORMAT, "%s: IHDR has %u bytes (expected 13)", in->name, n);
    in->width = gan_png_be32(d);
    in->height = gan_png_be32(d + 4);
    in->depth = d[8];
    in->color = d[9];
    if (in->width < 1 || in->height < 1 || in->width > GAN_PNG_MAX_SIDE ||
        in->height > GAN_PNG_MAX_SIDE)
        return gan_fail(GAN_ERR_FORMAT, "%s: image size %u x %u out of range 1..%d", in->name,
                        in->width, in->height, GAN_PNG_MAX_SIDE);
    if (d[10] != 0 || d[11] != 0)
        return gan_fail(GAN_ERR_FORMAT, "%s: unknown compression (%d) or filter method (%d)",
                        in->name, d[10], d[11]);
    if (d[12] == 1)
        return gan_fail(GAN_ERR_UNSUPPORTED, "%s: interlaced (Adam7) PNG is not supported",
                        in->name);
    if (d[12] != 0) return gan_fail(GAN_ERR_FORMAT, "%s: unknown interlace method %d", in->name, d[12]);
    int dp = in->depth;
    bool ok;
    switch (in->color) {
    case 0: ok = dp == 1 || dp == 2 || dp == 4 || dp == 8 || dp == 16; in->samples = 1; break;
    case 2: ok = dp == 8 || dp == 16; in->samples = 3; break;
    case 3: ok = dp == 1 || dp == 2 || dp == 4 || dp == 8; in->samples = 1; break;
    case 4: ok = dp == 8 || dp == 16; in->samples = 2; break;
    case 6: ok = dp == 8 || dp == 16; in->samples = 4; break;
    default:
        return gan_fail(GAN_ERR_FORMAT, "%s: unknown colour type %d", in->name, in->color);
    }
    if (!ok)
        return gan_fail(GAN_ERR_FORMAT, "%s: bit depth %d is not valid for colour type %d",
                        in->name, dp, in->color);
    if (dp == 16)
        return gan_fail(GAN_ERR_UNSUPPORTED, "%s: 16-bit PNG is not supported (8-bit only)",
                        in->name);
    in->out_channels = in->color == 3 ? 3 : in->samples;
    return GAN_OK;
}

static gan_status gan_png_parse_plte(gan_png_info *in, const uint8_t *d, uint32_t n) {
    if (in->color == 0 || in->color == 4)
        return gan_fail(GAN_ERR_FORMAT, "%s: PLTE chunk in a gray image", in->name);
    if (n % 3 || n < 3 || n > 768)
        return gan_fail(GAN_ERR_FORMAT, "%s: PLTE has %u bytes (expected 3 to 768, a multiple of 3)",
                        in->name, n);
    if (in->color != 3) return GAN_OK; /* a suggested palette for RGB: ignored */
    in->palette_len = (int)(n / 3);
    for (int i = 0; i < in->palette_len; i++) {
        memcpy(in->palette[i], d + 3 * i, 3);
        in->palette[i][3] = 255;
    }
    return GAN_OK;
}

static gan_status gan_png_parse_trns(gan_png_info *in, const uint8_t *d, uint32_t n) {
    if (in->color != 3) return GAN_OK; /* colour key on gray/RGB: ignored (documented) */
    if (!in->palette_len)
        return gan_fail(GAN_ERR_FORMAT, "%s: tRNS chunk before PLTE", in->name);
    if (n > (uint32_t)in->palette_len)
        return gan_fail(GAN_ERR_FORMAT, "%s: tRNS has %u entries for a palette of %d", in->name,
                        n, in->palette_len);
    for (uint32_t i = 0; i < n; i++) in->palette[i][3] = d[i];
    in->has_trns = true;
    in->out_channels = 4;
    return GAN_OK;
}

/* First pass: bounds, CRCs, order, IHDR/PLTE/tRNS; sums the IDAT lengths. */
static gan_status gan_png_scan(const uint8_t *buf, size_t len, gan_png_info *in) {
    size_t pos = 8;
    bool seen_ihdr = false, seen_iend = false, in_idat = false, idat_done = false;
    int chunk = 0;
    while (!seen_iend) {
        if (len - pos < 12)
            return gan_fail(GAN_ERR_FORMAT, "%s: truncated: file ends at byte %zu inside a chunk "
                            "header (no IEND)", in->name, len);
        uint32_t n = gan_png_be32(buf + pos);
        const uint8_t *type = buf + pos + 4, *data = buf + pos + 8;
        char ts[5];
        gan_png_type_str(type, ts);
        if (n > 0x7fffffffu || n > len - pos - 12)
            return gan_fail(GAN_ERR_FORMAT, "%s: truncated: chunk '%s' at byte %zu announces %u "
                            "bytes, the file has %zu left", in->name, ts, pos, n, len - pos - 12);
        uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), type, (uInt)n + 4);
        if (crc != gan_png_be32(data + n))
            return gan_fail(GAN_ERR_FORMAT, "%s: bad CRC in chunk '%s' at byte %zu", in->name, ts,
                            pos);
        bool is_idat = !memcmp(type, "IDAT", 4);
        if (chunk == 0 && memcmp(type, "IHDR", 4) != 0)
            return gan_fail(GAN_ERR_FORMAT, "%s: first chunk is '%s', not IHDR", in->name, ts);
        if (in_idat && !is_idat) idat_done = true;
        if (!memcmp(type, "IHDR", 4)) {
            if (seen_ihdr) return gan_fail(GAN_ERR_FORMAT, "%s: second IHDR chunk", in->name);
            GAN_TRY(gan_png_parse_ihdr(in, data, n));
            seen_ihdr = true;
        } else if (!memcmp(type, "PLTE", 4)) {
            if (in_idat || in->palette_len)
                return gan_fail(GAN_ERR_FORMAT, "%s: PLTE after image data or twice", in->name);
            GAN_TRY(gan_png_parse_plte(in, data, n));
        } else if (!memcmp(type, "tRNS", 4)) {
            if (in_idat) return gan_fail(GAN_ERR_FORMAT, "%s: tRNS after image data", in->name);
            GAN_TRY(gan_png_parse_trns(in, data, n));
        } else if (is_idat) {
            if (idat_done)
                return gan_fail(GAN_ERR_FORMAT, "%s: IDAT chunks are not consecutive", in->name);
            if (in->color == 3 && !in->palette_len)
                return gan_fail(GAN_ERR_FORMAT, "%s: palette image without a PLTE chunk", in->name);
            in_idat = true;
            in->idat_total += n;
        } else if (!memcmp(type, "IEND", 4)) {
            if (n != 0) return gan_fail(GAN_ERR_FORMAT, "%s: IEND chunk is not empty", in->name);
            seen_iend = true;
        } else if (!(type[0] & 0x20)) {
            return gan_fail(GAN_ERR_UNSUPPORTED, "%s: unknown critical chunk '%s'", in->name, ts);
        }
        pos += 12 + (size_t)n;
        chunk++;
    }
    if (!in->idat_total) return gan_fail(GAN_ERR_FORMAT, "%s: no image data (IDAT)", in->name);
    if (pos != len)
        return gan_fail(GAN_ERR_FORMAT, "%s: %zu bytes of trailing data after IEND", in->name,
                        len - pos);
    return GAN_OK;
}

/* Second pass: inflate the IDAT chunks into raw, which has room for
 * raw_len + 1 bytes: the spare byte catches a stream that is too long. */
static gan_status gan_png_inflate(const uint8_t *buf, size_t len, const gan_png_info *in,
                                  uint8_t *raw, size_t raw_len) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK)
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: zlib inflateInit failed", in->name);
    zs.next_out = raw;
    zs.avail_out = 0;
    size_t out_done = 0;
    int rc = Z_OK;
    gan_status s = GAN_OK;
    for (size_t pos = 8; pos + 12 <= len && s == GAN_OK;) {
        uint32_t n = gan_png_be32(buf + pos);
        const uint8_t *type = buf + pos + 4;
        if (!memcmp(type, "IDAT", 4)) {
            if (rc == Z_STREAM_END && n > 0) {
                s = gan_fail(GAN_ERR_FORMAT, "%s: data after the end of the zlib stream", in->name);
                break;
            }
            zs.next_in = (Bytef *)(buf + pos + 8);
            zs.avail_in = n;
            while (zs.avail_in > 0 && rc != Z_STREAM_END) {
                if (zs.avail_out == 0) {
                    size_t k = GAN_MIN(raw_len + 1 - out_done, (size_t)1 << 30);
                    if (k == 0) {
                        s = gan_fail(GAN_ERR_FORMAT, "%s: more image data than %u x %u pixels "
                                     "need", in->name, in->width, in->height);
                        break;
                    }
                    zs.next_out = raw + out_done;
                    zs.avail_out = (uInt)k;
                    out_done += k;
                }
                rc = inflate(&zs, Z_NO_FLUSH);
                if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
                    s = gan_fail(GAN_ERR_FORMAT, "%s: corrupt image data (zlib: %s)", in->name,
                                 zs.msg ? zs.msg : "error");
                    break;
                }
            }
            if (s == GAN_OK && rc == Z_STREAM_END && zs.avail_in > 0)
                s = gan_fail(GAN_ERR_FORMAT, "%s: data after the end of the zlib stream", in->name);
        }
        pos += 12 + (size_t)n;
    }
    if (s == GAN_OK && rc != Z_STREAM_END)
        s = gan_fail(GAN_ERR_FORMAT, "%s: image data is truncated (zlib stream not finished)",
                     in->name);
    if (s == GAN_OK && zs.total_out != raw_len)
        s = gan_fail(GAN_ERR_FORMAT, "%s: image data holds %lu bytes, %u x %u pixels need %zu",
                     in->name, (unsigned long)zs.total_out, in->width, in->height, raw_len);
    inflateEnd(&zs);
    return s;
}

static uint8_t gan_png_paeth_pred(int a, int b, int c) {
    int p = a + b - c;
    int pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    if (pa <= pb && pa <= pc) return (uint8_t)a;
    return (uint8_t)(pb <= pc ? b : c);
}

/* Undo the filters in place: row y's bytes end up at raw + y * (stride + 1) + 1. */
static gan_status gan_png_unfilter(const gan_png_info *in, uint8_t *raw, size_t stride,
                                   size_t bpp) {
    const uint8_t *prev = NULL;
    for (uint32_t y = 0; y < in->height; y++) {
        uint8_t *row = raw + (size_t)y * (stride + 1);
        int type = row[0];
        row++;
        if (type > 4)
            return gan_fail(GAN_ERR_FORMAT, "%s: row %u has unknown filter type %d", in->name, y,
                            type);
        for (size_t i = 0; i < stride; i++) {
            int a = i >= bpp ? row[i - bpp] : 0, b = prev ? prev[i] : 0;
            int c = prev && i >= bpp ? prev[i - bpp] : 0;
            int pred = type == 0 ? 0 : type == 1 ? a : type == 2 ? b : type == 3 ? (a + b) / 2
                                                                                : gan_png_paeth_pred(a, b, c);
            row[i] = (uint8_t)(row[i] + pred);
        }
        prev = row;
    }
    return GAN_OK;
}

/* Expand the unfiltered rows to 8-bit interleaved pixels. */
static gan_status gan_png_expand(const gan_png_info *in, const uint8_t *raw, size_t stride,
                                 uint8_t *px) {
    int d = in->depth, oc = in->out_channels;
    unsigned mask = (1u << d) - 1, scale = d == 8 ? 1 : 255 / mask;
    for (uint32_t y = 0; y < in->height; y++) {
        const uint8_t *row = raw + (size_t)y * (stride + 1) + 1;
        uint8_t *out = px + (size_t)y * in->width * (size_t)oc;
        if (in->color != 3 && d == 8) {
            memcpy(out, row, (size_t)in->width * (size_t)oc);
            continue;
        }
        for (uint32_t x = 0; x < in->width; x++) {
            size_t bit = (size_t)x * (size_t)d;
            unsigned v = (row[bit / 8] >> (8 - d - (int)(bit % 8))) & mask;
            if (in->color == 0) {
                out[x] = (uint8_t)(v * scale);
                continue;
            }
            if ((int)v >= in->palette_len)
                return gan_fail(GAN_ERR_FORMAT, "%s: pixel (%u, %u) has palette index %u, the "
                                "palette has %d entries", in->name, x, y, v, in->palette_len);
            memcpy(out + (size_t)x * oc, in->palette[v], (size_t)oc);
        }
    }
    return GAN_OK;
}

gan_status gan_png_decode(const uint8_t *buf, size_t len, const char *name, uint8_t **pixels,
                          int *width, int *height, int *channels) {
    if (!pixels || !width || !height || !channels)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "png: output is NULL");
    *pixels = NULL;
    if (!name) name = "png";
    if (!buf) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: buffer is NULL", name);
    if (len < 8 || memcmp(buf, gan_png_sig, 8) != 0)
        return gan_fail(GAN_ERR_FORMAT, "%s: not a PNG file (bad signature)", name);
    gan_png_info *in = calloc(1, sizeof *in);
    if (!in) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", name);
    in->name = name;
    gan_status s = gan_png_scan(buf, len, in);
    uint64_t bits = (uint64_t)in->width * (uint64_t)in->samples * (uint64_t)in->depth;
    uint64_t stride = (bits + 7) / 8;
    uint64_t raw_len = (uint64_t)in->height * (stride + 1);
    uint64_t out_len = (uint64_t)in->height * in->width * (uint64_t)in->out_channels;
    if (s == GAN_OK && (raw_len > GAN_PNG_MAX_RAW || out_len > GAN_PNG_MAX_RAW))
        s = gan_fail(GAN_ERR_FORMAT, "%s: image %u x %u is too large", name, in->width,
                     in->height);
    if (s == GAN_OK && raw_len > in->idat_total * GAN_PNG_INFLATE_RATIO + 1024)
        s = gan_fail(GAN_ERR_FORMAT, "%s: image data is truncated: %llu compressed bytes cannot "
                     "hold %u x %u pixels", name, (unsigned long long)in->idat_total, in->width,
                     in->height);
    uint8_t *raw = NULL, *px = NULL;
    if (s == GAN_OK) {
        raw = malloc((size_t)raw_len + 1);
        px = malloc((size_t)out_len);
        if (!raw || !px) s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: cannot allocate %llu bytes",
                                      name, (unsigned long long)(raw_len + out_len));
    }
    size_t bpp = (size_t)GAN_MAX(1, in->samples * in->depth / 8);
    if (s == GAN_OK) s = gan_png_inflate(buf, len, in, raw, (size_t)raw_len);
    if (s == GAN_OK) s = gan_png_unfilter(in, raw, (size_t)stride, bpp);
    if (s == GAN_OK) s = gan_png_expand(in, raw, (size_t)stride, px);
    free(raw);
    if (s == GAN_OK) {
        *pixels = px;
        *width = (int)in->width;
        *height = (int)in->height;
        *channels = in->out_channels;
    } else {
        free(px);
    }
    free(in);
    return s;
}

gan_status gan_png_read(const char *path, uint8_t **pixels, int *width, int *height,
                        int *channels) {
    if (pixels) *pixels = NULL;
    if (!path || !*path) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "png: empty path");
    uint8_t *buf;
    size_t len;
    GAN_TRY(gan_read_file(path, GAN_PNG_MAX_FILE, "a PNG", &buf, &len));
    gan_status s = gan_png_decode(buf, len, path, pixels, width, height, channels);
    free(buf);
    return s;
}
