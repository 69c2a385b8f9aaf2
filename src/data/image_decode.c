/*
 * image_decode.c - decoding and shaping of single images (see image_decode.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "data/image_decode.h"
#include "io/open_file.h"

#include "data/image_jpeg.h"
#include "data/image_resize.h"
#include "data/image_stb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Width and height as the header states them, read here (not by stb_image,
 * which refuses images over 2^30 bytes as "too large" and would make a bomb
 * look like a corrupt file): PNG IHDR, BMP info header, JPEG SOFn marker.
 * False when the header is not one of these, is cut before the size, or
 * has fields no valid file has (PNG bit depth and colour type; BMP header
 * size, planes and bits per pixel; JPEG precision and components): a
 * corrupt file is then skipped as undecodable, not taken for a bomb. */
static bool image_header_size(const uint8_t *b, size_t n, int64_t *w, int64_t *h) {
    if (n >= 26 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(b + 12, "IHDR", 4) == 0) {
        int depth = b[24], type = b[25];
        if ((depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16) ||
            (type != 0 && type != 2 && type != 3 && type != 4 && type != 6))
            return false;
        *w = (int64_t)b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19];
        *h = (int64_t)b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23];
        return true;
    }
    if (n >= 30 && b[0] == 'B' && b[1] == 'M') {
        int32_t bw, bh;
        uint32_t hs = (uint32_t)b[14] | (uint32_t)b[15] << 8 | (uint32_t)b[16] << 16 | (uint32_t)b[17] << 24;
        if (hs != 12 && hs != 40 && hs != 52 && hs != 56 && hs != 64 && hs != 108 && hs != 124)
            return false;
        size_t at = hs == 12 ? 22 : 26; /* planes, then bits per pixel */
        int planes = b[at] | b[at + 1] << 8, bpp = b[at + 2] | b[at + 3] << 8;
        if (planes != 1 || (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32))
            return false;
        if (hs == 12) { /* OS/2 core header: 16-bit sizes */
            *w = b[18] | b[19] << 8;
            *h = b[20] | b[21] << 8;
            return true;
        }
        memcpy(&bw, b + 18, 4); /* little-endian host (as npy.h) */
        memcpy(&bh, b + 22, 4);
        *w = bw < 0 ? -(int64_t)bw : bw;
        *h = bh < 0 ? -(int64_t)bh : bh;
        return true;
    }
    if (n >= 4 && b[0] == 0xFF && b[1] == 0xD8) {
        size_t i = 2;
        while (i + 9 < n) {
            if (b[i] != 0xFF) return false;
            uint8_t m = b[i + 1];
            if (m == 0xFF) { i++; continue; }
            size_t seg = (size_t)b[i + 2] << 8 | b[i + 3];
            if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
                int precision = b[i + 4], comps = b[i + 9];
                if ((precision != 8 && precision != 12 && precision != 16) ||
                    (comps != 1 && comps != 3 && comps != 4))
                    return false;
                *h = b[i + 5] << 8 | b[i + 6];
                *w = b[i + 7] << 8 | b[i + 8];
                return true;
            }
            if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) { i += 2; continue; }
            i += 2 + seg;
        }
    }
    return false;
}

gan_status image_probe(const uint8_t *buf, size_t len, const char *name, int64_t max_pixels,
                       int *width, int *height, int *channels) {
    if (len == 0) return gan_fail(GAN_ERR_FORMAT, "%s: empty file", name);
    if (max_pixels <= 0) max_pixels = GAN_DATASET_MAX_PIXELS;
    int64_t hw = 0, hh = 0;
    if (image_header_size(buf, len, &hw, &hh) && hw > 0 && hh > max_pixels / hw) /* no overflow */
        return gan_fail(GAN_ERR_SHAPE, "%s: header claims %lld x %lld pixels, more than the budget of %lld "
                        "(a decompression bomb?)", name, (long long)hw, (long long)hh, (long long)max_pixels);
    int w = 0, h = 0, c = 0;
    if (!image_stb_info(buf, len, &w, &h, &c))
        return gan_fail(GAN_ERR_FORMAT, "%s: not a PNG, JPEG or BMP image (%s)", name, image_stb_failure());
    if (w < 1 || h < 1 || c < 1 || c > 4)
        return gan_fail(GAN_ERR_FORMAT, "%s: bad header (%d x %d, %d channels)", name, w, h, c);
    if ((int64_t)w * (int64_t)h > max_pixels)
        return gan_fail(GAN_ERR_SHAPE, "%s: header claims %d x %d pixels, more than the budget of %lld "
                        "(a decompression bomb?)", name, w, h, (long long)max_pixels);
    *width = w;
    *height = h;
    *channels = c;
    return GAN_OK;
}

gan_status image_probe_file(const char *path, int64_t max_pixels, int *width, int *height, int *channels) {
    FILE *f = NULL;
    int open_errno;
    GAN_TRY(gan_fopen_read(path, &f, &open_errno));
    /* most headers are in the first 16 KiB (read on the stack); a JPEG with large
       EXIF or ICC segments before its size marker gets a second, longer look */
    uint8_t small[1 << 14];
    size_t n = fread(small, 1, sizeof small, f);
    gan_status s = image_probe(small, n, path, max_pixels, width, height, channels);
    if (s == GAN_ERR_FORMAT && n == sizeof small) {
        uint8_t *head = malloc(IMAGE_PROBE_BYTES);
        if (!head) {
            fclose(f);
            return gan_fail(GAN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
        }
        memcpy(head, small, n);
        n += fread(head + n, 1, IMAGE_PROBE_BYTES - n, f);
        s = image_probe(head, n, path, max_pixels, width, height, channels);
        free(head);
    }
    fclose(f);
    return s;
}

gan_status image_decode(const uint8_t *buf, size_t len, const char *name, int64_t max_pixels,
                        image_rgba *out) {
    memset(out, 0, sizeof *out);
    int w, h, c;
    GAN_TRY(image_probe(buf, len, name, max_pixels, &w, &h, &c));
    int dw = w, dh = h;
    uint8_t *px;
    if (image_jpeg_available() && image_jpeg_is_jpeg(buf, len)) { /* libjpeg-turbo (image_jpeg.h) */
        const char *why = NULL;
        px = image_jpeg_load_rgba(buf, len, w, h, &why);
        if (!px) return gan_fail(GAN_ERR_FORMAT, "%s: cannot decode: %s", name, why);
    } else {
        px = image_stb_load_rgba(buf, len, &dw, &dh);
        if (!px) return gan_fail(GAN_ERR_FORMAT, "%s: cannot decode: %s", name, image_stb_failure());
    }
    if (dw != w || dh != h) {
        image_stb_free(px);
        return gan_fail(GAN_ERR_FORMAT, "%s: decoded %d x %d but the header says %d x %d", name, dw, dh, w, h);
    }
    out->width = w;
    out->height = h;
    out->source_channels = c;
    out->px = px;
    return GAN_OK;
}

void image_rgba_free(image_rgba *img) {
    if (!img) return;
    image_stb_free(img->px);
    img->px = NULL;
}

gan_status image_read_file(const char *path, uint8_t **buf, size_t *len) {
    GAN_TRY(gan_read_file(path, IMAGE_MAX_FILE_BYTES, "an image", buf, len));
    if (*len == 0) {
        free(*buf);
        *buf = NULL;
        return gan_fail(GAN_ERR_FORMAT, "%s: empty file", path);
    }
    return GAN_OK;
}

/* ------------------------------------------------------------ shaping */

static inline uint8_t shape_over(int c, int a, int bg) {
    return (uint8_t)((c * a + bg * (255 - a) + 127) / 255);
}

static inline uint8_t shape_grey(int r, int g, int b) {
    return (uint8_t)((19595 * r + 38470 * g + 7471 * b + 32768) >> 16);
}

/* The content rows of a shaped image: source pixels from (x0, y0), cw wide,
 * composited over the background and converted to C channels. */
typedef struct shape_rows {
    const uint8_t *rgba;
    int w, x0, y0, cw, C, bg;
} shape_rows;

static void shape_row(void *ctx, int y, uint8_t *out) {
    const shape_rows *s = ctx;
    const uint8_t *p = s->rgba + ((size_t)(y + s->y0) * (size_t)s->w + (size_t)s->x0) * 4;
    for (int x = 0; x < s->cw; x++, p += 4) {
        int r = p[0], g = p[1], b = p[2];
        if (p[3] != 255) {
            r = shape_over(p[0], p[3], s->bg);
            g = shape_over(p[1], p[3], s->bg);
            b = shape_over(p[2], p[3], s->bg);
        }
        if (s->C == 1) {
            out[x] = shape_grey(r, g, b);
        } else {
            out[3 * x] = (uint8_t)r;
            out[3 * x + 1] = (uint8_t)g;
            out[3 * x + 2] = (uint8_t)b;
        }
    }
}

gan_status image_shape(const uint8_t *rgba, int w, int h, const image_shape_opts *o, uint8_t *dst) {
    const int C = o->channels, R = o->resolution;
    if ((C != 1 && C != 3) || R < 1 || w < 1 || h < 1)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "image shape: bad request (%d x %d to %dx%dx%d)", w, h, C, R, R);
    const int bg = o->background == GAN_BACKGROUND_BLACK ? 0 : 255;
    const bool letterbox = o->crop == GAN_CROP_NONE;
    int s = letterbox ? GAN_MAX(w, h) : GAN_MIN(w, h);
    /* the square's pixel (x, y) is the source's (x + ox, y + oy); a letterbox's
       padding is never materialised (image_resize_frame) */
    int ox = (w - s) / 2, oy = (h - s) / 2;
    shape_rows rows = {rgba, w, letterbox ? 0 : ox, letterbox ? 0 : oy, letterbox ? w : s, C, bg};
    image_frame f = {s, s, letterbox ? -ox : 0, letterbox ? -oy : 0, letterbox ? w : s, letterbox ? h : s,
                     (uint8_t)(C == 1 ? shape_grey(bg, bg, bg) : bg), shape_row, &rows};
    size_t out_bytes = (size_t)R * (size_t)R * (size_t)C;
    uint8_t *rs = malloc(out_bytes);
    if (!rs || !image_resize_frame(&f, rs, R, R, C)) {
        free(rs);
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "image shape: resizing %d x %d to %d x %d: out of memory", s, s, R, R);
    }
    size_t plane = (size_t)R * (size_t)R;
    for (size_t p = 0; p < plane; p++)
        for (int c = 0; c < C; c++) dst[(size_t)c * plane + p] = rs[p * (size_t)C + (size_t)c];
    free(rs);
    return GAN_OK;
}
