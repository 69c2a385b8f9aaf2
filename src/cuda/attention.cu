/*
 * attention.cu - self-attention's kernels: the row softmax and its
 * backward, the gamma-gated residual add (semantics in
 * backend_kernels.def, reference in src/cpu/attention.c).
 *
 * A row is one thread's, its sums in double in the CPU's order; the
 * exponentials are CUDA's double exp, which may differ from the C
 * library's in the last bit of a double (so a float can rarely differ by
 * one ulp). Element-wise kernels round as the CPU (--fmad=false).
 */
#include "cuda_common.cuh"

__global__ void softmax_rows_kernel(float *y, const float *x, int R, int K) {
    GAN_CUDA_GRID_STRIDE(r, (size_t)R) {
        const float *in = x + r * K;
        float *out = y + r * K;
        float m = in[0];
        for (int k = 1; k < K; k++) m = in[k] > m ? in[k] : m;
        double s = 0;
        for (int k = 0; k < K; k++) s += exp((double)in[k] - m);
        double inv = 1.0 / s;
        for (int k = 0; k < K; k++) out[k] = (float)(exp((double)in[k] - m) * inv);
    }
}

__global__ void softmax_rows_backward_kernel(float *dx, const float *y, const float *dy, int R,
                                             int K) {
    GAN_CUDA_GRID_STRIDE(r, (size_t)R) {
        const float *yr = y + r * K, *g = dy + r * K;
        float *out = dx + r * K;
        double s = 0;
        for (int k = 0; k < K; k++) s += (double)yr[k] * g[k];
        for (int k = 0; k < K; k++) out[k] = (float)(yr[k] * ((double)g[k] - s));
    }
}

__global__ void gated_add_kernel(float *__restrict__ y, const float *__restrict__ x,
                                 const float *__restrict__ o, const float *__restrict__ gamma,
                                 size_t n) {
    float g = gamma[0];
    GAN_CUDA_GRID_STRIDE(i, n) y[i] = x[i] + g * o[i];
}

__global__ void gated_scale_kernel(float *__restrict__ d_o, const float *__restrict__ dy,
                                   const float *__restrict__ gamma, size_t n) {
    float g = gamma[0];
    GAN_CUDA_GRID_STRIDE(i, n) d_o[i] = g * dy[i];
}

static unsigned row_blocks(gan_cuda_ctx *cu, int R) {
    return gan_cuda_blocks(cu, (size_t)R, 128);
}

void gan_cuda_softmax_rows_forward(void *ctx, float *y, const float *x, int R, int K) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (R <= 0 || K <= 0) return;
    softmax_rows_kernel<<<row_blocks(cu, R), 128, 0, cu->stream>>>(y, x, R, K);
    GAN_CUDA_LAUNCHED(cu, "softmax_rows_kernel");
}

void gan_cuda_softmax_rows_backward(void *ctx, float *dx, const float *y, const float *dy, int R,
                                    int K) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (R <= 0 || K <= 0) return;
    softmax_rows_backward_kernel<<<row_blocks(cu, R), 128, 0, cu->stream>>>(dx, y, dy, R, K);
    GAN_CUDA_LAUNCHED(cu, "softmax_rows_backward_kernel");
}

void gan_cuda_gated_add_forward(void *ctx, float *y, const float *x, const float *o,
                                const float *gamma, size_t n) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    gated_add_kernel<<<gan_cuda_blocks(cu, n, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                       cu->stream>>>(y, x, o, gamma, n);
    GAN_CUDA_LAUNCHED(cu, "gated_add_kernel");
}

void gan_cuda_gated_add_backward(void *ctx, float *d_o, const float *dy, const float *gamma,
                                 size_t n) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (n == 0) return;
    gated_scale_kernel<<<gan_cuda_blocks(cu, n, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                         cu->stream>>>(d_o, dy, gamma, n);
    GAN_CUDA_LAUNCHED(cu, "gated_scale_kernel");
}
