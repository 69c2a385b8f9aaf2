/*
 * conv.cu - kernels that move image data for convolutions: im2col and its
 * adjoint col2im, NCHW <-> channel-major transposes, per-channel bias and
 * its gradient (layouts in backend.h).
 *
 * One thread per output element. im2col and the transposes are copies and
 * the bias add is one float add, so they equal the CPU reference bit for bit.
 * col2im adds an input element's contributions in the CPU's order (kernel
 * row i, then column j, from 0.0f), so it is exact too. The bias gradient is
 * one block per channel, double sums in a fixed tree: deterministic, and
 * within rounding of the CPU's float-per-row sums.
 */
#include "cuda_common.cuh"

#define GRID_STRIDE(i, n)                                                                          \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                      \
         i += (size_t)gridDim.x * blockDim.x)

#define LAUNCH_1D(kernel, n, ...)                                                                  \
    do {                                                                                           \
        if ((n) == 0) return;                                                                      \
        kernel<<<gan_cuda_blocks((n), GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0, gan_cuda.stream>>>( \
            __VA_ARGS__);                                                                          \
        GAN_CUDA_LAUNCHED(#kernel);                                                                \
    } while (0)

/* cols (C k k, G OH OW): element (r, col), r = (c k + i) k + j, col = (g OH + oh) OW + ow. */
__global__ void im2col_kernel(float *__restrict__ cols, const float *__restrict__ x, int G,
                              gan_conv_shape cs, size_t total) {
    size_t P = (size_t)cs.OH * cs.OW, row_len = (size_t)G * P;
    int kk = cs.k * cs.k;
    GRID_STRIDE(e, total) {
        size_t r = e / row_len, col = e % row_len;
        int c = (int)(r / kk), i = (int)(r / cs.k) % cs.k, j = (int)(r % cs.k);
        size_t g = col / P, q = col % P;
        int oh = (int)(q / cs.OW), ow = (int)(q % cs.OW);
        int ih = oh * cs.s - cs.p + i, iw = ow * cs.s - cs.p + j;
        float v = 0.0f;
        if (ih >= 0 && ih < cs.H && iw >= 0 && iw < cs.W)
            v = x[((g * cs.C + c) * cs.H + ih) * cs.W + iw];
        cols[e] = v;
    }
}

/* x (G, C, H, W): each element sums the cols entries that im2col copies from it. */
__global__ void col2im_kernel(float *__restrict__ x, const float *__restrict__ cols, int G,
                              gan_conv_shape cs, size_t total) {
    size_t P = (size_t)cs.OH * cs.OW, row_len = (size_t)G * P;
    GRID_STRIDE(e, total) {
        int iw = (int)(e % cs.W), ih = (int)(e / cs.W % cs.H);
        size_t gc = e / ((size_t)cs.H * cs.W);
        int c = (int)(gc % cs.C);
        size_t g = gc / cs.C;
        float acc = 0.0f;
        for (int i = 0; i < cs.k; i++) {
            int th = ih + cs.p - i; /* = oh * s */
            if (th < 0 || th % cs.s) continue;
            int oh = th / cs.s;
            if (oh >= cs.OH) continue;
            for (int j = 0; j < cs.k; j++) {
                int tw = iw + cs.p - j;
                if (tw < 0 || tw % cs.s) continue;
                int ow = tw / cs.s;
                if (ow >= cs.OW) continue;
                size_t r = (size_t)(c * cs.k + i) * cs.k + j;
                acc += cols[r * row_len + g * P + (size_t)oh * cs.OW + ow];
            }
        }
        x[e] = acc;
    }
}

/* t (C, G P) = y (G, C, P); element e of t. */
__global__ void nchw_to_cmajor_kernel(float *__restrict__ t, const float *__restrict__ y, int G,
                                      int C, int P, size_t total) {
    size_t GP = (size_t)G * P;
    GRID_STRIDE(e, total) {
        size_t c = e / GP, rest = e % GP, g = rest / P, q = rest % P;
        t[e] = y[(g * C + c) * P + q];
    }
}

/* y (G, C, P) = t (C, G P) + b; element e of y. */
__global__ void cmajor_to_nchw_kernel(float *__restrict__ y, const float *__restrict__ t,
                                      const float *__restrict__ b, int G, int C, int P,
                                      size_t total) {
    GRID_STRIDE(e, total) {
        size_t q = e % P, gc = e / P, c = gc % C, g = gc / C;
        float bc = b ? b[c] : 0.0f;
        y[e] = t[(c * G + g) * P + q] + bc;
    }
}

__global__ void channel_bias_forward_kernel(float *__restrict__ y, const float *__restrict__ b,
                                            int C, int P, size_t total) {
    GRID_STRIDE(e, total) y[e] += b[e / P % C];
}

#define RED_THREADS 512

/* Sum of every thread's `v` in a fixed tree; thread 0 gets the total. */
__device__ static double block_sum(double v, double *red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (int half = RED_THREADS / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) red[threadIdx.x] += red[threadIdx.x + half];
        __syncthreads();
    }
    return red[0];
}

/* One block per channel c: db[c] += the sum over (n, q) of dy[n][c][q]. */
__global__ void __launch_bounds__(RED_THREADS)
    channel_bias_backward_kernel(float *__restrict__ db, const float *__restrict__ dy, int N,
                                 int C, int P) {
    __shared__ double red[RED_THREADS];
    int c = blockIdx.x;
    size_t count = (size_t)N * P;
    double acc = 0.0;
    for (size_t e = threadIdx.x; e < count; e += RED_THREADS) {
        size_t n = e / P, q = e % P;
        acc += dy[(n * C + c) * P + q];
    }
    double total = block_sum(acc, red);
    if (threadIdx.x == 0) db[c] += (float)total;
}

void gan_cuda_im2col(float *cols, const float *x, int G, const gan_conv_shape *cs) {
    if (G <= 0) return;
    size_t total = (size_t)cs->C * cs->k * cs->k * G * cs->OH * cs->OW;
    LAUNCH_1D(im2col_kernel, total, cols, x, G, *cs, total);
}

void gan_cuda_col2im(float *x, const float *cols, int G, const gan_conv_shape *cs) {
    if (G <= 0) return;
    size_t total = (size_t)G * cs->C * cs->H * cs->W;
    LAUNCH_1D(col2im_kernel, total, x, cols, G, *cs, total);
}

void gan_cuda_nchw_to_cmajor(float *t, const float *y, int G, int C, int P) {
    if (G <= 0 || C <= 0 || P <= 0) return;
    size_t total = (size_t)G * C * P;
    LAUNCH_1D(nchw_to_cmajor_kernel, total, t, y, G, C, P, total);
}

void gan_cuda_cmajor_to_nchw(float *y, const float *t, const float *b, int G, int C, int P) {
    if (G <= 0 || C <= 0 || P <= 0) return;
    size_t total = (size_t)G * C * P;
    LAUNCH_1D(cmajor_to_nchw_kernel, total, y, t, b, G, C, P, total);
}

void gan_cuda_channel_bias_forward(float *y, const float *b, int N, int C, int P) {
    if (N <= 0 || C <= 0 || P <= 0) return;
    size_t total = (size_t)N * C * P;
    LAUNCH_1D(channel_bias_forward_kernel, total, y, b, C, P, total);
}

void gan_cuda_channel_bias_backward(float *db, const float *dy, int N, int C, int P) {
    if (N <= 0 || C <= 0 || P <= 0) return;
    channel_bias_backward_kernel<<<C, RED_THREADS, 0, gan_cuda.stream>>>(db, dy, N, C, P);
    GAN_CUDA_LAUNCHED("channel_bias_backward_kernel");
}
