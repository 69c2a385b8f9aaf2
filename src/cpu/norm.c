/*
 * norm.c - CPU kernels that reduce over the batch rows of (N, F) tensors:
 * the bias gradient (with a fused activation's: bias_act_backward) and batch
 * normalization (training forward, backward; also with the bias and
 * activation of the layer before: bias_act_batchnorm_forward_train,
 * batchnorm_backward_bias_act, the two kernels in turn);
 * the CPU twin of src/cuda/norm.cu. Semantics: backend_kernels.def.
 *
 * Determinism: threads split the features in fixed chunks; each feature's
 * sums run over the rows in order, so results do not depend on the thread
 * count. A fused activation (act) is one slope `lo` for z <= 0 (1 without
 * one), as in norm2d.c.
 */
#include "cpu_common.h"

#include <math.h>

/* db (F) += the sum over N rows of dz, where dz = dy without an activation
 * (not written: dz NULL), else dz = dy act'(y), written (it may be y) and
 * rounded as leaky_relu_backward / tanh_backward round it; the same sums in
 * the same order either way. */
static void bias_sums(float *dz, float *db, const float *dy, const float *y, int N, int F,
                      gan_act act) {
    float lo = act.on && !act.tanh ? act.slope : 1.0f;
    bool tanh = act.on && act.tanh;
    int chunks = (F + GAN_CPU_FEATURE_CHUNK - 1) / GAN_CPU_FEATURE_CHUNK;
#pragma omp parallel for schedule(static) if ((size_t)N * F > 32768)
    for (int c = 0; c < chunks; c++) {
        int f0 = c * GAN_CPU_FEATURE_CHUNK, nf = GAN_CPU_MIN(GAN_CPU_FEATURE_CHUNK, F - f0);
        float acc[GAN_CPU_FEATURE_CHUNK] = {0};
        for (int n = 0; n < N; n++) {
            size_t at = (size_t)n * F + f0;
            const float *g = dy + at;
            if (!dz) {
#pragma omp simd
                for (int f = 0; f < nf; f++) acc[f] += g[f];
                continue;
            }
            const float *out = y + at; /* dz may be y */
            float *d = dz + at;
            if (tanh) {
#pragma omp simd
                for (int f = 0; f < nf; f++) {
                    d[f] = g[f] * (1.0f - out[f] * out[f]);
                    acc[f] += d[f];
                }
            } else {
#pragma omp simd
                for (int f = 0; f < nf; f++) {
                    d[f] = out[f] > 0.0f ? g[f] : lo * g[f];
                    acc[f] += d[f];
                }
            }
        }
        if (db)
            for (int f = 0; f < nf; f++) db[f0 + f] += acc[f];
    }
}

void gan_cpu_bias_backward(void *ctx, float *db, const float *dy, int N, int F) {
    bias_sums(NULL, db, dy, NULL, N, F, (gan_act){.on = false});
}

void gan_cpu_bias_act_backward(void *ctx, float *dz, float *db, const float *dy, const float *y,
                               int N, int F, gan_act act) {
    bias_sums(dz, db, dy, y, N, F, act);
}

/* batchnorm_forward_train (a helper, so that the fused entry below calls no
 * other table entry: scripts/count_kernels.sh counts entries) */
static void bn_forward_train(float *y, float *mean, float *rstd, float *running_mean,
                             float *running_var, const float *x, const float *gamma,
                             const float *beta, int N, int F, float momentum, float eps,
                             gan_act act) {
    float lo = act.on ? act.slope : 1.0f;
    int chunks = (F + GAN_CPU_FEATURE_CHUNK - 1) / GAN_CPU_FEATURE_CHUNK;
    float inv_n = 1.0f / (float)N;
#pragma omp parallel for schedule(static) if ((size_t)N * F > 16384)
    for (int c = 0; c < chunks; c++) {
        int f0 = c * GAN_CPU_FEATURE_CHUNK, nf = GAN_CPU_MIN(GAN_CPU_FEATURE_CHUNK, F - f0);
        float mu[GAN_CPU_FEATURE_CHUNK] = {0}, var[GAN_CPU_FEATURE_CHUNK] = {0};
        for (int n = 0; n < N; n++) {
            const float *row = x + (size_t)n * F + f0;
#pragma omp simd
            for (int f = 0; f < nf; f++) mu[f] += row[f];
        }
        for (int f = 0; f < nf; f++) mu[f] *= inv_n;
        for (int n = 0; n < N; n++) {
            const float *row = x + (size_t)n * F + f0;
#pragma omp simd
            for (int f = 0; f < nf; f++) {
                float d = row[f] - mu[f];
                var[f] += d * d;
            }
        }
        float scale[GAN_CPU_FEATURE_CHUNK];
        for (int f = 0; f < nf; f++) {
            var[f] *= inv_n;
            float r = 1.0f / sqrtf(var[f] + eps);
            mean[f0 + f] = mu[f];
            rstd[f0 + f] = r;
            scale[f] = gamma[f0 + f] * r;
            running_mean[f0 + f] = momentum * running_mean[f0 + f] + (1.0f - momentum) * mu[f];
            running_var[f0 + f] = momentum * running_var[f0 + f] + (1.0f - momentum) * var[f];
        }
        for (int n = 0; n < N; n++) {
            const float *row = x + (size_t)n * F + f0;
            float *out = y + (size_t)n * F + f0;
#pragma omp simd
            for (int f = 0; f < nf; f++) {
                float z = (row[f] - mu[f]) * scale[f] + beta[f0 + f];
                out[f] = z > 0.0f ? z : lo * z;
            }
        }
    }
}

void gan_cpu_batchnorm_forward_train(void *ctx, float *y, float *mean, float *rstd,
                                     float *running_mean, float *running_var, const float *x,
                                     const float *gamma, const float *beta, int N, int F,
                                     float momentum, float eps, gan_act act) {
    bn_forward_train(y, mean, rstd, running_mean, running_var, x, gamma, beta, N, F, momentum,
                     eps, act);
}

/* batchnorm_backward (a helper, as bn_forward_train) */
static void bn_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                        const float *mean, const float *rstd, const float *gamma,
                        const float *beta, int N, int F, gan_act act) {
    int chunks = (F + GAN_CPU_FEATURE_CHUNK - 1) / GAN_CPU_FEATURE_CHUNK;
    float inv_n = 1.0f / (float)N, lo = act.on ? act.slope : 1.0f;
#pragma omp parallel for schedule(static) if ((size_t)N * F > 16384)
    for (int c = 0; c < chunks; c++) {
        int f0 = c * GAN_CPU_FEATURE_CHUNK, nf = GAN_CPU_MIN(GAN_CPU_FEATURE_CHUNK, F - f0);
        float sum_dy[GAN_CPU_FEATURE_CHUNK] = {0}, sum_dy_xhat[GAN_CPU_FEATURE_CHUNK] = {0};
        for (int n = 0; n < N; n++) {
            const float *g = dy + (size_t)n * F + f0;
            const float *row = x + (size_t)n * F + f0;
#pragma omp simd
            for (int f = 0; f < nf; f++) {
                float xhat = (row[f] - mean[f0 + f]) * rstd[f0 + f];
                float z = (row[f] - mean[f0 + f]) * (gamma[f0 + f] * rstd[f0 + f]) +
                          (act.on ? beta[f0 + f] : 0.0f);
                float d = z > 0.0f ? g[f] : lo * g[f];
                sum_dy[f] += d;
                sum_dy_xhat[f] += d * xhat;
            }
        }
        for (int f = 0; f < nf; f++) {
            if (dbeta) dbeta[f0 + f] += sum_dy[f];
            if (dgamma) dgamma[f0 + f] += sum_dy_xhat[f];
        }
        if (!dx) continue;
        for (int n = 0; n < N; n++) {
            const float *g = dy + (size_t)n * F + f0;
            const float *row = x + (size_t)n * F + f0;
            float *out = dx + (size_t)n * F + f0;
#pragma omp simd
            for (int f = 0; f < nf; f++) {
                float r = rstd[f0 + f];
                float xhat = (row[f] - mean[f0 + f]) * r;
                float z = (row[f] - mean[f0 + f]) * (gamma[f0 + f] * r) +
                          (act.on ? beta[f0 + f] : 0.0f);
                float d = z > 0.0f ? g[f] : lo * g[f];
                out[f] = gamma[f0 + f] * r *
                         (d - inv_n * sum_dy[f] - xhat * inv_n * sum_dy_xhat[f]);
            }
        }
    }
}

void gan_cpu_batchnorm_backward(void *ctx, float *dx, float *dgamma, float *dbeta, const float *dy,
                                const float *x, const float *mean, const float *rstd,
                                const float *gamma, const float *beta, int N, int F, gan_act act) {
    bn_backward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, beta, N, F, act);
}

void gan_cpu_bias_act_batchnorm_forward_train(void *ctx, float *y, float *mean, float *rstd,
                                              float *running_mean, float *running_var, float *x,
                                              const float *x_bias, gan_act x_act,
                                              const float *gamma, const float *beta, int N,
                                              int F, float momentum, float eps, gan_act act) {
    gan_cpu_bias_act_forward(ctx, x, x_bias, N, F, x_act);
    bn_forward_train(y, mean, rstd, running_mean, running_var, x, gamma, beta, N, F, momentum,
                     eps, act);
}

void gan_cpu_batchnorm_backward_bias_act(void *ctx, float *dx, float *x_db, float *dgamma,
                                         float *dbeta, const float *dy, const float *x,
                                         const float *mean, const float *rstd,
                                         const float *gamma, const float *beta, int N, int F,
                                         gan_act act, gan_act x_act) {
    bn_backward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, beta, N, F, act);
    bias_sums(dx, x_db, dx, x, N, F, x_act); /* in place: each element read, then written */
}
