/*
 * image_resize.c - separable resampling of uint8 images with Pillow's
 * algorithm (libImaging/Resample.c), so that shaped images match what
 * Pillow / torchvision-style loaders produce (within one level).
 *
 * Each output pixel x of a line of `out` pixels taken from `in` has centre
 * c = (x + 0.5) * in / out in input coordinates. The filter is stretched by
 * s = max(in / out, 1) (antialiasing when shrinking) and covers input pixels
 * i with centres within support * s of c; weights f((i + 0.5 - c) / s),
 * normalised to sum to 1, then quantised to 22-bit fixed point as Pillow
 * does. Filters: box (support 0.5: the average of the input pixels whose
 * centres fall in the output pixel's footprint, i.e. area averaging) when
 * shrinking, triangle (support 1: bilinear) when enlarging. Rows are resized
 * first, then columns, with rounding and clipping to uint8 after each pass.
 */
#include "data/image_resize.h"

#include <math.h>
#include <stdlib.h>

#define RESIZE_PRECISION_BITS (32 - 8 - 2)

typedef struct resize_coeffs {
    int ksize;     /* weights per output pixel */
    int *bounds;   /* (out, 2): first input pixel, count */
    int32_t *k;    /* (out, ksize) fixed-point weights */
} resize_coeffs;

static double resize_box(double x) {
    return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
}

static double resize_triangle(double x) {
    if (x < 0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static bool resize_coeffs_make(int in, int out, bool box, resize_coeffs *c) {
    double scale = (double)in / out, filterscale = scale < 1.0 ? 1.0 : scale;
    double support = (box ? 0.5 : 1.0) * filterscale;
    c->ksize = (int)ceil(support) * 2 + 1;
    c->bounds = malloc((size_t)out * 2 * sizeof *c->bounds);
    c->k = malloc((size_t)out * (size_t)c->ksize * sizeof *c->k);
    double *kd = malloc((size_t)c->ksize * sizeof *kd);
    if (!c->bounds || !c->k || !kd) {
        free(kd);
        return false;
    }
    for (int x = 0; x < out; x++) {
        double center = (x + 0.5) * scale, ss = 1.0 / filterscale, ww = 0.0;
        int xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5);
        if (xmin < 0) xmin = 0;
        if (xmax > in) xmax = in;
        xmax -= xmin;
        for (int i = 0; i < xmax; i++) {
            double w = box ? resize_box((i + xmin - center + 0.5) * ss) : resize_triangle((i + xmin - center + 0.5) * ss);
            kd[i] = w;
            ww += w;
        }
        int32_t *k = c->k + (size_t)x * (size_t)c->ksize;
        for (int i = 0; i < c->ksize; i++) {
            double w = (i < xmax && ww != 0.0) ? kd[i] / ww : 0.0;
            k[i] = (int32_t)(w < 0 ? w * (1 << RESIZE_PRECISION_BITS) - 0.5 : w * (1 << RESIZE_PRECISION_BITS) + 0.5);
        }
        c->bounds[2 * x] = xmin;
        c->bounds[2 * x + 1] = xmax;
    }
    free(kd);
    return true;
}

static void resize_coeffs_free(resize_coeffs *c) {
    free(c->bounds);
    free(c->k);
}

static inline uint8_t resize_clip(int64_t v) {
    v >>= RESIZE_PRECISION_BITS;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Resize n lines of `in` pixels (elements `step` apart, lines `line` apart)
 * to `out` pixels each, channels interleaved (C). */
static void resize_pass(const uint8_t *src, uint8_t *dst, int n, int C, size_t src_step, size_t src_line,
                        size_t dst_step, size_t dst_line, int out, const resize_coeffs *c) {
    for (int y = 0; y < n; y++)
        for (int x = 0; x < out; x++) {
            const int32_t *k = c->k + (size_t)x * (size_t)c->ksize;
            int xmin = c->bounds[2 * x], cnt = c->bounds[2 * x + 1];
            for (int ch = 0; ch < C; ch++) {
                int64_t ss = (int64_t)1 << (RESIZE_PRECISION_BITS - 1);
                const uint8_t *p = src + (size_t)y * src_line + (size_t)xmin * src_step + (size_t)ch;
                for (int i = 0; i < cnt; i++) ss += (int64_t)p[(size_t)i * src_step] * k[i];
                dst[(size_t)y * dst_line + (size_t)x * dst_step + (size_t)ch] = resize_clip(ss);
            }
        }
}

bool image_resize(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh, int C) {
    resize_coeffs cx = {0}, cy = {0};
    uint8_t *tmp = malloc((size_t)dw * (size_t)sh * (size_t)C);
    bool ok = tmp && resize_coeffs_make(sw, dw, dw < sw, &cx) && resize_coeffs_make(sh, dh, dh < sh, &cy);
    if (ok) {
        /* rows: sh lines of sw pixels -> dw */
        resize_pass(src, tmp, sh, C, (size_t)C, (size_t)sw * C, (size_t)C, (size_t)dw * C, dw, &cx);
        /* columns: dw lines (one per x) of sh pixels -> dh */
        resize_pass(tmp, dst, dw, C, (size_t)dw * C, (size_t)C, (size_t)dw * C, (size_t)C, dh, &cy);
    }
    resize_coeffs_free(&cx);
    resize_coeffs_free(&cy);
    free(tmp);
    return ok;
}
