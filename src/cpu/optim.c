/*
 * optim.c - CPU kernels of the optimizer and of weight averaging: Adam
 * (Keras formula; adam_dev with its learning-rate schedule in memory), the
 * exponential moving average of weights (ema_update) and weight clipping
 * (clamp); the CPU twin
 * of src/cuda/optim.cu. Semantics: backend_kernels.def.
 *
 * Determinism: the element-wise kernels are split in fixed chunks, each
 * element computed the same way at any thread count.
 */
#include "cpu_common.h"
#include "ema.h"

#include <math.h>
#include <string.h>

#define CHUNK 16384 /* elements per thread chunk of ema_update and clamp */

static void adam_range(float *restrict p, float *restrict m, float *restrict v,
                       float *restrict g, size_t n, float lr_t, float b1, float b2, float eps,
                       bool zero_g) {
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr_t * mi / (sqrtf(vi) + eps);
    }
    if (zero_g) memset(g, 0, n * sizeof *g); /* spent; after the loop, which stays as it was */
}

/* adam (a helper: adam_dev calls no other table entry) */
static void adam(float *p, float *m, float *v, float *g, size_t n, float lr_t, float b1,
                 float b2, float eps, bool zero_g) {
    size_t chunks = (n + GAN_CPU_ELEMENTWISE_CHUNK - 1) / GAN_CPU_ELEMENTWISE_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t i = c * GAN_CPU_ELEMENTWISE_CHUNK,
               len = GAN_CPU_MIN(GAN_CPU_ELEMENTWISE_CHUNK, n - i);
        adam_range(p + i, m + i, v + i, g + i, len, lr_t, b1, b2, eps, zero_g);
    }
}

void gan_cpu_adam(void *ctx, float *p, float *m, float *v, float *g, size_t n, float lr_t,
                  float b1, float b2, float eps, bool zero_g) {
    adam(p, m, v, g, n, lr_t, b1, b2, eps, zero_g);
}

void gan_cpu_adam_dev(void *ctx, float *p, float *m, float *v, float *g, size_t n, int64_t *t,
                      uint32_t *ticket, float lr, float b1, float b2, float eps, bool zero_g) {
    *t += 1;
    double td = (double)*t;
    float lr_t = (float)(lr * sqrt(1.0 - pow(b2, td)) / (1.0 - pow(b1, td)));
    adam(p, m, v, g, n, lr_t, b1, b2, eps, zero_g);
}

void gan_cpu_ema_update(void *ctx, float *avg, const float *x, size_t n, float decay,
                        const int64_t *done) {
    float keep = done ? gan_ema_warmup_decay(decay, *done) : decay, take = 1.0f - keep;
    size_t chunks = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t end = (c + 1) * CHUNK < n ? (c + 1) * CHUNK : n;
        for (size_t i = c * CHUNK; i < end; i++) avg[i] = keep * avg[i] + take * x[i];
    }
}

void gan_cpu_clamp(void *ctx, float *x, size_t n, float lo, float hi) {
    size_t chunks = (n + CHUNK - 1) / CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t end = (c + 1) * CHUNK < n ? (c + 1) * CHUNK : n;
        for (size_t i = c * CHUNK; i < end; i++) x[i] = fminf(fmaxf(x[i], lo), hi);
    }
}
