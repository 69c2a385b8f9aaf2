/*
 * optim.c - CPU kernels of the optimizer and of weight averaging: Adam
 * (Keras formula) with its learning-rate schedule, the exponential moving
 * average of weights (ema_update) and weight clipping (clamp); the CPU twin
 * of src/cuda/optim.cu. Semantics: backend_kernels.def.
 *
 * Determinism: the element-wise kernels are split in fixed chunks, each
 * element computed the same way at any thread count.
 */
#include "cpu_common.h"
#include "ema.h"

#include <math.h>

#define CHUNK 16384 /* elements per thread chunk of ema_update and clamp */

static void adam_range(float *restrict p, float *restrict m, float *restrict v,
                       const float *restrict g, size_t n, float lr_t, float b1, float b2,
                       float eps) {
    for (size_t i = 0; i < n; i++) {
        float mi = b1 * m[i] + (1.0f - b1) * g[i];
        float vi = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr_t * mi / (sqrtf(vi) + eps);
    }
}

void gan_cpu_adam(void *ctx, float *p, float *m, float *v, const float *g, size_t n, float lr_t,
                  float b1, float b2, float eps) {
    size_t chunks = (n + GAN_CPU_ELEMENTWISE_CHUNK - 1) / GAN_CPU_ELEMENTWISE_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t i = c * GAN_CPU_ELEMENTWISE_CHUNK,
               len = GAN_CPU_MIN(GAN_CPU_ELEMENTWISE_CHUNK, n - i);
        adam_range(p + i, m + i, v + i, g + i, len, lr_t, b1, b2, eps);
    }
}

void gan_cpu_adam_schedule(void *ctx, int64_t *t, float *lr_t, float lr, float b1, float b2) {
    *t += 1;
    double td = (double)*t;
    *lr_t = (float)(lr * sqrt(1.0 - pow(b2, td)) / (1.0 - pow(b1, td)));
}

void gan_cpu_adam_device_lr(void *ctx, float *p, float *m, float *v, const float *g, size_t n,
                               const float *lr_t, float b1, float b2, float eps) {
    gan_cpu_adam(ctx, p, m, v, g, n, *lr_t, b1, b2, eps);
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
