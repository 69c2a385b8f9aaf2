/*
 * optim.cu - Adam (Keras formula, see backend_kernels.def) and its learning-rate
 * schedule on the device; the weight average (ema_update) and weight
 * clipping (clamp) of GAN training.
 *
 * The update is the CPU reference's float expression, element by element;
 * built with --fmad=false it rounds exactly like the CPU. adam_schedule
 * keeps the step count and lr_t in device memory so that a captured graph
 * replays a whole optimizer step unchanged; ema_update's warm-up decay is
 * likewise computed by each thread from the trainer's device step counter.
 */
#include "cuda_common.cuh"
#include "ema.h"

__global__ void adam_kernel(float *__restrict__ p, float *__restrict__ m, float *__restrict__ v,
                            const float *__restrict__ g, size_t n, const float *lr_ptr,
                            float lr_value, float b1, float b2, float eps) {
    float lr_t = lr_ptr ? *lr_ptr : lr_value;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float gi = g[i];
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr_t * mi / (sqrtf(vi) + eps);
    }
}

__global__ void adam_schedule_kernel(int64_t *t, float *lr_t, float lr, float b1, float b2) {
    int64_t step = *t + 1;
    *t = step;
    double td = (double)step;
    *lr_t = (float)(lr * sqrt(1.0 - pow((double)b2, td)) / (1.0 - pow((double)b1, td)));
}

void gan_cuda_adam(void *ctx, float *p, float *m, float *v, const float *g, size_t n, float lr_t,
                   float b1, float b2, float eps) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    adam_kernel<<<gan_cuda_blocks(cu, n, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0, cu->stream>>>(
        p, m, v, g, n, NULL, lr_t, b1, b2, eps);
    GAN_CUDA_LAUNCHED(cu, "adam_kernel");
}

void gan_cuda_adam_device_lr(void *ctx, float *p, float *m, float *v, const float *g, size_t n,
                             const float *lr_t, float b1, float b2, float eps) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    adam_kernel<<<gan_cuda_blocks(cu, n, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0, cu->stream>>>(
        p, m, v, g, n, lr_t, 0.0f, b1, b2, eps);
    GAN_CUDA_LAUNCHED(cu, "adam_kernel");
}

void gan_cuda_adam_schedule(void *ctx, int64_t *t, float *lr_t, float lr, float b1, float b2) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    adam_schedule_kernel<<<1, 1, 0, cu->stream>>>(t, lr_t, lr, b1, b2);
    GAN_CUDA_LAUNCHED(cu, "adam_schedule_kernel");
}

__global__ void ema_update_kernel(float *__restrict__ avg, const float *__restrict__ x, size_t n,
                                  float decay, const int64_t *done) {
    float keep = done ? gan_ema_warmup_decay(decay, *done) : decay, take = 1.0f - keep;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        avg[i] = keep * avg[i] + take * x[i];
}

__global__ void clamp_kernel(float *x, size_t n, float lo, float hi) {
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
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
