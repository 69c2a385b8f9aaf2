/*
 * misc.cu - dropout (counter-based masks), spectral normalization (one
 * power iteration, PyTorch semantics) and label conditioning, as in
 * src/cpu/misc.c; semantics in backend_kernels.def.
 *
 * Dropout draws the CPU's Philox words (philox.cuh) and applies the CPU's
 * float expression: identical bits. Label concatenation is a copy, and the
 * embedding gradient adds each row's plane sum (summed in the CPU's order)
 * into its class in row order, as the CPU does: identical bits. Spectral
 * normalization sums in double in a fixed order different from the CPU's,
 * so u, v, sigma and the weights agree with it to float rounding; its
 * single-value results (norms, sigma, the gradient's <dW, W>) come from one
 * block, and its small scalars pass through the context's reduce buffer.
 */
#include "cuda_common.cuh"
#include "philox.cuh"

#define THREADS 256
#define RED_THREADS 512

/* Sum of every thread's `v` in a fixed tree; every thread gets the total. */
__device__ static double block_total(double v, double *red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (int half = RED_THREADS / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) red[threadIdx.x] += red[threadIdx.x + half];
        __syncthreads();
    }
    double total = red[0];
    __syncthreads();
    return total;
}

/* Sum over a warp (fixed butterfly order); every lane gets the total. */
__device__ static double warp_total(double v) {
    for (int off = 16; off > 0; off /= 2) v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

/* ---------------------------------------------------------------- dropout */

__global__ void dropout_kernel(float *__restrict__ out, const float *__restrict__ in, size_t n,
                               float p, float scale, uint64_t seed, uint64_t stream) {
    size_t blocks = (n + 3) / 4;
    GAN_CUDA_GRID_STRIDE(blk, blocks) {
        uint32_t r[4];
        gan_cuda_philox(seed, stream, blk, r);
#pragma unroll
        for (int k = 0; k < 4; k++) {
            size_t i = blk * 4 + k;
            if (i >= n) break;
            float keep = (float)(r[k] >> 8) * (1.0f / 16777216.0f) >= p;
            out[i] = in[i] * keep * scale;
        }
    }
}

static void dropout_apply(gan_cuda_ctx *cu, float *out, const float *in, size_t n, float p,
                          uint64_t seed, uint64_t stream) {
    if (n == 0) return;
    float scale = 1.0f / (1.0f - p);
    size_t blocks = (n + 3) / 4;
    dropout_kernel<<<gan_cuda_blocks(cu, blocks, THREADS), THREADS, 0, cu->stream>>>(
        out, in, n, p, scale, seed, stream);
    GAN_CUDA_LAUNCHED(cu, "dropout_kernel");
}

void gan_cuda_dropout_forward(void *ctx, float *y, const float *x, size_t n, float p, uint64_t seed,
                              uint64_t stream) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    dropout_apply(cu, y, x, n, p, seed, stream);
}

void gan_cuda_dropout_backward(void *ctx, float *dx, const float *dy, size_t n, float p,
                               uint64_t seed, uint64_t stream) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    dropout_apply(cu, dx, dy, n, p, seed, stream);
}

/* --------------------------------------------------- spectral normalization */

/* v[j] = sum over rows of w[r][j] u[r] (one thread per column). */
__global__ void sn_columns_kernel(float *__restrict__ v, const float *__restrict__ w,
                                  const float *__restrict__ u, int rows, int cols) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= cols) return;
    double acc = 0.0;
    for (int r = 0; r < rows; r++) acc += (double)w[(size_t)r * cols + j] * u[r];
    v[j] = (float)acc;
}

/* u[r] = w[r] . v (one warp per row). */
__global__ void sn_rows_kernel(float *__restrict__ u, const float *__restrict__ w,
                               const float *__restrict__ v, int rows, int cols) {
    int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (r >= rows) return;
    const float *row = w + (size_t)r * cols;
    double acc = 0.0;
    for (int j = lane; j < cols; j += 32) acc += (double)row[j] * v[j];
    acc = warp_total(acc);
    if (lane == 0) u[r] = (float)acc;
}

/* x = x / max(|x|, eps) (one block); with sigma != NULL (x = u, before the
 * scaling W v), also *sigma = u . (W v), the new u against the old x. */
__global__ void __launch_bounds__(RED_THREADS)
    sn_normalize_kernel(float *__restrict__ x, int n, float eps, float *__restrict__ sigma) {
    __shared__ double red[RED_THREADS];
    double ss = 0.0;
    for (int i = threadIdx.x; i < n; i += RED_THREADS) ss += (double)x[i] * x[i];
    ss = block_total(ss, red);
    float s = (float)(1.0 / fmax(sqrt(ss), (double)eps));
    double dot = 0.0;
    for (int i = threadIdx.x; i < n; i += RED_THREADS) {
        float raw = x[i], scaled = raw * s;
        dot += (double)scaled * raw;
        x[i] = scaled;
    }
    if (!sigma) return;
    dot = block_total(dot, red);
    if (threadIdx.x == 0) *sigma = (float)dot;
}

/* *sigma = u . (W v) with u and v as they are (one block, a warp per row). */
__global__ void __launch_bounds__(RED_THREADS)
    sn_sigma_kernel(float *__restrict__ sigma, const float *__restrict__ w,
                    const float *__restrict__ u, const float *__restrict__ v, int rows, int cols) {
    __shared__ double red[RED_THREADS];
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = RED_THREADS / 32;
    double s = 0.0;
    for (int r = warp; r < rows; r += warps) {
        const float *row = w + (size_t)r * cols;
        double acc = 0.0;
        for (int j = lane; j < cols; j += 32) acc += (double)row[j] * v[j];
        s += (double)u[r] * warp_total(acc);
    }
    s = block_total(lane == 0 ? s : 0.0, red);
    if (threadIdx.x == 0) *sigma = (float)s;
}

/* w = w_orig * (1 / sigma). */
__global__ void sn_scale_kernel(float *__restrict__ w, const float *__restrict__ w_orig,
                                const float *__restrict__ sigma, size_t n) {
    float inv = 1.0f / *sigma;
    GAN_CUDA_GRID_STRIDE(i, n) w[i] = w_orig[i] * inv;
}

void gan_cuda_spectral_norm_forward(void *ctx, float *w, float *sigma, float *u, float *v,
                                    const float *w_orig, int rows, int cols, bool power_iteration,
                                    float eps) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (rows <= 0 || cols <= 0) return;
    if (power_iteration) {
        sn_columns_kernel<<<(cols + THREADS - 1) / THREADS, THREADS, 0, cu->stream>>>(
            v, w_orig, u, rows, cols);
        GAN_CUDA_LAUNCHED(cu, "sn_columns_kernel");
        sn_normalize_kernel<<<1, RED_THREADS, 0, cu->stream>>>(v, cols, eps, NULL);
        GAN_CUDA_LAUNCHED(cu, "sn_normalize_kernel");
        int warps = THREADS / 32;
        sn_rows_kernel<<<(rows + warps - 1) / warps, THREADS, 0, cu->stream>>>(u, w_orig, v,
                                                                                   rows, cols);
        GAN_CUDA_LAUNCHED(cu, "sn_rows_kernel");
        /* sigma = u_new . (W v) = u_new . u_raw: the normalization sees u_raw */
        sn_normalize_kernel<<<1, RED_THREADS, 0, cu->stream>>>(u, rows, eps, sigma);
        GAN_CUDA_LAUNCHED(cu, "sn_normalize_kernel");
    } else {
        sn_sigma_kernel<<<1, RED_THREADS, 0, cu->stream>>>(sigma, w_orig, u, v, rows, cols);
        GAN_CUDA_LAUNCHED(cu, "sn_sigma_kernel");
    }
    size_t n = (size_t)rows * cols;
    sn_scale_kernel<<<gan_cuda_blocks(cu, n, THREADS), THREADS, 0, cu->stream>>>(w, w_orig,
                                                                                  sigma, n);
    GAN_CUDA_LAUNCHED(cu, "sn_scale_kernel");
}

/* The dot product dw . w in SN_DOT_PARTS pieces: block b sums its contiguous
 * piece in double into part[b]; sn_dot_total_kernel adds the pieces in
 * order (deterministic; one block alone took 0.15 ms on a 512 x 4608 weight). */
#define SN_DOT_PARTS 128
__global__ void __launch_bounds__(RED_THREADS)
    sn_dot_parts_kernel(double *__restrict__ part, const float *__restrict__ dw,
                        const float *__restrict__ w, size_t n) {
    __shared__ double red[RED_THREADS];
    size_t lo = n * blockIdx.x / gridDim.x, hi = n * (blockIdx.x + 1) / gridDim.x;
    double acc = 0.0;
    for (size_t i = lo + threadIdx.x; i < hi; i += RED_THREADS) acc += (double)dw[i] * w[i];
    acc = block_total(acc, red);
    if (threadIdx.x == 0) part[blockIdx.x] = acc;
}

/* *out = (float) the sum of the k parts, in order. */
__global__ void sn_dot_total_kernel(float *__restrict__ out, const double *__restrict__ part,
                                    int k) {
    double t = 0.0;
    for (int b = 0; b < k; b++) t += part[b];
    *out = (float)t;
}

/* dw_orig += (dw - <dw, w> u v^T) / sigma, element (r, j) (n < 2^32: the
 * row by a multiply, gan_fastdiv). */
__global__ void sn_backward_kernel(float *__restrict__ dw_orig, const float *__restrict__ dw,
                                   const float *__restrict__ u, const float *__restrict__ v,
                                   const float *__restrict__ sigma,
                                   const float *__restrict__ dot, gan_fastdiv by_cols,
                                   unsigned n) {
    float inv = 1.0f / *sigma, fdot = *dot;
    GAN_CUDA_GRID_STRIDE_32(i, n) {
        unsigned r = gan_fastdiv_q(by_cols, i), j = i - r * by_cols.d;
        float ur = fdot * u[r];
        dw_orig[i] += (dw[i] - ur * v[j]) * inv;
    }
}

void gan_cuda_spectral_norm_backward(void *ctx, float *dw_orig, const float *dw, const float *w,
                                     const float *u, const float *v, const float *sigma, int rows,
                                     int cols) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (rows <= 0 || cols <= 0) return;
    size_t n = (size_t)rows * cols;
    if (!gan_cuda_fits_u32(cu, n, "spectral_norm_backward")) return;
    float *dot = cu->reduce;
    int parts = (int)GAN_MIN((n + 4 * RED_THREADS - 1) / (4 * RED_THREADS), (size_t)SN_DOT_PARTS);
    sn_dot_parts_kernel<<<parts, RED_THREADS, 0, cu->stream>>>(cu->partials, dw, w, n);
    GAN_CUDA_LAUNCHED(cu, "sn_dot_parts_kernel");
    sn_dot_total_kernel<<<1, 1, 0, cu->stream>>>(dot, cu->partials, parts);
    GAN_CUDA_LAUNCHED(cu, "sn_dot_total_kernel");
    sn_backward_kernel<<<gan_cuda_blocks(cu, n, THREADS), THREADS, 0, cu->stream>>>(
        dw_orig, dw, u, v, sigma, dot, gan_fastdiv_make((unsigned)cols), (unsigned)n);
    GAN_CUDA_LAUNCHED(cu, "sn_backward_kernel");
}

/* ------------------------------------------------------------------ labels */

/* y (N, C + D, P): x's channels, then D label channels constant over P. */
__global__ void label_concat_forward_kernel(float *__restrict__ y, const float *__restrict__ x,
                                            const int32_t *__restrict__ labels,
                                            const float *__restrict__ table, int C, int P,
                                            int n_classes, int D, size_t total) {
    size_t row = (size_t)(C + D) * P;
    GAN_CUDA_GRID_STRIDE(e, total) {
        size_t n = e / row, rest = e % row;
        int ch = (int)(rest / P);
        if (ch < C) {
            y[e] = x[n * C * P + rest];
            continue;
        }
        int k = ch - C, label = labels ? labels[n] : -1;
        bool valid = label >= 0 && label < n_classes;
        y[e] = !valid ? 0.0f : table ? table[(size_t)label * D + k] : (float)(k == label);
    }
}

/* dx (N, C, P) = the first C channels of dy (N, C + D, P). */
__global__ void label_concat_dx_kernel(float *__restrict__ dx, const float *__restrict__ dy,
                                       int C, int D, int P, size_t total) {
    size_t in = (size_t)C * P, out = (size_t)(C + D) * P;
    GAN_CUDA_GRID_STRIDE(e, total) dx[e] = dy[e / in * out + e % in];
}

#define SHARED_CLASSES 1024

/* One block per table column k: each row's plane sum (in q order, as the
 * CPU), added to its class in row order by thread 0. */
__global__ void __launch_bounds__(THREADS)
    label_table_grad_kernel(float *__restrict__ dtable, const float *__restrict__ dy,
                            const int32_t *__restrict__ labels, int N, int C, int P,
                            int n_classes, int D) {
    __shared__ float acc[SHARED_CLASSES];
    __shared__ float part[THREADS];
    __shared__ int lab[THREADS];
    int k = blockIdx.x;
    bool in_shared = n_classes <= SHARED_CLASSES;
    size_t in = (size_t)C * P, out = (size_t)(C + D) * P;
    if (in_shared)
        for (int c = threadIdx.x; c < n_classes; c += THREADS) acc[c] = dtable[(size_t)c * D + k];
    __syncthreads();
    for (int n0 = 0; n0 < N; n0 += THREADS) {
        int n = n0 + threadIdx.x, label = -1;
        float sum = 0.0f;
        if (n < N) {
            label = labels[n];
            if (label >= 0 && label < n_classes) {
                const float *plane = dy + (size_t)n * out + in + (size_t)k * P;
                for (int q = 0; q < P; q++) sum += plane[q];
            }
        }
        part[threadIdx.x] = sum;
        lab[threadIdx.x] = label;
        __syncthreads();
        if (threadIdx.x == 0) {
            int m = N - n0 < THREADS ? N - n0 : THREADS;
            for (int t = 0; t < m; t++) {
                int l = lab[t];
                if (l < 0 || l >= n_classes) continue;
                if (in_shared) acc[l] += part[t];
                else dtable[(size_t)l * D + k] += part[t];
            }
        }
        __syncthreads();
    }
    if (in_shared)
        for (int c = threadIdx.x; c < n_classes; c += THREADS) dtable[(size_t)c * D + k] = acc[c];
}

void gan_cuda_label_concat_forward(void *ctx, float *y, const float *x, const int32_t *labels,
                                   const float *table, int N, int C, int P, int n_classes, int D) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || P <= 0 || C + D <= 0) return;
    size_t total = (size_t)N * (C + D) * P;
    label_concat_forward_kernel<<<gan_cuda_blocks(cu, total, THREADS), THREADS, 0, cu->stream>>>(
        y, x, labels, table, C, P, n_classes, D, total);
    GAN_CUDA_LAUNCHED(cu, "label_concat_forward_kernel");
}

void gan_cuda_label_concat_backward(void *ctx, float *dx, float *dtable, const float *dy,
                                    const int32_t *labels, int N, int C, int P, int n_classes,
                                    int D) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || P <= 0) return;
    size_t total = (size_t)N * C * P;
    if (dx && total) {
        label_concat_dx_kernel<<<gan_cuda_blocks(cu, total, THREADS), THREADS, 0, cu->stream>>>(
            dx, dy, C, D, P, total);
        GAN_CUDA_LAUNCHED(cu, "label_concat_dx_kernel");
    }
    if (!dtable || !labels || D <= 0) return;
    label_table_grad_kernel<<<D, THREADS, 0, cu->stream>>>(dtable, dy, labels, N, C, P,
                                                                n_classes, D);
    GAN_CUDA_LAUNCHED(cu, "label_table_grad_kernel");
}

/* ------------------------------------------------------- the training loop */

/* rows (B, img): image b per y (strided past the grid), pixel i per x. */
__global__ void load_batch_u8_kernel(float *__restrict__ rows, int32_t *__restrict__ labels,
                                     const uint8_t *__restrict__ pixels,
                                     const uint8_t *__restrict__ pixel_labels,
                                     const uint32_t *__restrict__ order,
                                     const int64_t *__restrict__ step, int64_t per_epoch, int K,
                                     int k, int B, unsigned img) {
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= img) return;
    int64_t pos = (*step % per_epoch) * K + k;
    for (int b = blockIdx.y; b < B; b += gridDim.y) {
        uint32_t src = order[pos * B + b];
        float p = (float)pixels[(size_t)src * img + i];
        rows[(size_t)b * img + i] = (p - 127.5f) / 127.5f;
        if (labels && i == 0) labels[b] = (int32_t)pixel_labels[src];
    }
}

__global__ void step_advance_kernel(int64_t *step, uint64_t *stream, uint64_t stream_base,
                                    int64_t *step_b, uint64_t *stream_b,
                                    uint64_t stream_base_b) {
    int64_t s = *step + 1;
    *step = s;
    *stream = stream_base | (uint64_t)s;
    if (!step_b) return;
    s = *step_b + 1;
    *step_b = s;
    *stream_b = stream_base_b | (uint64_t)s;
}

void gan_cuda_load_batch_u8(void *ctx, float *rows, int32_t *labels, const uint8_t *pixels,
                            const uint8_t *pixel_labels, const uint32_t *order,
                            const int64_t *step, int64_t per_epoch, int K, int k, int B,
                            size_t img) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (B <= 0 || img == 0) return;
    if (img >= (1u << 31)) {
        gan_cuda_record(cu, GAN_ERR_UNSUPPORTED, "load_batch_u8", "image too large", __FILE__,
                        __LINE__);
        return;
    }
    dim3 grid((unsigned)((img + THREADS - 1) / THREADS), (unsigned)(B < 65535 ? B : 65535));
    load_batch_u8_kernel<<<grid, THREADS, 0, cu->stream>>>(
        rows, labels, pixels, pixel_labels, order, step, per_epoch, K, k, B, (unsigned)img);
    GAN_CUDA_LAUNCHED(cu, "load_batch_u8_kernel");
}

void gan_cuda_step_advance(void *ctx, int64_t *step, uint64_t *stream, uint64_t stream_base,
                           int64_t *step_b, uint64_t *stream_b, uint64_t stream_base_b) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    step_advance_kernel<<<1, 1, 0, cu->stream>>>(step, stream, stream_base, step_b, stream_b,
                                                 stream_base_b);
    GAN_CUDA_LAUNCHED(cu, "step_advance_kernel");
}
