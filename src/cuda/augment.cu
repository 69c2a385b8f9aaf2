/*
 * augment.cu - CUDA kernels of augmentation: DiffAugment's color,
 * translation and cutout (forward and backward) and the mirror of real
 * images, from per-image uniforms (formulas in src/augment.h; the CPU twin
 * is src/cpu/augment.c). See backend_kernels.def.
 *
 * color: one block per image sums it in double (a fixed tree: the same
 * result at every run), then its threads write the pixels; the others: one
 * thread per output element (mirror: per pair of elements).
 */
#include "augment.h"
#include "cuda_common.cuh"

#define COLOR_THREADS 256

__global__ void color_kernel(float *y, const float *x, const float *params, int C, int P,
                             int backward) {
    __shared__ double partial[COLOR_THREADS];
    size_t n = blockIdx.x, size = (size_t)C * P;
    const float *xn = x + n * size;
    float *yn = y + n * size;
    double sum = 0;
    for (size_t i = threadIdx.x; i < size; i += COLOR_THREADS) sum += xn[i];
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int half = COLOR_THREADS / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
        __syncthreads();
    }
    float M = (float)(partial[0] / (double)size);
    float b, s, c;
    gan_aug_color(params + n * GAN_AUG_PARAMS, backward, &b, &s, &c);
    /* every thread has read what it sums before any writes: y may be x */
    for (int p = threadIdx.x; p < P; p += COLOR_THREADS)
        gan_aug_color_pixel(yn, xn, C, P, p, M, b, s, c);
}

static void color(void *ctx, float *y, const float *x, const float *params, int N, int C, int P,
                  int backward) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || (size_t)C * P == 0) return;
    color_kernel<<<N, COLOR_THREADS, 0, cu->stream>>>(y, x, params, C, P, backward);
    GAN_CUDA_LAUNCHED(cu, "color_kernel");
}

void gan_cuda_augment_color_forward(void *ctx, float *y, const float *x, const float *params,
                                    int N, int C, int P) {
    color(ctx, y, x, params, N, C, P, 0);
}

void gan_cuda_augment_color_backward(void *ctx, float *dx, const float *dy, const float *params,
                                     int N, int C, int P) {
    color(ctx, dx, dy, params, N, C, P, 1);
}

__global__ void translate_kernel(float *y, const float *x, const float *params, int C, int H,
                                 int W, int sign, size_t total) {
    for (size_t e = (size_t)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += (size_t)gridDim.x * blockDim.x) {
        int j = (int)(e % W), i = (int)(e / W % H);
        size_t nc = e / ((size_t)H * W);
        const float *u = params + nc / C * GAN_AUG_PARAMS;
        int si = i + sign * gan_aug_shift(u[GAN_AUG_U_SHIFT_Y], H);
        int sj = j + sign * gan_aug_shift(u[GAN_AUG_U_SHIFT_X], W);
        bool in = si >= 0 && si < H && sj >= 0 && sj < W;
        y[e] = in ? x[nc * H * W + (size_t)si * W + sj] : 0.0f;
    }
}

static void translate(void *ctx, float *y, const float *x, const float *params, int N, int C,
                      int H, int W, int sign) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    size_t total = (size_t)N * C * H * W;
    if (total == 0) return;
    translate_kernel<<<gan_cuda_blocks(cu, total, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                       cu->stream>>>(y, x, params, C, H, W, sign, total);
    GAN_CUDA_LAUNCHED(cu, "translate_kernel");
}

void gan_cuda_augment_translation_forward(void *ctx, float *y, const float *x,
                                          const float *params, int N, int C, int H, int W) {
    translate(ctx, y, x, params, N, C, H, W, 1);
}

void gan_cuda_augment_translation_backward(void *ctx, float *dx, const float *dy,
                                           const float *params, int N, int C, int H, int W) {
    translate(ctx, dx, dy, params, N, C, H, W, -1);
}

__global__ void cutout_kernel(float *y, const float *x, const float *params, int C, int H, int W,
                              size_t total) {
    for (size_t e = (size_t)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += (size_t)gridDim.x * blockDim.x) {
        int j = (int)(e % W), i = (int)(e / W % H);
        const float *u = params + e / ((size_t)H * W) / C * GAN_AUG_PARAMS;
        int hy, hx;
        int y0 = gan_aug_cut_start(u[GAN_AUG_U_CUT_Y], H, &hy);
        int x0 = gan_aug_cut_start(u[GAN_AUG_U_CUT_X], W, &hx);
        bool cut = i >= y0 && i < y0 + hy && j >= x0 && j < x0 + hx;
        y[e] = cut ? 0.0f : x[e];
    }
}

void gan_cuda_augment_cutout(void *ctx, float *y, const float *x, const float *params, int N,
                             int C, int H, int W) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    size_t total = (size_t)N * C * H * W;
    if (total == 0) return;
    cutout_kernel<<<gan_cuda_blocks(cu, total, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                    cu->stream>>>(y, x, params, C, H, W, total);
    GAN_CUDA_LAUNCHED(cu, "cutout_kernel");
}

__global__ void mirror_kernel(float *x, const float *params, int C, int H, int W, size_t pairs) {
    int half = W / 2;
    for (size_t e = (size_t)blockIdx.x * blockDim.x + threadIdx.x; e < pairs;
         e += (size_t)gridDim.x * blockDim.x) {
        size_t row = e / half;
        int j = (int)(e % half);
        if (!(params[row / H / C * GAN_AUG_PARAMS + GAN_AUG_U_MIRROR] < 0.5f)) continue;
        float *r = x + row * W;
        float tmp = r[j];
        r[j] = r[W - 1 - j];
        r[W - 1 - j] = tmp;
    }
}

void gan_cuda_mirror(void *ctx, float *x, const float *params, int N, int C, int H, int W) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    size_t pairs = (size_t)N * C * H * (W / 2);
    if (pairs == 0) return;
    mirror_kernel<<<gan_cuda_blocks(cu, pairs, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                    cu->stream>>>(x, params, C, H, W, pairs);
    GAN_CUDA_LAUNCHED(cu, "mirror_kernel");
}
