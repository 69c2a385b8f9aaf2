/*
 * conv.cu - kernels that move image data for convolutions: im2col and its
 * adjoint col2im, NCHW <-> channel-major transposes, and the per-channel
 * bias add (layouts in backend_kernels.def; the bias gradient is a channel reduction,
 * in norm2d.cu).
 *
 * One thread per output element, 32-bit index arithmetic (a group of images
 * holds fewer than 2^31 values: checked), and the row of a 2-D output taken
 * from the block's y coordinate so that most index divisions disappear.
 * im2col and the transposes are copies and the bias add is one float add,
 * so they equal the CPU reference bit for bit; col2im adds an input
 * element's contributions in the CPU's order (kernel row i, then column j,
 * from 0.0f), so it is exact too.
 */
#include "conv_direct.cuh"

#define THREADS 256
#define MAX_GRID_Y 65535u

/* True (and the error recorded) when `total` values do not fit the indices. */
static bool too_large(gan_cuda_ctx *cu, size_t total, const char *what) {
    if (total < (1ull << 31)) return false;
    gan_cuda_record(cu, GAN_ERR_UNSUPPORTED, what, "tensor too large", __FILE__, __LINE__);
    return true;
}

/* Threads per block for rows of `cols` values: short rows get small blocks. */
static unsigned threads_for(unsigned cols) {
    return cols <= 64 ? 64 : cols <= 128 ? 128 : THREADS;
}

static dim3 grid_2d(unsigned cols, unsigned rows) {
    unsigned t = threads_for(cols);
    return dim3((cols + t - 1) / t, rows < MAX_GRID_Y ? rows : MAX_GRID_Y);
}

/* cols (C k k, G OH OW): column (g OH + oh) OW + ow per thread (x), and a
 * run of ROWS_PER_THREAD rows r = (c k + i) k + j from the block's y, walked
 * by incrementing (c, i, j): the divisions happen once per thread. */
#define ROWS_PER_THREAD 16

/* An element stored as T: fp32 as is, bf16 rounded to nearest even. */
__device__ __forceinline__ void store(float *p, float v) {
    *p = v;
}
__device__ __forceinline__ void store(__nv_bfloat16 *p, float v) {
    *p = __float2bfloat16_rn(v);
}

template <typename T>
__global__ void im2col_kernel(T *__restrict__ cols, const float *__restrict__ x,
                              gan_conv_shape cs, unsigned rows, unsigned row_len,
                              unsigned rows_per_thread) {
    unsigned P = (unsigned)(cs.OH * cs.OW), col = blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= row_len) return;
    unsigned g = col / P, q = col - g * P;
    int oh = (int)(q / (unsigned)cs.OW), ow = (int)(q - (unsigned)oh * cs.OW);
    int ih0 = oh * cs.s - cs.p, iw0 = ow * cs.s - cs.p;
    unsigned r = blockIdx.y * rows_per_thread, r_end = min(r + rows_per_thread, rows);
    unsigned kk = (unsigned)(cs.k * cs.k);
    int c = (int)(r / kk), ij = (int)(r % kk), i = ij / cs.k, j = ij % cs.k;
    const float *xg = x + (size_t)g * cs.C * cs.H * cs.W;
    T *out = cols + (size_t)r * row_len + col;
    for (; r < r_end; r++, out += row_len) {
        int ih = ih0 + i, iw = iw0 + j;
        float v = 0.0f;
        if (ih >= 0 && ih < cs.H && iw >= 0 && iw < cs.W)
            v = xg[((size_t)c * cs.H + ih) * cs.W + iw];
        store(out, v);
        if (++j == cs.k) {
            j = 0;
            if (++i == cs.k) i = 0, c++;
        }
    }
}

/* x (G, C, H, W): plane gc = g C + c per y, position ih W + iw per x; each
 * element sums the cols entries that im2col copies from it. */
__global__ void col2im_kernel(float *__restrict__ x, const float *__restrict__ cols,
                              gan_conv_shape cs, unsigned planes, unsigned row_len) {
    unsigned HW = (unsigned)(cs.H * cs.W), pos = blockIdx.x * blockDim.x + threadIdx.x;
    if (pos >= HW) return;
    unsigned P = (unsigned)(cs.OH * cs.OW);
    int ih = (int)(pos / (unsigned)cs.W), iw = (int)(pos - (unsigned)ih * cs.W);
    int i0 = (ih + cs.p) % cs.s, j0 = (iw + cs.p) % cs.s; /* the taps that can reach it */
    for (unsigned gc = blockIdx.y; gc < planes; gc += gridDim.y) {
        unsigned g = gc / (unsigned)cs.C, c = gc - g * cs.C;
        const float *base = cols + (size_t)g * P;
        float acc = 0.0f;
        for (int i = i0; i < cs.k; i += cs.s) {
            int oh = (ih + cs.p - i) / cs.s;
            if (oh < 0) break;
            if (oh >= cs.OH) continue;
            for (int j = j0; j < cs.k; j += cs.s) {
                int ow = (iw + cs.p - j) / cs.s;
                if (ow < 0) break;
                if (ow >= cs.OW) continue;
                size_t r = ((size_t)c * cs.k + i) * cs.k + j;
                acc += base[r * row_len + (unsigned)oh * cs.OW + ow];
            }
        }
        x[(size_t)gc * HW + pos] = acc;
    }
}

/* t (C, G P) = y (G, C, P): row c per y, column g P + q per x. */
template <typename T>
__global__ void nchw_to_cmajor_kernel(T *__restrict__ t, const float *__restrict__ y,
                                      unsigned C, unsigned P, unsigned GP) {
    unsigned col = blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= GP) return;
    unsigned g = col / P, q = col - g * P;
    for (unsigned c = blockIdx.y; c < C; c += gridDim.y)
        store(&t[(size_t)c * GP + col], y[((size_t)g * C + c) * P + q]);
}

/* y (G, C, P) = t (C, G P) + b: the same walk, the other way. */
__global__ void cmajor_to_nchw_kernel(float *__restrict__ y, const float *__restrict__ t,
                                      const float *__restrict__ b, unsigned C, unsigned P,
                                      unsigned GP) {
    unsigned col = blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= GP) return;
    unsigned g = col / P, q = col - g * P;
    for (unsigned c = blockIdx.y; c < C; c += gridDim.y) {
        float bc = b ? b[c] : 0.0f;
        y[((size_t)g * C + c) * P + q] = t[(size_t)c * GP + col] + bc;
    }
}

/* y (N, C, P) += b, then the activation (low: the slope for z <= 0, 1 for
 * none, which leaves z's bits; tanh: tanhf) as leaky_relu_forward_kernel /
 * tanh_forward_kernel.
 * A grid-stride walk over all N C P values, BIAS_UNROLL loaded by a thread
 * before it stores one (memory-bound: loads in flight), the channel of value
 * i as i / P mod C by multiplies (gan_fastdiv). */
#define BIAS_UNROLL 4
__global__ void channel_bias_act_forward_kernel(float *__restrict__ y,
                                                const float *__restrict__ b, unsigned total,
                                                gan_fastdiv by_P,
                                                gan_fastdiv by_C, float low, bool tanh) {
    unsigned stride = gridDim.x * blockDim.x * BIAS_UNROLL;
    for (unsigned i0 = blockIdx.x * blockDim.x * BIAS_UNROLL + threadIdx.x; i0 < total;
         i0 += stride) {
        float v[BIAS_UNROLL];
#pragma unroll
        for (unsigned u = 0; u < BIAS_UNROLL; u++) {
            unsigned i = i0 + u * blockDim.x;
            v[u] = i < total ? y[i] : 0.0f;
        }
#pragma unroll
        for (unsigned u = 0; u < BIAS_UNROLL; u++) {
            unsigned i = i0 + u * blockDim.x;
            if (i >= total) break;
            unsigned c = gan_fastdiv_mod(by_C, gan_fastdiv_q(by_P, i));
            float z = v[u] + b[c];
            y[i] = tanh ? tanhf(z) : z > 0.0f ? z : low * z;
        }
    }
}

/* The launch of channel_bias_act_forward_kernel (the size checked by the caller). */
static void bias_act_launch(gan_cuda_ctx *cu, float *y, const float *b, int N, int C, int P,
                            float low, bool tanh) {
    size_t total = (size_t)N * C * P;
    unsigned blocks = gan_cuda_blocks(cu, (total + BIAS_UNROLL - 1) / BIAS_UNROLL, THREADS);
    channel_bias_act_forward_kernel<<<blocks, THREADS, 0, cu->stream>>>(
        y, b, (unsigned)total, gan_fastdiv_make((unsigned)P),
        gan_fastdiv_make((unsigned)C), low, tanh);
    GAN_CUDA_LAUNCHED(cu, "channel_bias_act_forward_kernel");
}

template <typename T>
static void im2col_as(gan_cuda_ctx *cu, T *cols, const float *x, int G, const gan_conv_shape *cs) {
    if (G <= 0) return;
    size_t rows = (size_t)cs->C * cs->k * cs->k, row_len = (size_t)G * cs->OH * cs->OW;
    if (rows == 0 || row_len == 0 || too_large(cu, rows * row_len, "im2col") ||
        too_large(cu, (size_t)G * cs->C * cs->H * cs->W, "im2col"))
        return;
    unsigned t = threads_for((unsigned)row_len);
    unsigned per = ROWS_PER_THREAD;
    if ((rows + per - 1) / per > MAX_GRID_Y)
        per = (unsigned)((rows + MAX_GRID_Y - 1) / MAX_GRID_Y);
    dim3 grid(((unsigned)row_len + t - 1) / t, (unsigned)((rows + per - 1) / per));
    im2col_kernel<T><<<grid, t, 0, cu->stream>>>(cols, x, *cs, (unsigned)rows,
                                                  (unsigned)row_len, per);
    GAN_CUDA_LAUNCHED(cu, "im2col_kernel");
}

void gan_cuda_im2col(void *ctx, float *cols, const float *x, int G, const gan_conv_shape *cs) {
    im2col_as((gan_cuda_ctx *)ctx, cols, x, G, cs);
}

void gan_cuda_im2col_bf16(gan_cuda_ctx *cu, __nv_bfloat16 *cols, const float *x, int G,
                          const gan_conv_shape *cs) {
    im2col_as(cu, cols, x, G, cs);
}

void gan_cuda_col2im(void *ctx, float *x, const float *cols, int G, const gan_conv_shape *cs) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (G <= 0) return;
    size_t planes = (size_t)G * cs->C, HW = (size_t)cs->H * cs->W;
    size_t row_len = (size_t)G * cs->OH * cs->OW;
    if (planes == 0 || HW == 0 || too_large(cu, planes * HW, "col2im") ||
        too_large(cu, (size_t)cs->C * cs->k * cs->k * row_len, "col2im"))
        return;
    unsigned t = threads_for((unsigned)HW);
    col2im_kernel<<<grid_2d((unsigned)HW, (unsigned)planes), t, 0, cu->stream>>>(
        x, cols, *cs, (unsigned)planes, (unsigned)row_len);
    GAN_CUDA_LAUNCHED(cu, "col2im_kernel");
}

template <typename T>
static void nchw_to_cmajor_as(gan_cuda_ctx *cu, T *t, const float *y, int G, int C, int P) {
    if (G <= 0 || C <= 0 || P <= 0 || too_large(cu, (size_t)G * C * P, "nchw_to_cmajor")) return;
    unsigned GP = (unsigned)G * (unsigned)P;
    nchw_to_cmajor_kernel<T><<<grid_2d(GP, (unsigned)C), threads_for(GP), 0, cu->stream>>>(
        t, y, (unsigned)C, (unsigned)P, GP);
    GAN_CUDA_LAUNCHED(cu, "nchw_to_cmajor_kernel");
}

void gan_cuda_nchw_to_cmajor(void *ctx, float *t, const float *y, int G, int C, int P) {
    nchw_to_cmajor_as((gan_cuda_ctx *)ctx, t, y, G, C, P);
}

void gan_cuda_nchw_to_cmajor_bf16(gan_cuda_ctx *cu, __nv_bfloat16 *t, const float *y, int G,
                                  int C, int P) {
    nchw_to_cmajor_as(cu, t, y, G, C, P);
}

void gan_cuda_cmajor_to_nchw(void *ctx, float *y, const float *t, const float *b, int G, int C,
                             int P) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (G <= 0 || C <= 0 || P <= 0 || too_large(cu, (size_t)G * C * P, "cmajor_to_nchw")) return;
    unsigned GP = (unsigned)G * (unsigned)P;
    cmajor_to_nchw_kernel<<<grid_2d(GP, (unsigned)C), threads_for(GP), 0, cu->stream>>>(
        y, t, b, (unsigned)C, (unsigned)P, GP);
    GAN_CUDA_LAUNCHED(cu, "cmajor_to_nchw_kernel");
}

void gan_cuda_channel_bias_forward(void *ctx, float *y, const float *b, int N, int C, int P) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || C <= 0 || P <= 0 || too_large(cu, (size_t)N * C * P, "channel_bias_forward"))
        return;
    bias_act_launch(cu, y, b, N, C, P, 1.0f, false);
}

void gan_cuda_channel_bias_act_forward(void *ctx, float *y, const float *b, int N, int C, int P,
                                       gan_act act) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || C <= 0 || P <= 0 ||
        too_large(cu, (size_t)N * C * P, "channel_bias_act_forward"))
        return;
    bias_act_launch(cu, y, b, N, C, P, act.on && !act.tanh ? act.slope : 1.0f,
                    act.on && act.tanh);
}

/* ------------------------------------------------------- bf16 conversions */

__global__ void to_bf16_kernel(__nv_bfloat16 *__restrict__ d, const float *__restrict__ s,
                               size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        d[i] = __float2bfloat16_rn(s[i]);
}

/* d (planes, P) = beta d + s (+ b[plane % C] when b). */
__global__ void from_bf16_kernel(float *__restrict__ d, const __nv_bfloat16 *__restrict__ s,
                                 const float *__restrict__ b, int C, size_t P, float beta,
                                 size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float v = __bfloat162float(s[i]);
        if (b) v += b[(i / P) % (size_t)C];
        d[i] = beta != 0.0f ? d[i] + v : v;
    }
}

void gan_cuda_to_bf16(gan_cuda_ctx *cu, __nv_bfloat16 *d, const float *s, size_t n) {
    if (!n) return;
    to_bf16_kernel<<<gan_cuda_blocks(cu, n, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0, cu->stream>>>(
        d, s, n);
    GAN_CUDA_LAUNCHED(cu, "to_bf16_kernel");
}

void gan_cuda_from_bf16(gan_cuda_ctx *cu, float *d, const __nv_bfloat16 *s, const float *b, int C,
                        size_t P, float beta, size_t n) {
    if (!n) return;
    from_bf16_kernel<<<gan_cuda_blocks(cu, n, GAN_CUDA_THREADS), GAN_CUDA_THREADS, 0,
                       cu->stream>>>(d, s, b, C, P, beta, n);
    GAN_CUDA_LAUNCHED(cu, "from_bf16_kernel");
}

/* ------------------------------------------ NCHW <-> NHWC, with conversion */

/* cuDNN's tensor-core kernels work on NHWC; given NCHW, cuDNN transposes
 * every operand to NHWC and the result back in kernels of its own. These
 * transpose while converting (one pass instead of two), through 32 x 32
 * tiles of shared memory so that both the reads and the writes are
 * coalesced; blockIdx.z is the image (or the output channel, for weights). */
#define NHWC_TILE 32
#define NHWC_ROWS 8

__device__ __forceinline__ void store_as(float *d, float v) {
    *d = v;
}
__device__ __forceinline__ void store_as(__nv_bfloat16 *d, float v) {
    *d = __float2bfloat16_rn(v);
}
__device__ __forceinline__ float load_as(const float *s) {
    return *s;
}
__device__ __forceinline__ float load_as(const __nv_bfloat16 *s) {
    return __bfloat162float(*s);
}

/* d (N, P, C) in T = s (N, C, P). */
template <typename T>
__global__ void nchw_to_nhwc_kernel(T *__restrict__ d, const float *__restrict__ s, unsigned C,
                                    unsigned P) {
    __shared__ float tile[NHWC_TILE][NHWC_TILE + 1];
    size_t base = (size_t)blockIdx.z * C * P;
    unsigned p0 = blockIdx.x * NHWC_TILE, c0 = blockIdx.y * NHWC_TILE;
    for (unsigned j = threadIdx.y; j < NHWC_TILE; j += NHWC_ROWS) {
        unsigned c = c0 + j, p = p0 + threadIdx.x;
        if (c < C && p < P) tile[j][threadIdx.x] = s[base + (size_t)c * P + p];
    }
    __syncthreads();
    for (unsigned j = threadIdx.y; j < NHWC_TILE; j += NHWC_ROWS) {
        unsigned p = p0 + j, c = c0 + threadIdx.x;
        if (c < C && p < P) store_as(&d[base + (size_t)p * C + c], tile[threadIdx.x][j]);
    }
}

/* d (N, C, P) = beta d + s (N, P, C) in T (+ b[c] when b; beta 0 or 1). */
template <typename T>
__global__ void nhwc_to_nchw_kernel(float *__restrict__ d, const T *__restrict__ s,
                                    const float *__restrict__ b, unsigned C, unsigned P,
                                    float beta) {
    __shared__ float tile[NHWC_TILE][NHWC_TILE + 1];
    size_t base = (size_t)blockIdx.z * C * P;
    unsigned p0 = blockIdx.x * NHWC_TILE, c0 = blockIdx.y * NHWC_TILE;
    for (unsigned j = threadIdx.y; j < NHWC_TILE; j += NHWC_ROWS) {
        unsigned p = p0 + j, c = c0 + threadIdx.x;
        if (c < C && p < P) tile[j][threadIdx.x] = load_as(&s[base + (size_t)p * C + c]);
    }
    __syncthreads();
    for (unsigned j = threadIdx.y; j < NHWC_TILE; j += NHWC_ROWS) {
        unsigned c = c0 + j, p = p0 + threadIdx.x;
        if (c < C && p < P) {
            float v = tile[threadIdx.x][j];
            if (b) v += b[c];
            size_t i = base + (size_t)c * P + p;
            d[i] = beta != 0.0f ? d[i] + v : v;
        }
    }
}

/* The grid of N planes of C x P (N in chunks of the grid's z limit):
 * false, error recorded, for sizes the kernels' unsigned indices cannot take. */
static bool nhwc_grid(gan_cuda_ctx *cu, int N, int C, size_t P, const char *what) {
    if (N <= 0 || C <= 0 || P == 0) return false;
    if (P > 0xffffffffu || (size_t)C * P > ((size_t)1 << 40)) {
        gan_cuda_record(cu, GAN_ERR_INVALID_ARGUMENT, what, "tensor too large", __FILE__,
                        __LINE__);
        return false;
    }
    return true;
}

#define NHWC_ZMAX 65535

/* The tiles of up to NHWC_ZMAX of `n` planes of C x P. */
static dim3 nhwc_tiles(int n, int C, size_t P) {
    return dim3((unsigned)((P + NHWC_TILE - 1) / NHWC_TILE),
                (unsigned)((C + NHWC_TILE - 1) / NHWC_TILE),
                (unsigned)(n < NHWC_ZMAX ? n : NHWC_ZMAX));
}

void gan_cuda_nchw_to_nhwc(gan_cuda_ctx *cu, void *d, bool bf16, const float *s, int N, int C,
                           size_t P) {
    if (!nhwc_grid(cu, N, C, P, "nchw_to_nhwc")) return;
    dim3 block(NHWC_TILE, NHWC_ROWS);
    size_t plane = (size_t)C * P;
    for (int n0 = 0; n0 < N; n0 += NHWC_ZMAX) {
        dim3 grid = nhwc_tiles(N - n0, C, P);
        const float *sn = s + (size_t)n0 * plane;
        if (bf16)
            nchw_to_nhwc_kernel<__nv_bfloat16><<<grid, block, 0, cu->stream>>>(
                (__nv_bfloat16 *)d + (size_t)n0 * plane, sn, (unsigned)C, (unsigned)P);
        else
            nchw_to_nhwc_kernel<float><<<grid, block, 0, cu->stream>>>(
                (float *)d + (size_t)n0 * plane, sn, (unsigned)C, (unsigned)P);
        GAN_CUDA_LAUNCHED(cu, "nchw_to_nhwc_kernel");
    }
}

void gan_cuda_nhwc_to_nchw(gan_cuda_ctx *cu, float *d, const void *s, bool bf16, const float *b,
                           int N, int C, size_t P, float beta) {
    if (!nhwc_grid(cu, N, C, P, "nhwc_to_nchw")) return;
    dim3 block(NHWC_TILE, NHWC_ROWS);
    size_t plane = (size_t)C * P;
    for (int n0 = 0; n0 < N; n0 += NHWC_ZMAX) {
        dim3 grid = nhwc_tiles(N - n0, C, P);
        float *dn = d + (size_t)n0 * plane;
        if (bf16)
            nhwc_to_nchw_kernel<__nv_bfloat16><<<grid, block, 0, cu->stream>>>(
                dn, (const __nv_bfloat16 *)s + (size_t)n0 * plane, b, (unsigned)C, (unsigned)P,
                beta);
        else
            nhwc_to_nchw_kernel<float><<<grid, block, 0, cu->stream>>>(
                dn, (const float *)s + (size_t)n0 * plane, b, (unsigned)C, (unsigned)P, beta);
        GAN_CUDA_LAUNCHED(cu, "nhwc_to_nchw_kernel");
    }
}
