/*
 * norm2d.cu - batch normalization per channel of NCHW tensors x (N, C, P):
 * training forward, inference forward, backward (semantics in backend.h,
 * reference in backend_cpu_bn2d.c).
 *
 * The reductions run one block per channel over its N*P values: each thread
 * sums a fixed strided subset in double, then a fixed tree adds the
 * partials, so results are deterministic; the statistics are two-pass (mean,
 * then mean squared deviation) and rounded to float where the CPU rounds
 * them, so they agree with it to rounding. The element-wise parts use the
 * CPU's float expressions.
 */
#include "cuda_common.cuh"

#define THREADS 512

/* Sum of every thread's `v` in a fixed tree; every thread gets the total. */
__device__ static double channel_sum(double v, double *red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (int half = THREADS / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) red[threadIdx.x] += red[threadIdx.x + half];
        __syncthreads();
    }
    double total = red[0];
    __syncthreads(); /* red is reused right after */
    return total;
}

/* Element e of channel c's N*P values, in x (N, C, P). */
__device__ static inline size_t at(size_t e, int c, int C, int P) {
    return (e / P * C + c) * P + e % P;
}

__global__ void __launch_bounds__(THREADS)
    bn2d_forward_train_kernel(float *__restrict__ y, float *__restrict__ mean,
                              float *__restrict__ rstd, float *__restrict__ running_mean,
                              float *__restrict__ running_var, const float *__restrict__ x,
                              const float *__restrict__ gamma, const float *__restrict__ beta,
                              int N, int C, int P, float momentum, float eps) {
    __shared__ double red[THREADS];
    int c = blockIdx.x;
    size_t count = (size_t)N * P;
    double inv_count = 1.0 / (double)count;

    double acc = 0.0;
    for (size_t e = threadIdx.x; e < count; e += THREADS) acc += x[at(e, c, C, P)];
    float mu = (float)(channel_sum(acc, red) * inv_count);

    acc = 0.0;
    for (size_t e = threadIdx.x; e < count; e += THREADS) {
        float d = x[at(e, c, C, P)] - mu;
        acc += d * d;
    }
    float var = (float)(channel_sum(acc, red) * inv_count);
    float r = 1.0f / sqrtf(var + eps);
    if (threadIdx.x == 0) {
        mean[c] = mu;
        rstd[c] = r;
        running_mean[c] = momentum * running_mean[c] + (1.0f - momentum) * mu;
        running_var[c] = momentum * running_var[c] + (1.0f - momentum) * var;
    }
    float scale = gamma[c] * r, shift = beta[c];
    for (size_t e = threadIdx.x; e < count; e += THREADS) {
        size_t i = at(e, c, C, P);
        y[i] = (x[i] - mu) * scale + shift;
    }
}

__global__ void bn2d_forward_infer_kernel(float *__restrict__ y, const float *__restrict__ x,
                                          const float *__restrict__ running_mean,
                                          const float *__restrict__ running_var,
                                          const float *__restrict__ gamma,
                                          const float *__restrict__ beta, int C, int P,
                                          float eps, size_t total) {
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (size_t)gridDim.x * blockDim.x) {
        int c = (int)(i / P % C);
        float scale = gamma[c] / sqrtf(running_var[c] + eps);
        y[i] = (x[i] - running_mean[c]) * scale + beta[c];
    }
}

__global__ void __launch_bounds__(THREADS)
    bn2d_backward_kernel(float *__restrict__ dx, float *__restrict__ dgamma,
                         float *__restrict__ dbeta, const float *__restrict__ dy,
                         const float *__restrict__ x, const float *__restrict__ mean,
                         const float *__restrict__ rstd, const float *__restrict__ gamma, int N,
                         int C, int P) {
    __shared__ double red[THREADS];
    int c = blockIdx.x;
    size_t count = (size_t)N * P;
    float mu = mean[c], r = rstd[c];
    double a = 0.0, b = 0.0;
    for (size_t e = threadIdx.x; e < count; e += THREADS) {
        size_t i = at(e, c, C, P);
        float g = dy[i];
        a += g;
        b += g * (x[i] - mu) * r;
    }
    double sdy = channel_sum(a, red), sdyx = channel_sum(b, red);
    if (threadIdx.x == 0) {
        if (dbeta) dbeta[c] += (float)sdy;
        if (dgamma) dgamma[c] += (float)sdyx;
    }
    if (!dx) return;
    float inv_count = (float)(1.0 / (double)count);
    float mdy = (float)sdy * inv_count, mdyx = (float)sdyx * inv_count, k = gamma[c] * r;
    for (size_t e = threadIdx.x; e < count; e += THREADS) {
        size_t i = at(e, c, C, P);
        dx[i] = k * (dy[i] - mdy - (x[i] - mu) * r * mdyx);
    }
}

void gan_cuda_batchnorm2d_forward_train(float *y, float *mean, float *rstd, float *running_mean,
                                        float *running_var, const float *x, const float *gamma,
                                        const float *beta, int N, int C, int P, float momentum,
                                        float eps) {
    if (N <= 0 || C <= 0 || P <= 0) return;
    bn2d_forward_train_kernel<<<C, THREADS, 0, gan_cuda.stream>>>(
        y, mean, rstd, running_mean, running_var, x, gamma, beta, N, C, P, momentum, eps);
    GAN_CUDA_LAUNCHED("bn2d_forward_train_kernel");
}

void gan_cuda_batchnorm2d_forward_infer(float *y, const float *x, const float *running_mean,
                                        const float *running_var, const float *gamma,
                                        const float *beta, int N, int C, int P, float eps) {
    if (N <= 0 || C <= 0 || P <= 0) return;
    size_t total = (size_t)N * C * P;
    bn2d_forward_infer_kernel<<<gan_cuda_blocks(total, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                                gan_cuda.stream>>>(y, x, running_mean, running_var, gamma, beta,
                                                   C, P, eps, total);
    GAN_CUDA_LAUNCHED("bn2d_forward_infer_kernel");
}

void gan_cuda_batchnorm2d_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                                   const float *x, const float *mean, const float *rstd,
                                   const float *gamma, int N, int C, int P) {
    if (N <= 0 || C <= 0 || P <= 0) return;
    bn2d_backward_kernel<<<C, THREADS, 0, gan_cuda.stream>>>(dx, dgamma, dbeta, dy, x, mean, rstd,
                                                             gamma, N, C, P);
    GAN_CUDA_LAUNCHED("bn2d_backward_kernel");
}
