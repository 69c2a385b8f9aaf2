/*
 * norm2d.c - CPU kernels for batch normalization per channel of
 * NCHW tensors x (N, C, P): statistics over the N*P values of a channel.
 *
 * Each channel belongs to one thread; its sums run over the rows n in order,
 * each row's plane summed in float (vectorized) and added into a double, so
 * results do not depend on the thread count.
 *
 * A fused activation (act, backend.h) is one slope `lo` for z <= 0: act's
 * slope, or 1 without one (then y = z and dz = dy exactly, as before).
 */
#include "cpu_common.h"

#include <math.h>

#define PAR_MIN 16384 /* elements below which one thread does it all */

void gan_cpu_batchnorm2d_forward_train(void *ctx, float *y, float *mean, float *rstd,
                                       float *running_mean, float *running_var, const float *x,
                                       const float *gamma, const float *beta, int N, int C, int P,
                                       float momentum, float eps, gan_act act) {
    float lo = act.on ? act.slope : 1.0f;
    double inv_count = 1.0 / ((double)N * P);
#pragma omp parallel for schedule(static) if ((size_t)N * C * P > PAR_MIN)
    for (int c = 0; c < C; c++) {
        double sum = 0;
        for (int n = 0; n < N; n++) {
            const float *row = x + ((size_t)n * C + c) * P;
            float part = 0.0f;
#pragma omp simd reduction(+ : part)
            for (int q = 0; q < P; q++) part += row[q];
            sum += part;
        }
        float mu = (float)(sum * inv_count);
        double ss = 0;
        for (int n = 0; n < N; n++) {
            const float *row = x + ((size_t)n * C + c) * P;
            float part = 0.0f;
#pragma omp simd reduction(+ : part)
            for (int q = 0; q < P; q++) part += (row[q] - mu) * (row[q] - mu);
            ss += part;
        }
        float var = (float)(ss * inv_count);
        float r = 1.0f / sqrtf(var + eps);
        mean[c] = mu;
        rstd[c] = r;
        running_mean[c] = momentum * running_mean[c] + (1.0f - momentum) * mu;
        running_var[c] = momentum * running_var[c] + (1.0f - momentum) * var;
        float scale = (gamma ? gamma[c] : 1.0f) * r, shift = beta ? beta[c] : 0.0f;
        for (int n = 0; n < N; n++) {
            const float *row = x + ((size_t)n * C + c) * P;
            float *out = y + ((size_t)n * C + c) * P;
#pragma omp simd
            for (int q = 0; q < P; q++) {
                float z = (row[q] - mu) * scale + shift;
                out[q] = z > 0.0f ? z : lo * z;
            }
        }
    }
}

void gan_cpu_batchnorm2d_forward_infer(void *ctx, float *y, const float *x,
                                       const float *running_mean, const float *running_var,
                                       const float *gamma, const float *beta, int N, int C, int P,
                                       float eps, gan_act act) {
    float lo = act.on ? act.slope : 1.0f;
#pragma omp parallel for schedule(static) if ((size_t)N * C * P > PAR_MIN)
    for (int nc = 0; nc < N * C; nc++) {
        int c = nc % C;
        float scale = (gamma ? gamma[c] : 1.0f) / sqrtf(running_var[c] + eps);
        float mu = running_mean[c], shift = beta ? beta[c] : 0.0f;
        const float *row = x + (size_t)nc * P;
        float *out = y + (size_t)nc * P;
#pragma omp simd
        for (int q = 0; q < P; q++) {
            float z = (row[q] - mu) * scale + shift;
            out[q] = z > 0.0f ? z : lo * z;
        }
    }
}

void gan_cpu_batchnorm2d_backward(void *ctx, float *dx, float *dgamma, float *dbeta,
                                  const float *dy, const float *x, const float *mean,
                                  const float *rstd, const float *gamma, const float *beta, int N,
                                  int C, int P, gan_act act) {
    float inv_count = (float)(1.0 / ((double)N * P)), lo = act.on ? act.slope : 1.0f;
#pragma omp parallel for schedule(static) if ((size_t)N * C * P > PAR_MIN)
    for (int c = 0; c < C; c++) {
        float mu = mean[c], r = rstd[c];
        float scale = (gamma ? gamma[c] : 1.0f) * r, shift = beta && act.on ? beta[c] : 0.0f;
        double sdy = 0, sdyx = 0;
        for (int n = 0; n < N; n++) {
            const float *g = dy + ((size_t)n * C + c) * P;
            const float *row = x + ((size_t)n * C + c) * P;
            float a = 0.0f, b = 0.0f;
#pragma omp simd reduction(+ : a, b)
            for (int q = 0; q < P; q++) {
                float d = (row[q] - mu) * scale + shift > 0.0f ? g[q] : lo * g[q];
                a += d;
                b += d * (row[q] - mu) * r;
            }
            sdy += a;
            sdyx += b;
        }
        if (dbeta) dbeta[c] += (float)sdy;
        if (dgamma) dgamma[c] += (float)sdyx;
        if (!dx) continue;
        float mdy = (float)sdy * inv_count, mdyx = (float)sdyx * inv_count;
        for (int n = 0; n < N; n++) {
            const float *g = dy + ((size_t)n * C + c) * P;
            const float *row = x + ((size_t)n * C + c) * P;
            float *out = dx + ((size_t)n * C + c) * P;
#pragma omp simd
            for (int q = 0; q < P; q++) {
                float d = (row[q] - mu) * scale + shift > 0.0f ? g[q] : lo * g[q];
                out[q] = scale * (d - mdy - (row[q] - mu) * r * mdyx);
            }
        }
    }
}
