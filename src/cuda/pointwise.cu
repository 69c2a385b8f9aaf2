/*
 * pointwise.cu - element-wise kernels: bias add (also with a fused
 * activation: bias_act_forward), leaky ReLU and tanh with their backward
 * passes, batch normalization in inference mode, zero.
 *
 * Each output element is one thread's job in a grid-stride loop, written
 * with the same float operations in the same order as src/cpu/pointwise.c; built
 * with --fmad=false (the default, see GAN_CUDA_FMAD) they round exactly as
 * the CPU reference does, except tanhf (CUDA's is within 2 ulp).
 */
#include "cuda_common.cuh"

/* y (N, F) += b: row n per y (strided past the grid), feature f per x. */
__global__ void bias_forward_kernel(float *__restrict__ y, const float *__restrict__ b, int N,
                                    int F) {
    int f = blockIdx.x * blockDim.x + threadIdx.x;
    if (f >= F) return;
    float bf = b[f];
    for (int n = blockIdx.y; n < N; n += gridDim.y) y[(size_t)n * F + f] += bf;
}

/* y (N, F) = act(y + b) (bias_forward, then leaky_relu_forward_kernel's
 * or tanh_forward_kernel's operations); low 1 and tanh false: the bias alone */
__global__ void bias_act_forward_kernel(float *__restrict__ y, const float *__restrict__ b, int N,
                                        int F, float low, bool tanh) {
    int f = blockIdx.x * blockDim.x + threadIdx.x;
    if (f >= F) return;
    float bf = b[f];
    for (int n = blockIdx.y; n < N; n += gridDim.y) {
        size_t i = (size_t)n * F + f;
        float z = y[i] + bf;
        y[i] = tanh ? tanhf(z) : z > 0.0f ? z : low * z;
    }
}

/* y may be x (in place): each thread reads its element before writing it */
__global__ void leaky_relu_forward_kernel(float *y, const float *x, size_t n, float alpha) {
    GAN_CUDA_GRID_STRIDE(i, n) {
        float v = x[i];
        y[i] = v > 0.0f ? v : alpha * v;
    }
}

__global__ void leaky_relu_backward_kernel(float *__restrict__ dx, const float *__restrict__ x,
                                           const float *__restrict__ dy, size_t n, float alpha) {
    GAN_CUDA_GRID_STRIDE(i, n) dx[i] = x[i] > 0.0f ? dy[i] : alpha * dy[i];
}

__global__ void tanh_forward_kernel(float *y, const float *x, size_t n) { /* y may be x */
    GAN_CUDA_GRID_STRIDE(i, n) y[i] = tanhf(x[i]);
}

__global__ void tanh_backward_kernel(float *__restrict__ dx, const float *__restrict__ y,
                                     const float *__restrict__ dy, size_t n) {
    GAN_CUDA_GRID_STRIDE(i, n) {
        float v = y[i];
        dx[i] = dy[i] * (1.0f - v * v);
    }
}

__global__ void batchnorm_infer_kernel(float *__restrict__ y, const float *__restrict__ x,
                                       const float *__restrict__ running_mean,
                                       const float *__restrict__ running_var,
                                       const float *__restrict__ gamma,
                                       const float *__restrict__ beta, size_t total, int F,
                                       float eps, float low) {
    GAN_CUDA_GRID_STRIDE(i, total) {
        size_t f = i % (size_t)F;
        float z = (x[i] - running_mean[f]) * (gamma[f] / sqrtf(running_var[f] + eps)) + beta[f];
        y[i] = z > 0.0f ? z : low * z; /* a fused activation (backend.h); low 1: none */
    }
}

#define LAUNCH_1D(kernel, n, ...)                                                                  \
    do {                                                                                           \
        if ((n) == 0)                                                                              \
            return;                                                                                \
        kernel<<<gan_cuda_blocks(cu, (n), GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0, cu->stream>>>(   \
            __VA_ARGS__);                                                                          \
        GAN_CUDA_LAUNCHED(cu, #kernel);                                                            \
    } while (0)

void gan_cuda_bias_forward(void *ctx, float *y, const float *b, int N, int F) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || F <= 0) return;
    int threads = F <= 64 ? 64 : F <= 128 ? 128 : GAN_CUDA_THREADS;
    dim3 grid((unsigned)((F + threads - 1) / threads), (unsigned)(N < 65535 ? N : 65535));
    bias_forward_kernel<<<grid, threads, 0, cu->stream>>>(y, b, N, F);
    GAN_CUDA_LAUNCHED(cu, "bias_forward_kernel");
}

void gan_cuda_bias_act_forward(void *ctx, float *y, const float *b, int N, int F, gan_act act) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || F <= 0) return;
    int threads = F <= 64 ? 64 : F <= 128 ? 128 : GAN_CUDA_THREADS;
    dim3 grid((unsigned)((F + threads - 1) / threads), (unsigned)(N < 65535 ? N : 65535));
    bias_act_forward_kernel<<<grid, threads, 0, cu->stream>>>(
        y, b, N, F, act.on && !act.tanh ? act.slope : 1.0f, act.on && act.tanh);
    GAN_CUDA_LAUNCHED(cu, "bias_act_forward_kernel");
}

void gan_cuda_leaky_relu_forward(void *ctx, float *y, const float *x, size_t n, float alpha) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    LAUNCH_1D(leaky_relu_forward_kernel, n, y, x, n, alpha);
}

void gan_cuda_leaky_relu_backward(void *ctx, float *dx, const float *x, const float *dy, size_t n,
                                  float alpha) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    LAUNCH_1D(leaky_relu_backward_kernel, n, dx, x, dy, n, alpha);
}

void gan_cuda_tanh_forward(void *ctx, float *y, const float *x, size_t n) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    LAUNCH_1D(tanh_forward_kernel, n, y, x, n);
}

void gan_cuda_tanh_backward(void *ctx, float *dx, const float *y, const float *dy, size_t n) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    LAUNCH_1D(tanh_backward_kernel, n, dx, y, dy, n);
}

void gan_cuda_batchnorm_forward_infer(void *ctx, float *y, const float *x,
                                      const float *running_mean, const float *running_var,
                                      const float *gamma, const float *beta, int N, int F,
                                      float eps, gan_act act) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || F <= 0) return;
    size_t total = (size_t)N * (size_t)F;
    LAUNCH_1D(batchnorm_infer_kernel, total, y, x, running_mean, running_var, gamma, beta, total,
              F, eps, act.on ? act.slope : 1.0f);
}

void gan_cuda_zero(void *ctx, float *x, size_t n) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    GAN_CUDA_NOTE(cu, cudaMemsetAsync(x, 0, n * sizeof *x, cu->stream));
}

cudaError_t gan_cuda_probe_kernels(void) {
    cudaFuncAttributes attr;
    return cudaFuncGetAttributes(&attr, leaky_relu_forward_kernel);
}
