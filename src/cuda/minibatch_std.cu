/*
 * minibatch_std.cu - the minibatch standard deviation (semantics in
 * backend_kernels.def, reference in src/cpu/minibatch_std.c).
 *
 * Forward: one thread per (group, 64-feature chunk) sums its chunk's
 * standard deviations into work; one thread per output element then copies
 * x or sums its group's partials. Backward: one thread per group sums the
 * gradient of the statistic's channel; one per element of dx. Every sum runs
 * in the CPU's order in double and is rounded where the CPU rounds it, so
 * the results are the CPU's bits (built with --fmad=false).
 */
#include "cuda_common.cuh"
#include "minibatch_std.h"

__global__ void mbstd_partials_kernel(float *__restrict__ work, const float *__restrict__ x,
                                      int M, int G, size_t F, size_t Q, float eps) {
    GAN_CUDA_GRID_STRIDE(mq, (size_t)M * Q) {
        int m = (int)(mq / Q);
        size_t q = mq % Q, end = min((q + 1) * GAN_MBSTD_CHUNK, F);
        double part = 0, mean, sd;
        for (size_t f = q * GAN_MBSTD_CHUNK; f < end; f++) {
            gan_mbstd_stats(x, m, M, G, F, f, eps, &mean, &sd);
            part += sd;
        }
        work[mq] = (float)part;
    }
}

__global__ void mbstd_output_kernel(float *__restrict__ y, const float *__restrict__ work,
                                    const float *__restrict__ x, int M, size_t F, int P,
                                    size_t Q, size_t total) {
    GAN_CUDA_GRID_STRIDE(e, total) {
        size_t n = e / (F + P), k = e - n * (F + P);
        if (k < F) {
            y[e] = x[n * F + k];
            continue;
        }
        const float *part = work + (n % M) * Q;
        double s = 0;
        for (size_t q = 0; q < Q; q++) s += part[q];
        y[e] = (float)(s / (double)F);
    }
}

__global__ void mbstd_stat_grad_kernel(float *__restrict__ work, const float *__restrict__ dy,
                                       int M, int G, size_t F, int P) {
    int m = blockIdx.x * blockDim.x + threadIdx.x;
    if (m >= M) return;
    double s = 0;
    for (int g = 0; g < G; g++) {
        const float *d = dy + ((size_t)g * M + m) * (F + P) + F;
        for (int p = 0; p < P; p++) s += d[p];
    }
    work[m] = (float)s;
}

__global__ void mbstd_input_grad_kernel(float *__restrict__ dx, const float *__restrict__ work,
                                        const float *__restrict__ dy,
                                        const float *__restrict__ x, int M, int G, size_t F,
                                        int P, float eps, size_t total) {
    GAN_CUDA_GRID_STRIDE(e, total) {
        size_t n = e / F, f = e - n * F;
        int m = (int)(n % M);
        double mean, sd;
        gan_mbstd_stats(x, m, M, G, F, f, eps, &mean, &sd);
        dx[e] = (float)(dy[n * (F + P) + f] +
                        (double)work[m] * (x[e] - mean) / (sd * (double)G * (double)F));
    }
}

void gan_cuda_minibatch_std_forward(void *ctx, float *y, float *work, const float *x, int N,
                                    int G, int C, int P, float eps) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || G <= 0 || C <= 0 || P <= 0) return;
    int M = N / G;
    size_t F = (size_t)C * P, Q = gan_mbstd_chunks(F);
    size_t parts = (size_t)M * Q, total = (size_t)N * (F + P);
    mbstd_partials_kernel<<<gan_cuda_blocks(cu, parts, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                            cu->stream>>>(work, x, M, G, F, Q, eps);
    GAN_CUDA_LAUNCHED(cu, "mbstd_partials_kernel");
    mbstd_output_kernel<<<gan_cuda_blocks(cu, total, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                          cu->stream>>>(y, work, x, M, F, P, Q, total);
    GAN_CUDA_LAUNCHED(cu, "mbstd_output_kernel");
}

void gan_cuda_minibatch_std_backward(void *ctx, float *dx, float *work, const float *dy,
                                     const float *x, int N, int G, int C, int P, float eps) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || G <= 0 || C <= 0 || P <= 0) return;
    int M = N / G;
    size_t F = (size_t)C * P, total = (size_t)N * F;
    int threads = 64;
    mbstd_stat_grad_kernel<<<(M + threads - 1) / threads, threads, 0, cu->stream>>>(work, dy, M,
                                                                                 G, F, P);
    GAN_CUDA_LAUNCHED(cu, "mbstd_stat_grad_kernel");
    mbstd_input_grad_kernel<<<gan_cuda_blocks(cu, total, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                              cu->stream>>>(dx, work, dy, x, M, G, F, P, eps, total);
    GAN_CUDA_LAUNCHED(cu, "mbstd_input_grad_kernel");
}
