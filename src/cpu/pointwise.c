/*
 * pointwise.c - CPU kernels applied element by element or row by row:
 * bias, leaky ReLU, tanh, inference-mode batch normalization, zero (the
 * CPU twin of src/cuda/pointwise.cu). Semantics: backend_kernels.def.
 *
 * Determinism: each element is computed by one thread, the same way at any
 * thread count.
 */
#include "cpu_common.h"

#include <math.h>
#include <string.h>

void gan_cpu_bias_forward(void *ctx, float *y, const float *b, int N, int F) {
#pragma omp parallel for schedule(static) if ((size_t)N * F > 32768)
    for (int n = 0; n < N; n++) {
        float *row = y + (size_t)n * F;
#pragma omp simd
        for (int f = 0; f < F; f++) row[f] += b[f];
    }
}

static void leaky_relu_fwd_range(float *restrict y, const float *restrict x, size_t n,
                                 float alpha) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
}

static void leaky_relu_fwd_in_place(float *y, size_t n, float alpha) {
    for (size_t i = 0; i < n; i++) y[i] = y[i] > 0.0f ? y[i] : alpha * y[i];
}

static void leaky_relu_bwd_range(float *restrict dx, const float *restrict x,
                                 const float *restrict dy, size_t n, float alpha) {
    for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : alpha * dy[i];
}

static void tanh_bwd_range(float *restrict dx, const float *restrict y, const float *restrict dy,
                           size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

void gan_cpu_leaky_relu_forward(void *ctx, float *y, const float *x, size_t n, float alpha) {
    size_t chunks = (n + GAN_CPU_ELEMENTWISE_CHUNK - 1) / GAN_CPU_ELEMENTWISE_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t i = c * GAN_CPU_ELEMENTWISE_CHUNK,
               len = GAN_CPU_MIN(GAN_CPU_ELEMENTWISE_CHUNK, n - i);
        if (y == x) leaky_relu_fwd_in_place(y + i, len, alpha);
        else leaky_relu_fwd_range(y + i, x + i, len, alpha);
    }
}

void gan_cpu_leaky_relu_backward(void *ctx, float *dx, const float *x, const float *dy, size_t n,
                                    float alpha) {
    size_t chunks = (n + GAN_CPU_ELEMENTWISE_CHUNK - 1) / GAN_CPU_ELEMENTWISE_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t i = c * GAN_CPU_ELEMENTWISE_CHUNK,
               len = GAN_CPU_MIN(GAN_CPU_ELEMENTWISE_CHUNK, n - i);
        leaky_relu_bwd_range(dx + i, x + i, dy + i, len, alpha);
    }
}

void gan_cpu_tanh_forward(void *ctx, float *y, const float *x, size_t n) {
#pragma omp parallel for schedule(static) if (n > 16384)
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}

void gan_cpu_tanh_backward(void *ctx, float *dx, const float *y, const float *dy, size_t n) {
    size_t chunks = (n + GAN_CPU_ELEMENTWISE_CHUNK - 1) / GAN_CPU_ELEMENTWISE_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t i = c * GAN_CPU_ELEMENTWISE_CHUNK,
               len = GAN_CPU_MIN(GAN_CPU_ELEMENTWISE_CHUNK, n - i);
        tanh_bwd_range(dx + i, y + i, dy + i, len);
    }
}

void gan_cpu_batchnorm_forward_infer(void *ctx, float *y, const float *x, const float *running_mean,
                                        const float *running_var, const float *gamma,
                                        const float *beta, int N, int F, float eps,
                                        gan_act act) {
    float lo = act.on ? act.slope : 1.0f; /* a fused activation (backend.h) */
#pragma omp parallel for schedule(static) if ((size_t)N * F > 32768)
    for (int n = 0; n < N; n++) {
        const float *row = x + (size_t)n * F;
        float *out = y + (size_t)n * F;
#pragma omp simd
        for (int f = 0; f < F; f++) {
            float z = (row[f] - running_mean[f]) * (gamma[f] / sqrtf(running_var[f] + eps)) +
                      beta[f];
            out[f] = z > 0.0f ? z : lo * z;
        }
    }
}

void gan_cpu_zero(void *ctx, float *x, size_t n) {
    size_t chunks = (n + GAN_CPU_ELEMENTWISE_CHUNK - 1) / GAN_CPU_ELEMENTWISE_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t i = c * GAN_CPU_ELEMENTWISE_CHUNK,
               len = GAN_CPU_MIN(GAN_CPU_ELEMENTWISE_CHUNK, n - i);
        memset(x + i, 0, len * sizeof *x);
    }
}
