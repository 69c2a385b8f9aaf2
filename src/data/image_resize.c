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
 *
 * Streaming over a frame (image_resize.h): per axis, each output keeps the
 * weights of its taps on content and the sum of the weights of its taps on
 * background (integer arithmetic, so splitting the sum changes nothing).
 * A content row is resized horizontally as it arrives and added at once into
 * the (dh, dw, C) int64 accumulators of the output rows it touches; the
 * background rows' share is one precomputed resized background row times
 * each output row's background weight.
 */
#include "data/image_resize.h"

#include <math.h>
#include <stdlib.h>

#define RESIZE_PRECISION_BITS (32 - 8 - 2)

/* The taps of one axis (in input pixels -> out output pixels), content part
 * [c0, c0 + cn) kept tap by tap, the rest summed. */
typedef struct axis_taps {
    int *first;     /* (out) first content tap, in content coordinates */
    int *count;     /* (out) content taps */
    size_t *at;     /* (out) index of its first weight in k */
    int32_t *k;     /* content weights, output after output */
    int64_t *pad;   /* (out) sum of the weights of the taps on background */
} axis_taps;

static double resize_filter(bool box, double x) {
    if (box) return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
    if (x < 0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static void axis_taps_free(axis_taps *t) {
    free(t->first);
    free(t->count);
    free(t->at);
    free(t->k);
    free(t->pad);
}

/* Output x's window [xmin, xmin + n) as Pillow computes it. */
static void axis_window(int x, double scale, double support, int in, int *xmin, int *n) {
    double center = (x + 0.5) * scale;
    int lo = (int)(center - support + 0.5), hi = (int)(center + support + 0.5);
    if (lo < 0) lo = 0;
    if (hi > in) hi = in;
    *xmin = lo;
    *n = hi - lo;
}

static bool axis_taps_make(int in, int out, int c0, int cn, axis_taps *t) {
    const bool box = out < in;
    const double scale = (double)in / out, filterscale = scale < 1.0 ? 1.0 : scale;
    const double support = (box ? 0.5 : 1.0) * filterscale, ss = 1.0 / filterscale;
    t->first = malloc((size_t)out * sizeof *t->first);
    t->count = malloc((size_t)out * sizeof *t->count);
    t->at = malloc((size_t)out * sizeof *t->at);
    t->pad = malloc((size_t)out * sizeof *t->pad);
    if (!t->first || !t->count || !t->at || !t->pad) return false;
    size_t total = 0;
    for (int x = 0; x < out; x++) {
        int xmin, n;
        axis_window(x, scale, support, in, &xmin, &n);
        int a = xmin > c0 ? xmin : c0, b = xmin + n < c0 + cn ? xmin + n : c0 + cn;
        if (b < a) b = a;
        t->first[x] = a - c0;
        t->count[x] = b - a;
        t->at[x] = total;
        total += (size_t)(b - a);
    }
    t->k = malloc((total ? total : 1) * sizeof *t->k);
    if (!t->k) return false;
    for (int x = 0; x < out; x++) {
        int xmin, n;
        axis_window(x, scale, support, in, &xmin, &n);
        double center = (x + 0.5) * scale, ww = 0.0;
        for (int i = 0; i < n; i++) ww += resize_filter(box, (i + xmin - center + 0.5) * ss);
        int64_t pad = 0;
        for (int i = 0; i < n; i++) {
            double w = resize_filter(box, (i + xmin - center + 0.5) * ss);
            w = ww != 0.0 ? w / ww : 0.0;
            int32_t q = (int32_t)(w < 0 ? w * (1 << RESIZE_PRECISION_BITS) - 0.5 : w * (1 << RESIZE_PRECISION_BITS) + 0.5);
            int c = i + xmin - c0;
            if (c >= 0 && c < cn)
                t->k[t->at[x] + (size_t)(c - t->first[x])] = q;
            else
                pad += q;
        }
        t->pad[x] = pad;
    }
    return true;
}

static inline uint8_t resize_clip(int64_t v) {
    v >>= RESIZE_PRECISION_BITS;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

#define RESIZE_HALF ((int64_t)1 << (RESIZE_PRECISION_BITS - 1))

bool image_resize_frame(const image_frame *f, uint8_t *dst, int dw, int dh, int C) {
    axis_taps tx = {0}, ty = {0};
    const size_t nacc = (size_t)dw * (size_t)dh * (size_t)C;
    uint8_t *line = malloc((size_t)f->cw * (size_t)C);
    uint8_t *hrow = malloc((size_t)dw * (size_t)C), *hbg = malloc((size_t)dw * (size_t)C);
    int64_t *acc = malloc(nacc * sizeof *acc);
    bool ok = line && hrow && hbg && acc && axis_taps_make(f->fw, dw, f->cx, f->cw, &tx) &&
              axis_taps_make(f->fh, dh, f->cy, f->ch, &ty);
    if (ok) {
        const int64_t bg = f->bg;
        /* a background row resized horizontally */
        for (int x = 0; x < dw; x++) {
            int64_t wsum = tx.pad[x];
            for (int i = 0; i < tx.count[x]; i++) wsum += tx.k[tx.at[x] + (size_t)i];
            for (int c = 0; c < C; c++) hbg[(size_t)x * C + c] = resize_clip(RESIZE_HALF + bg * wsum);
        }
        /* the background rows' share of every output row */
        for (int y = 0; y < dh; y++)
            for (size_t j = 0; j < (size_t)dw * C; j++)
                acc[(size_t)y * dw * C + j] = RESIZE_HALF + (int64_t)hbg[j] * ty.pad[y];
        int ylo = 0;
        for (int r = 0; r < f->ch; r++) {
            f->row(f->ctx, r, line);
            for (int x = 0; x < dw; x++) {
                const int32_t *k = tx.k + tx.at[x];
                const uint8_t *p = line + (size_t)tx.first[x] * C;
                for (int c = 0; c < C; c++) {
                    int64_t s = RESIZE_HALF + bg * tx.pad[x];
                    for (int i = 0; i < tx.count[x]; i++) s += (int64_t)p[(size_t)i * C + c] * k[i];
                    hrow[(size_t)x * C + c] = resize_clip(s);
                }
            }
            while (ylo < dh && ty.first[ylo] + ty.count[ylo] <= r) ylo++;
            for (int y = ylo; y < dh && ty.first[y] <= r; y++) {
                if (r >= ty.first[y] + ty.count[y]) continue;
                int64_t w = ty.k[ty.at[y] + (size_t)(r - ty.first[y])];
                int64_t *a = acc + (size_t)y * dw * C;
                for (size_t j = 0; j < (size_t)dw * C; j++) a[j] += (int64_t)hrow[j] * w;
            }
        }
        for (size_t j = 0; j < nacc; j++) dst[j] = resize_clip(acc[j]);
    }
    axis_taps_free(&tx);
    axis_taps_free(&ty);
    free(line);
    free(hrow);
    free(hbg);
    free(acc);
    return ok;
}
