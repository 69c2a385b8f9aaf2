/*
 * optim.cu - Adam (Keras formula, see backend_kernels.def) and its learning-rate
 * schedule on the device; the weight average (ema_update) and weight
 * clipping (clamp) of GAN training.
 *
 * The update is the CPU reference's float expression, element by element;
 * built with --fmad=false it rounds exactly like the CPU. adam_dev keeps the
 * step count in device memory and forms lr_t from it in the same kernel (each
 * block; the last block to finish advances it), so that a captured graph
 * replays a whole optimizer step unchanged in one launch; ema_update's warm-up decay is
 * likewise computed by each thread from the trainer's device step counter.
 */
#include "cuda_common.cuh"
#include "ema.h"

/* lr sqrt(1 - b2^t) / (1 - b1^t) in double, rounded once (as on the host) */
__device__ static float adam_lr_t(int64_t t, float lr, float b1, float b2) {
    double td = (double)t;
    return (float)(lr * sqrt(1.0 - pow((double)b2, td)) / (1.0 - pow((double)b1, td)));
}

/* The update of elements i, i + stride, ... with lr_t; g zeroed (spent) with zero_g. */
__device__ static void adam_elements(float *__restrict__ p, float *__restrict__ m,
                                     float *__restrict__ v, float *__restrict__ g, size_t n,
                                     float lr_t, float b1, float b2, float eps,
                                     bool zero_g) {
    GAN_CUDA_GRID_STRIDE(i, n) {
        float gi = g[i];
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr_t * mi / (sqrtf(vi) + eps);
        if (zero_g) g[i] = 0.0f;
    }
}

__global__ void adam_kernel(float *__restrict__ p, float *__restrict__ m, float *__restrict__ v,
                            float *__restrict__ g, size_t n, float lr_t, float b1, float b2,
                            float eps, bool zero_g) {
    adam_elements(p, m, v, g, n, lr_t, b1, b2, eps, zero_g);
}

/* adam_dev: each block forms lr_t of step *t + 1 (thread 0, shared); the
 * last block to take a ticket (all others have read *t by then) advances *t
 * and puts the ticket back to 0. */
__global__ void adam_dev_kernel(float *__restrict__ p, float *__restrict__ m,
                                float *__restrict__ v, float *__restrict__ g, size_t n,
                                int64_t *t, unsigned int *ticket, float lr, float b1, float b2,
                                float eps, bool zero_g) {
    __shared__ float lr_t;
    __shared__ int64_t step;
    if (threadIdx.x == 0) {
        step = *(volatile int64_t *)t + 1;
        lr_t = adam_lr_t(step, lr, b1, b2);
    }
    __syncthreads();
    adam_elements(p, m, v, g, n, lr_t, b1, b2, eps, zero_g);
    if (threadIdx.x == 0) {
        __threadfence();
        if (atomicAdd(ticket, 1u) == gridDim.x - 1) {
            *(volatile int64_t *)t = step;
            *(volatile unsigned int *)ticket = 0u;
        }
    }
}

void gan_cuda_adam(void *ctx, float *p, float *m, float *v, float *g, size_t n, float lr_t,
                   float b1, float b2, float eps, bool zero_g) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    adam_kernel<<<gan_cuda_blocks(cu, n, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0, cu->stream>>>(
        p, m, v, g, n, lr_t, b1, b2, eps, zero_g);
    GAN_CUDA_LAUNCHED(cu, "adam_kernel");
}

void gan_cuda_adam_dev(void *ctx, float *p, float *m, float *v, float *g, size_t n, int64_t *t,
                       uint32_t *ticket, float lr, float b1, float b2, float eps, bool zero_g) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    /* n == 0 still advances the step count: one block */
    unsigned blocks = n ? gan_cuda_blocks(cu, n, GAN_CUDA_THREADS) : 1;
    adam_dev_kernel<<<blocks, GAN_CUDA_THREADS, 0, cu->stream>>>(
        p, m, v, g, n, t, (unsigned int *)ticket, lr, b1, b2, eps, zero_g);
    GAN_CUDA_LAUNCHED(cu, "adam_dev_kernel");
}

__global__ void ema_update_kernel(float *__restrict__ avg, const float *__restrict__ x, size_t n,
                                  float decay, const int64_t *done) {
    float keep = done ? gan_ema_warmup_decay(decay, *done) : decay, take = 1.0f - keep;
    GAN_CUDA_GRID_STRIDE(i, n)
        avg[i] = keep * avg[i] + take * x[i];
}

__global__ void clamp_kernel(float *x, size_t n, float lo, float hi) {
    GAN_CUDA_GRID_STRIDE(i, n)
        x[i] = fminf(fmaxf(x[i], lo), hi);
}

void gan_cuda_ema_update(void *ctx, float *avg, const float *x, size_t n, float decay,
                         const int64_t *done) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    ema_update_kernel<<<gan_cuda_blocks(cu, n, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                        cu->stream>>>(avg, x, n, decay, done);
    GAN_CUDA_LAUNCHED(cu, "ema_update_kernel");
}

void gan_cuda_clamp(void *ctx, float *x, size_t n, float lo, float hi) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    clamp_kernel<<<gan_cuda_blocks(cu, n, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0, cu->stream>>>(
        x, n, lo, hi);
    GAN_CUDA_LAUNCHED(cu, "clamp_kernel");
}
