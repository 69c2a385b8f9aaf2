/*
 * attention.c - CPU kernels of self-attention (SAGAN): the row softmax of
 * the attention map and its backward, and the gamma-gated residual add.
 * The CPU twin of src/cuda/attention.cu; semantics in backend_kernels.def.
 *
 * Determinism: each row's sums are one thread's, in double, in the row's
 * order; element-wise kernels have one writer per element.
 */
#include "cpu_common.h"

#include <math.h>

#define PAR_MIN 32768 /* elements below which one thread does it all */

void gan_cpu_softmax_rows_forward(void *ctx, float *y, const float *x, int R, int K) {
#pragma omp parallel for schedule(static) if ((size_t)R * K > PAR_MIN)
    for (int r = 0; r < R; r++) {
        const float *in = x + (size_t)r * K;
        float *out = y + (size_t)r * K;
        float m = in[0];
        for (int k = 1; k < K; k++) m = in[k] > m ? in[k] : m;
        double s = 0;
        for (int k = 0; k < K; k++) s += exp((double)in[k] - m);
        double inv = 1.0 / s;
        for (int k = 0; k < K; k++) out[k] = (float)(exp((double)in[k] - m) * inv);
    }
}

void gan_cpu_softmax_rows_backward(void *ctx, float *dx, const float *y, const float *dy, int R,
                                   int K) {
#pragma omp parallel for schedule(static) if ((size_t)R * K > PAR_MIN)
    for (int r = 0; r < R; r++) {
        const float *yr = y + (size_t)r * K, *g = dy + (size_t)r * K;
        float *out = dx + (size_t)r * K;
        double s = 0;
        for (int k = 0; k < K; k++) s += (double)yr[k] * g[k];
        for (int k = 0; k < K; k++) out[k] = (float)(yr[k] * ((double)g[k] - s));
    }
}

void gan_cpu_gated_add_forward(void *ctx, float *y, const float *x, const float *o,
                               const float *gamma, size_t n) {
    float g = gamma[0];
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (size_t i = 0; i < n; i++) y[i] = x[i] + g * o[i];
}

void gan_cpu_gated_add_backward(void *ctx, float *d_o, const float *dy, const float *gamma,
                                size_t n) {
    float g = gamma[0];
#pragma omp parallel for schedule(static) if (n > PAR_MIN)
    for (size_t i = 0; i < n; i++) d_o[i] = g * dy[i];
}
