/*
 * norm.cu - per-feature reductions over the batch rows of an (N, F) matrix:
 * the bias gradient and batch normalization (training forward, backward).
 *
 * One block owns COLS consecutive features and runs ROWS threads down the
 * rows of each: thread (tx, ty) sums rows ty, ty + ROWS, ... of feature
 * f0 + tx (a warp reads COLS consecutive floats of a row: coalesced), then
 * the ROWS partial sums are added in a fixed order. Results are therefore
 * deterministic run to run. Batch statistics are two-pass like the CPU
 * reference: the mean first, then the mean of squared deviations, so there
 * is no cancellation from E[x^2] - E[x]^2.
 */
#include "cuda_common.cuh"

#define COLS 32
#define ROWS 16

/* Sum of each thread column's partial `v` over ty; every thread gets its
 * feature's total. `red` is the block's (ROWS, COLS + 1) scratch. */
__device__ static float column_total(float v, float (*red)[COLS + 1]) {
    int tx = threadIdx.x, ty = threadIdx.y;
    red[ty][tx] = v;
    __syncthreads();
    if (ty == 0) {
        float s = red[0][tx];
        for (int r = 1; r < ROWS; r++) s += red[r][tx];
        red[0][tx] = s;
    }
    __syncthreads();
    float total = red[0][tx];
    __syncthreads(); /* red may be reused right after */
    return total;
}

__global__ void bias_backward_kernel(float *__restrict__ db, const float *__restrict__ dy, int N,
                                     int F) {
    __shared__ float red[ROWS][COLS + 1];
    int f = blockIdx.x * COLS + threadIdx.x;
    bool live = f < F;
    float acc = 0.0f;
    if (live)
        for (int n = threadIdx.y; n < N; n += ROWS) acc += dy[(size_t)n * F + f];
    float total = column_total(acc, red);
    if (live && threadIdx.y == 0) db[f] += total;
}

__global__ void batchnorm_forward_train_kernel(
    float *__restrict__ y, float *__restrict__ mean, float *__restrict__ rstd,
    float *__restrict__ running_mean, float *__restrict__ running_var, const float *__restrict__ x,
    const float *__restrict__ gamma, const float *__restrict__ beta, int N, int F, float momentum,
    float eps) {
    __shared__ float red[ROWS][COLS + 1];
    int f = blockIdx.x * COLS + threadIdx.x;
    bool live = f < F;
    float inv_n = 1.0f / (float)N;

    float acc = 0.0f;
    if (live)
        for (int n = threadIdx.y; n < N; n += ROWS) acc += x[(size_t)n * F + f];
    float mu = column_total(acc, red) * inv_n;

    acc = 0.0f;
    if (live)
        for (int n = threadIdx.y; n < N; n += ROWS) {
            float d = x[(size_t)n * F + f] - mu;
            acc += d * d;
        }
    float var = column_total(acc, red) * inv_n;
    if (!live) return; /* no barrier below */

    float r = 1.0f / sqrtf(var + eps);
    float scale = gamma[f] * r;
    if (threadIdx.y == 0) {
        mean[f] = mu;
        rstd[f] = r;
        running_mean[f] = momentum * running_mean[f] + (1.0f - momentum) * mu;
        running_var[f] = momentum * running_var[f] + (1.0f - momentum) * var;
    }
    float b = beta[f];
    for (int n = threadIdx.y; n < N; n += ROWS) {
        size_t i = (size_t)n * F + f;
        y[i] = (x[i] - mu) * scale + b;
    }
}

__global__ void batchnorm_backward_kernel(float *__restrict__ dx, float *__restrict__ dgamma,
                                          float *__restrict__ dbeta, const float *__restrict__ dy,
                                          const float *__restrict__ x,
                                          const float *__restrict__ mean,
                                          const float *__restrict__ rstd,
                                          const float *__restrict__ gamma, int N, int F) {
    __shared__ float red[ROWS][COLS + 1];
    int f = blockIdx.x * COLS + threadIdx.x;
    bool live = f < F;
    float inv_n = 1.0f / (float)N;
    float mu = live ? mean[f] : 0.0f, r = live ? rstd[f] : 0.0f;

    float acc_dy = 0.0f, acc_dy_xhat = 0.0f;
    if (live)
        for (int n = threadIdx.y; n < N; n += ROWS) {
            size_t i = (size_t)n * F + f;
            float xhat = (x[i] - mu) * r;
            acc_dy += dy[i];
            acc_dy_xhat += dy[i] * xhat;
        }
    float sum_dy = column_total(acc_dy, red);
    float sum_dy_xhat = column_total(acc_dy_xhat, red);
    if (!live) return; /* no barrier below */

    if (threadIdx.y == 0) {
        if (dbeta) dbeta[f] += sum_dy;
        if (dgamma) dgamma[f] += sum_dy_xhat;
    }
    if (!dx) return;
    float g = gamma[f];
    for (int n = threadIdx.y; n < N; n += ROWS) {
        size_t i = (size_t)n * F + f;
        float xhat = (x[i] - mu) * r;
        dx[i] = g * r * (dy[i] - inv_n * sum_dy - xhat * inv_n * sum_dy_xhat);
    }
}

static dim3 column_grid(int F) {
    return dim3((unsigned)((F + COLS - 1) / COLS));
}

void gan_cuda_bias_backward(float *db, const float *dy, int N, int F) {
    if (F <= 0 || N <= 0) return;
    bias_backward_kernel<<<column_grid(F), dim3(COLS, ROWS), 0, gan_cuda.stream>>>(db, dy, N, F);
    GAN_CUDA_LAUNCHED("bias_backward_kernel");
}

void gan_cuda_batchnorm_forward_train(float *y, float *mean, float *rstd, float *running_mean,
                                      float *running_var, const float *x, const float *gamma,
                                      const float *beta, int N, int F, float momentum,
                                      float eps) {
    if (F <= 0 || N <= 0) return;
    batchnorm_forward_train_kernel<<<column_grid(F), dim3(COLS, ROWS), 0, gan_cuda.stream>>>(
        y, mean, rstd, running_mean, running_var, x, gamma, beta, N, F, momentum, eps);
    GAN_CUDA_LAUNCHED("batchnorm_forward_train_kernel");
}

void gan_cuda_batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                                 const float *x, const float *mean, const float *rstd,
                                 const float *gamma, int N, int F) {
    if (F <= 0 || N <= 0) return;
    batchnorm_backward_kernel<<<column_grid(F), dim3(COLS, ROWS), 0, gan_cuda.stream>>>(
        dx, dgamma, dbeta, dy, x, mean, rstd, gamma, N, F);
    GAN_CUDA_LAUNCHED("batchnorm_backward_kernel");
}
