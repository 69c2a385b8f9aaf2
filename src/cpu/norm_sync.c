/*
 * norm_sync.c - CPU kernels of batch normalization whose statistics are
 * sums over several ranks' batches (SYNC_NORM in backend_kernels.def): the
 * per-channel sums a rank contributes, and the forward and backward from
 * the summed values. x (N, C, P); the (N, F) layout is P = 1.
 *
 * Determinism: one channel per iteration, each channel's sums in order in
 * double, so results do not depend on the thread count.
 *
 * A fused activation (act, backend.h) is one slope `lo` for z <= 0 (1
 * without one), as in norm2d.c; the backward kernels recompute z from x.
 */
#include "cpu_common.h"

#include <math.h>

void gan_cpu_batchnorm_sums(void *ctx, float *sums, const float *x, int N, int C, int P) {
#pragma omp parallel for schedule(static) if ((size_t)N * C * P > 16384)
    for (int c = 0; c < C; c++) {
        double s = 0, ss = 0;
        for (int n = 0; n < N; n++) {
            const float *row = x + ((size_t)n * C + c) * P;
            for (int p = 0; p < P; p++) s += row[p], ss += (double)row[p] * row[p];
        }
        sums[c] = (float)s;
        sums[C + c] = (float)ss;
    }
}

void gan_cpu_batchnorm_forward_sums(void *ctx, float *y, float *mean, float *rstd,
                                    float *running_mean, float *running_var, const float *x,
                                    const float *sums, double count, const float *gamma,
                                    const float *beta, int N, int C, int P, float momentum,
                                    float eps, gan_act act) {
    float lo = act.on ? act.slope : 1.0f;
#pragma omp parallel for schedule(static) if ((size_t)N * C * P > 16384)
    for (int c = 0; c < C; c++) {
        double mu = sums[c] / count, var = sums[C + c] / count - mu * mu;
        float m = (float)mu, v = (float)(var > 0 ? var : 0);
        float r = 1.0f / sqrtf(v + eps), scale = gamma[c] * r, b = beta[c];
        mean[c] = m;
        rstd[c] = r;
        running_mean[c] = momentum * running_mean[c] + (1.0f - momentum) * m;
        running_var[c] = momentum * running_var[c] + (1.0f - momentum) * v;
        for (int n = 0; n < N; n++) {
            const float *in = x + ((size_t)n * C + c) * P;
            float *out = y + ((size_t)n * C + c) * P;
            for (int p = 0; p < P; p++) {
                float z = (in[p] - m) * scale + b;
                out[p] = z > 0.0f ? z : lo * z;
            }
        }
    }
}

void gan_cpu_batchnorm_backward_sums(void *ctx, float *sums, float *dgamma, float *dbeta,
                                     const float *dy, const float *x, const float *mean,
                                     const float *rstd, const float *gamma, const float *beta,
                                     int N, int C, int P, gan_act act) {
    float lo = act.on ? act.slope : 1.0f;
#pragma omp parallel for schedule(static) if ((size_t)N * C * P > 16384)
    for (int c = 0; c < C; c++) {
        double sdy = 0, sdyx = 0;
        float m = mean[c], r = rstd[c];
        float scale = act.on ? gamma[c] * r : 1.0f, b = act.on ? beta[c] : 0.0f;
        for (int n = 0; n < N; n++) {
            size_t at = ((size_t)n * C + c) * P;
            for (int p = 0; p < P; p++) {
                float d = (x[at + p] - m) * scale + b > 0.0f ? dy[at + p] : lo * dy[at + p];
                sdy += d;
                sdyx += (double)d * ((x[at + p] - m) * r);
            }
        }
        sums[c] = (float)sdy;
        sums[C + c] = (float)sdyx;
        if (dgamma) dgamma[c] += (float)sdyx;
        if (dbeta) dbeta[c] += (float)sdy;
    }
}

void gan_cpu_batchnorm_backward_from_sums(void *ctx, float *dx, const float *dy, const float *x,
                                          const float *mean, const float *rstd,
                                          const float *gamma, const float *beta,
                                          const float *sums, double count, int N, int C, int P,
                                          gan_act act) {
    float lo = act.on ? act.slope : 1.0f;
#pragma omp parallel for schedule(static) if ((size_t)N * C * P > 16384)
    for (int c = 0; c < C; c++) {
        float m = mean[c], r = rstd[c], k = gamma[c] * r, b = act.on ? beta[c] : 0.0f;
        float mdy = (float)(sums[c] / count), mdyx = (float)(sums[C + c] / count);
        for (int n = 0; n < N; n++) {
            size_t at = ((size_t)n * C + c) * P;
            for (int p = 0; p < P; p++) {
                float xhat = (x[at + p] - m) * r;
                float d = (x[at + p] - m) * k + b > 0.0f ? dy[at + p] : lo * dy[at + p];
                dx[at + p] = k * (d - mdy - xhat * mdyx);
            }
        }
    }
}
