/*
 * resample.cu - block sums and their adjoint (average and global sum
 * pooling, nearest upsampling), the per-class affine of conditional batch
 * norm, and axpy (semantics in backend_kernels.def, reference in
 * src/cpu/resample.c).
 *
 * Each output element is one thread's, summed in the CPU's order in double
 * and rounded once as the CPU does, so the results are the CPU's bits
 * (built with --fmad=false). The class gradients give channel c to one
 * thread, which adds the rows to their class in row order, as the CPU.
 */
#include "cuda_common.cuh"

#define LAUNCH_1D(kernel, n, ...)                                                                  \
    do {                                                                                           \
        if ((n) == 0) return;                                                                      \
        kernel<<<gan_cuda_blocks(cu, (n), GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0, cu->stream>>>(   \
            __VA_ARGS__);                                                                          \
        GAN_CUDA_LAUNCHED(cu, #kernel);                                                            \
    } while (0)

/* The pooling kernels find an element's plane, row and column with
 * gan_fastdiv on 32-bit indices: a 64-bit division per element cost more than
 * the memory traffic. Tensors of 2^32 values or more are refused. */

/* by_plane: OH OW, by_row: OW. */
__global__ void block_sum_kernel(float *__restrict__ y, const float *__restrict__ x, int H, int W,
                                 int fh, int fw, float scale, unsigned total, gan_fastdiv by_plane,
                                 gan_fastdiv by_row) {
    GAN_CUDA_GRID_STRIDE_32(e, total) {
        unsigned pl = gan_fastdiv_q(by_plane, e), r = e - pl * by_plane.d;
        int oh = (int)gan_fastdiv_q(by_row, r), ow = (int)(r - (unsigned)oh * by_row.d);
        const float *in = x + (size_t)pl * H * W;
        double s = 0;
        for (int i = 0; i < fh; i++)
            for (int j = 0; j < fw; j++) s += in[(size_t)(oh * fh + i) * W + ow * fw + j];
        y[e] = (float)s * scale;
    }
}

/* by_plane: H W, by_row: W. */
__global__ void block_spread_kernel(float *__restrict__ x, const float *__restrict__ y, int OH,
                                    int OW, float scale, unsigned total, gan_fastdiv by_plane,
                                    gan_fastdiv by_row, gan_fastdiv by_fh, gan_fastdiv by_fw) {
    GAN_CUDA_GRID_STRIDE_32(e, total) {
        unsigned pl = gan_fastdiv_q(by_plane, e), r = e - pl * by_plane.d;
        unsigned h = gan_fastdiv_q(by_row, r), w = r - h * by_row.d;
        int oh = (int)gan_fastdiv_q(by_fh, h), ow = (int)gan_fastdiv_q(by_fw, w);
        x[e] = oh < OH && ow < OW ? y[((size_t)pl * OH + oh) * OW + ow] * scale : 0.0f;
    }
}

__device__ static inline int valid_label(const int32_t *labels, size_t n, int n_classes) {
    int label = labels ? labels[n] : -1;
    return label >= 0 && label < n_classes ? label : -1;
}

/* y = x g + b (or dx = dy g with beta NULL) with the row's class values */
__global__ void class_affine_kernel(float *__restrict__ y, const float *__restrict__ x,
                                    const int32_t *__restrict__ labels,
                                    const float *__restrict__ gamma,
                                    const float *__restrict__ beta, int C, int P, int n_classes,
                                    size_t total) {
    GAN_CUDA_GRID_STRIDE(e, total) {
        size_t nc = e / P;
        int c = (int)(nc % C), label = valid_label(labels, nc / C, n_classes);
        float g = label < 0 ? 1.0f : gamma[(size_t)label * C + c];
        if (!beta) {
            y[e] = x[e] * g;
            continue;
        }
        float b = label < 0 ? 0.0f : beta[(size_t)label * C + c];
        y[e] = x[e] * g + b;
    }
}

__global__ void class_affine_grad_kernel(float *__restrict__ dgamma, float *__restrict__ dbeta,
                                         const float *__restrict__ dy,
                                         const float *__restrict__ x,
                                         const int32_t *__restrict__ labels, int N, int C, int P,
                                         int n_classes) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    for (int n = 0; n < N; n++) {
        int label = valid_label(labels, n, n_classes);
        if (label < 0) continue;
        const float *g = dy + ((size_t)n * C + c) * P, *in = x + ((size_t)n * C + c) * P;
        double sg = 0, sb = 0;
        for (int q = 0; q < P; q++) sg += (double)g[q] * in[q], sb += g[q];
        size_t at = (size_t)label * C + c;
        if (dgamma) dgamma[at] += (float)sg;
        if (dbeta) dbeta[at] += (float)sb;
    }
}

__global__ void axpy_kernel(float *__restrict__ y, const float *__restrict__ x, size_t n,
                            float alpha) {
    GAN_CUDA_GRID_STRIDE(i, n) y[i] += alpha * x[i];
}

void gan_cuda_block_sum(void *ctx, float *y, const float *x, int count, int H, int W, int fh,
                        int fw, float scale) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    int OH = H / fh, OW = W / fw;
    size_t total = count > 0 ? (size_t)count * OH * OW : 0;
    if (total == 0 || !gan_cuda_fits_u32(cu, total, "block_sum")) return;
    LAUNCH_1D(block_sum_kernel, total, y, x, H, W, fh, fw, scale, (unsigned)total,
              gan_fastdiv_make((unsigned)(OH * OW)), gan_fastdiv_make((unsigned)OW));
}

void gan_cuda_block_spread(void *ctx, float *x, const float *y, int count, int H, int W, int fh,
                           int fw, float scale) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    size_t total = count > 0 ? (size_t)count * H * W : 0;
    if (total == 0 || !gan_cuda_fits_u32(cu, total, "block_spread")) return;
    LAUNCH_1D(block_spread_kernel, total, x, y, H / fh, W / fw, scale, (unsigned)total,
              gan_fastdiv_make((unsigned)(H * W)), gan_fastdiv_make((unsigned)W),
              gan_fastdiv_make((unsigned)fh), gan_fastdiv_make((unsigned)fw));
}

void gan_cuda_class_affine_forward(void *ctx, float *y, const float *x, const int32_t *labels,
                                   const float *gamma, const float *beta, int N, int C, int P,
                                   int n_classes) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    size_t total = N > 0 && C > 0 && P > 0 ? (size_t)N * C * P : 0;
    LAUNCH_1D(class_affine_kernel, total, y, x, labels, gamma, beta, C, P, n_classes, total);
}

void gan_cuda_class_affine_backward(void *ctx, float *dx, float *dgamma, float *dbeta,
                                    const float *dy, const float *x, const int32_t *labels,
                                    const float *gamma, int N, int C, int P, int n_classes) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || C <= 0 || P <= 0) return;
    if (dgamma || dbeta) {
        int threads = 64;
        class_affine_grad_kernel<<<(C + threads - 1) / threads, threads, 0, cu->stream>>>(
            dgamma, dbeta, dy, x, labels, N, C, P, n_classes);
        GAN_CUDA_LAUNCHED(cu, "class_affine_grad_kernel");
    }
    size_t total = dx ? (size_t)N * C * P : 0;
    LAUNCH_1D(class_affine_kernel, total, dx, dy, labels, gamma, NULL, C, P, n_classes, total);
}

void gan_cuda_axpy(void *ctx, float *y, const float *x, size_t n, float alpha) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    LAUNCH_1D(axpy_kernel, n, y, x, n, alpha);
}
