/*
 * minibatch_std.c - CPU kernels of the minibatch standard deviation
 * (StyleGAN's discriminator statistic; semantics in backend_kernels.def):
 * the spread of each feature over a group of rows, averaged into one value
 * per group and appended as a channel. The CPU twin of
 * src/cuda/minibatch_std.cu: the same sums in the same order, so both give
 * the same bits.
 */
#include "cpu_common.h"
#include "minibatch_std.h"

void gan_cpu_minibatch_std_forward(void *ctx, float *y, float *work, const float *x, int N,
                                   int G, int C, int P, float eps) {
    int M = N / G;
    size_t F = (size_t)C * P, Q = gan_mbstd_chunks(F);
#pragma omp parallel for schedule(static) if (F * N > 32768)
    for (long long mq = 0; mq < (long long)M * (long long)Q; mq++) {
        int m = (int)(mq / (long long)Q);
        size_t q = (size_t)(mq % (long long)Q), end = GAN_CPU_MIN((q + 1) * GAN_MBSTD_CHUNK, F);
        double part = 0, mean, sd;
        for (size_t f = q * GAN_MBSTD_CHUNK; f < end; f++) {
            gan_mbstd_stats(x, m, M, G, F, f, eps, &mean, &sd);
            part += sd;
        }
        work[mq] = (float)part;
    }
#pragma omp parallel for schedule(static) if (F * N > 32768)
    for (int n = 0; n < N; n++) {
        const float *in = x + (size_t)n * F;
        float *out = y + (size_t)n * (F + P);
        for (size_t k = 0; k < F; k++) out[k] = in[k];
        const float *part = work + (size_t)(n % M) * Q;
        double s = 0;
        for (size_t q = 0; q < Q; q++) s += part[q];
        float v = (float)(s / (double)F);
        for (int p = 0; p < P; p++) out[F + p] = v;
    }
}

void gan_cpu_minibatch_std_backward(void *ctx, float *dx, float *work, const float *dy,
                                    const float *x, int N, int G, int C, int P, float eps) {
    int M = N / G;
    size_t F = (size_t)C * P;
    for (int m = 0; m < M; m++) {
        double s = 0;
        for (int g = 0; g < G; g++) {
            const float *d = dy + ((size_t)g * M + m) * (F + P) + F;
            for (int p = 0; p < P; p++) s += d[p];
        }
        work[m] = (float)s;
    }
#pragma omp parallel for schedule(static) if (F * N > 32768)
    for (int n = 0; n < N; n++) {
        int m = n % M;
        double scale = (double)work[m];
        const float *d = dy + (size_t)n * (F + P);
        float *out = dx + (size_t)n * F;
        for (size_t f = 0; f < F; f++) {
            double mean, sd;
            gan_mbstd_stats(x, m, M, G, F, f, eps, &mean, &sd);
            out[f] = (float)(d[f] + scale * (x[(size_t)n * F + f] - mean) /
                                        (sd * (double)G * (double)F));
        }
    }
}
