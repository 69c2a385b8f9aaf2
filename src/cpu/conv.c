/*
 * conv.c - CPU kernels that move image data for convolutions:
 * im2col and its adjoint col2im, NCHW <-> channel-major transposes, and
 * per-channel bias, also its gradient through a fused activation
 * (channel_bias_act_backward; see backend_kernels.def for the layouts).
 *
 * Determinism: im2col and the transposes are copies; col2im and the bias
 * gradient give each output element to one thread, which sums in an order
 * fixed by the shapes.
 */
#include "cpu_common.h"

#include <string.h>

void gan_cpu_im2col(void *ctx, float *cols, const float *x, int G, const gan_conv_shape *cs) {
    int C = cs->C, H = cs->H, W = cs->W, k = cs->k, s = cs->s, p = cs->p;
    int OH = cs->OH, OW = cs->OW;
    size_t P = (size_t)OH * OW, row_len = (size_t)G * P;
    int rows = C * k * k;
#pragma omp parallel for schedule(static) if ((size_t)rows * row_len > 32768)
    for (int r = 0; r < rows; r++) {
        int c = r / (k * k), i = (r / k) % k, j = r % k;
        float *out = cols + (size_t)r * row_len;
        for (int g = 0; g < G; g++) {
            const float *plane = x + ((size_t)g * C + c) * H * W;
            for (int oh = 0; oh < OH; oh++) {
                int ih = oh * s - p + i;
                float *o = out + (size_t)g * P + (size_t)oh * OW;
                if (ih < 0 || ih >= H) {
                    memset(o, 0, (size_t)OW * sizeof *o);
                    continue;
                }
                const float *src = plane + (size_t)ih * W;
                for (int ow = 0; ow < OW; ow++) {
                    int iw = ow * s - p + j;
                    o[ow] = (iw >= 0 && iw < W) ? src[iw] : 0.0f;
                }
            }
        }
    }
}

/* Each element of x gathers its terms row by row: for input row ih, the
 * kernel rows i that reach it, then the kernel columns j, then the output
 * columns ow. Every element thus sums its terms in (i, j) order, the order a
 * scatter over (i, j, oh, ow) would add them in. */
void gan_cpu_col2im(void *ctx, float *x, const float *cols, int G, const gan_conv_shape *cs) {
    int C = cs->C, H = cs->H, W = cs->W, k = cs->k, s = cs->s, p = cs->p;
    int OH = cs->OH, OW = cs->OW;
    size_t P = (size_t)OH * OW, row_len = (size_t)G * P;
    int planes = G * C;
#pragma omp parallel for schedule(static) if ((size_t)planes * k * k * P > 32768)
    for (int cg = 0; cg < planes; cg++) { /* images fastest: cols rows are read in order */
        int c = cg / G, g = cg % G;
        float *plane = x + ((size_t)g * C + c) * H * W;
        for (int ih = 0; ih < H; ih++) {
            float *restrict dst = plane + (size_t)ih * W;
            memset(dst, 0, (size_t)W * sizeof *dst);
            for (int i = 0; i < k; i++) {
                int t = ih + p - i, oh = t / s;
                if (t < 0 || t % s != 0 || oh >= OH) continue;
                for (int j = 0; j < k; j++) {
                    const float *restrict src =
                        cols + (size_t)((c * k + i) * k + j) * row_len + (size_t)g * P +
                        (size_t)oh * OW;
                    /* ow with 0 <= ow s - p + j < W */
                    int lo = p - j > 0 ? (p - j + s - 1) / s : 0;
                    int hi = (W - 1 + p - j) / s + 1;
                    if (W - 1 + p - j < 0) hi = 0;
                    if (hi > OW) hi = OW;
                    float *restrict d = dst - p + j;
                    if (s == 1) {
                        for (int ow = lo; ow < hi; ow++) d[ow] += src[ow];
                    } else {
                        for (int ow = lo; ow < hi; ow++) d[ow * s] += src[ow];
                    }
                }
            }
        }
    }
}

void gan_cpu_nchw_to_cmajor(void *ctx, float *t, const float *y, int G, int C, int P) {
#pragma omp parallel for schedule(static) if ((size_t)G * C * P > 65536)
    for (int c = 0; c < C; c++)
        for (int g = 0; g < G; g++)
            memcpy(t + ((size_t)c * G + g) * P, y + ((size_t)g * C + c) * P,
                   (size_t)P * sizeof *t);
}

void gan_cpu_cmajor_to_nchw(void *ctx, float *y, const float *t, const float *b, int G, int C,
                            int P) {
#pragma omp parallel for schedule(static) if ((size_t)G * C * P > 65536)
    for (int c = 0; c < C; c++) {
        float bc = b ? b[c] : 0.0f;
        for (int g = 0; g < G; g++) {
            const float *src = t + ((size_t)c * G + g) * P;
            float *dst = y + ((size_t)g * C + c) * P;
#pragma omp simd
            for (int q = 0; q < P; q++) dst[q] = src[q] + bc;
        }
    }
}

void gan_cpu_channel_bias_forward(void *ctx, float *y, const float *b, int N, int C, int P) {
#pragma omp parallel for schedule(static) if ((size_t)N * C * P > 65536)
    for (int nc = 0; nc < N * C; nc++) {
        float *row = y + (size_t)nc * P, bc = b[nc % C];
#pragma omp simd
        for (int q = 0; q < P; q++) row[q] += bc;
    }
}

/* db (C) += the sum over N and P of dz, where dz = dy without an activation
 * (not written: dz NULL), else dz = dy act'(y), formed plane by plane first,
 * written (it may be y) and rounded as leaky_relu_backward / tanh_backward
 * round it; the same sums in the same order either way (db NULL: dz alone). */
static void channel_bias_sums(float *dz, float *db, const float *dy, const float *y, int N,
                              int C, int P, gan_act act) {
    float lo = act.on && !act.tanh ? act.slope : 1.0f;
    bool tanh = act.on && act.tanh;
#pragma omp parallel for schedule(static) if ((size_t)N * C * P > 65536)
    for (int c = 0; c < C; c++) {
        double acc = 0;
        for (int n = 0; n < N; n++) {
            size_t at = ((size_t)n * C + c) * P;
            const float *row = dy + at;
            if (dz) {
                const float *g = row, *out = y + at; /* dz may be y */
                float *d = dz + at;
                if (tanh) {
#pragma omp simd
                    for (int q = 0; q < P; q++) d[q] = g[q] * (1.0f - out[q] * out[q]);
                } else {
#pragma omp simd
                    for (int q = 0; q < P; q++) d[q] = out[q] > 0.0f ? g[q] : lo * g[q];
                }
                row = d;
            }
            if (!db) continue;
            float part = 0.0f;
#pragma omp simd reduction(+ : part)
            for (int q = 0; q < P; q++) part += row[q];
            acc += part;
        }
        if (db) db[c] += (float)acc;
    }
}

void gan_cpu_channel_bias_backward(void *ctx, float *db, const float *dy, int N, int C, int P) {
    channel_bias_sums(NULL, db, dy, NULL, N, C, P, (gan_act){.on = false});
}

void gan_cpu_channel_bias_act_backward(void *ctx, float *dz, float *db, const float *dy,
                                       const float *y, int N, int C, int P, gan_act act) {
    channel_bias_sums(dz, db, dy, y, N, C, P, act);
}
