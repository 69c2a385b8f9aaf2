/*
 * norm2d.cu - per-channel reductions over NCHW tensors x (N, C, P): batch
 * normalization (training forward, inference forward, backward) and the
 * per-channel bias gradient, also through a fused activation (semantics in
 * backend_kernels.def, reference in src/cpu/norm2d.c and src/cpu/conv.c).
 *
 * Channel c's N*P values are cut into S contiguous pieces (S from the shapes
 * only), one block each, so C*S blocks fill the GPU. A block sums its piece
 * in double in a fixed order and writes its partial sum to its own slot of
 * the context's partials; the next kernel adds a channel's S partials in order.
 * So results are deterministic, and the statistics (two-pass: mean, then
 * mean squared deviation) are rounded to float where the CPU rounds them,
 * so they agree with it to rounding. The element-wise parts use the CPU's
 * float expressions. A fused activation (act, backend.h) is one slope `low`
 * for z <= 0 (1 without one: then y = z and dz = dy exactly), and the
 * backward recomputes z from x as the forward formed it. Indices are 32-bit: a channel holds fewer than 2^31
 * values, a tensor fewer than 2^31 per batch of images (checked).
 *
 * These passes are bound by memory: a thread finds its values' offsets with
 * a multiply for the division by P (gan_fastdiv) and has UNROLL of them
 * loaded before it uses the first, in the order of the one-at-a-time loop
 * (so the sums are the same, bit for bit).
 */
#include "cuda_common.cuh"

#define THREADS 256
#define PIECE 4096     /* values per block, roughly */
#define MAX_PIECES 128 /* per channel */
#define UNROLL 4       /* values a thread has in flight */

/* Sum of every thread's `v` in a fixed tree; every thread gets the total. */
__device__ static double block_sum(double v, double *red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (int half = THREADS / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) red[threadIdx.x] += red[threadIdx.x + half];
        __syncthreads();
    }
    double total = red[0];
    __syncthreads(); /* red is reused right after */
    return total;
}

/* The layout of one call: C channels of count = N*P values, S pieces each. */
struct channels {
    unsigned C, P, count, S;
    gan_fastdiv by_P;
};

/* Block (s, c)'s piece [lo, hi) of channel c. */
__device__ static inline void piece(const channels &g, unsigned s, unsigned *lo, unsigned *hi) {
    *lo = (unsigned)((unsigned long long)g.count * s / g.S);
    *hi = (unsigned)((unsigned long long)g.count * (s + 1) / g.S);
}

/* Offset of value e (row e / P, position e % P) of channel c in x (N, C, P). */
__device__ static inline size_t at(const channels &g, unsigned c, unsigned e) {
    unsigned n = gan_fastdiv_q(g.by_P, e), q = e - n * g.P;
    return ((size_t)n * g.C + c) * g.P + q;
}

/* The offsets of a thread's next UNROLL values from e0 on, e0 + u THREADS
 * (in[u]: below hi; an offset past hi is 0, never read). */
__device__ static inline void take(const channels &g, unsigned c, unsigned e0, unsigned hi,
                                   size_t *i, bool *in) {
#pragma unroll
    for (int u = 0; u < UNROLL; u++) {
        unsigned e = e0 + (unsigned)u * THREADS;
        in[u] = e < hi;
        i[u] = in[u] ? at(g, c, e) : 0;
    }
}

/* UNROLL values of p at offsets i (0 where !in). */
__device__ static inline void load(float *v, const float *p, const size_t *i, const bool *in) {
#pragma unroll
    for (int u = 0; u < UNROLL; u++) v[u] = in[u] ? p[i[u]] : 0.0f;
}

/* A thread's walk over its block's piece [lo, hi) of channel c, UNROLL
 * values a turn: body(i, in) with their offsets (in[u]: below hi). */
template <typename Body>
__device__ static inline void walk_piece(const channels &g, unsigned c, unsigned lo, unsigned hi,
                                         Body body) {
    for (unsigned e0 = lo + threadIdx.x; e0 < hi; e0 += UNROLL * THREADS) {
        size_t i[UNROLL];
        bool in[UNROLL];
        take(g, c, e0, hi, i, in);
        body(i, in);
    }
}

/* The sum of channel c's S partials (slots c S ... c S + S - 1), in order. */
__device__ static double channel_total(const double *part, const channels &g, unsigned c) {
    double t = 0.0;
    for (unsigned s = 0; s < g.S; s++) t += part[(size_t)c * g.S + s];
    return t;
}

/* channel_total, formed by thread 0 and given to the whole block. */
__device__ static double block_channel_total(const double *part, const channels &g, unsigned c) {
    __shared__ double total;
    if (threadIdx.x == 0) total = channel_total(part, g, c);
    __syncthreads();
    double t = total;
    __syncthreads();
    return t;
}

/* The slope for z <= 0 of a fused activation (1: none). */
static inline float act_low(gan_act act) {
    return act.on ? act.slope : 1.0f;
}

/* ------------------------------------------------------------- kernels */

/* part0 = sums of x; with part1 (second pass) = sums of (x - mean)^2, the
 * mean taken from part0. */
__global__ void __launch_bounds__(THREADS)
    bn2d_sums_kernel(double *__restrict__ part_out, const double *__restrict__ part_mean,
                     const float *__restrict__ x, channels g, double inv_count) {
    __shared__ double red[THREADS];
    unsigned s = blockIdx.x, c = blockIdx.y, lo, hi;
    piece(g, s, &lo, &hi);
    double acc = 0.0;
    float mu = part_mean ? (float)(block_channel_total(part_mean, g, c) * inv_count) : 0.0f;
    walk_piece(g, c, lo, hi, [&](const size_t *i, const bool *in) {
        float v[UNROLL];
        load(v, x, i, in);
#pragma unroll
        for (int u = 0; u < UNROLL; u++) {
            if (!in[u]) continue;
            if (!part_mean) {
                acc += v[u];
            } else {
                float d = v[u] - mu;
                acc += d * d;
            }
        }
    });
    double total = block_sum(acc, red);
    if (threadIdx.x == 0) part_out[(size_t)c * g.S + s] = total;
}

__global__ void __launch_bounds__(THREADS)
    bn2d_apply_kernel(float *__restrict__ y, float *__restrict__ mean, float *__restrict__ rstd,
                      float *__restrict__ running_mean, float *__restrict__ running_var,
                      const float *__restrict__ x, const float *__restrict__ gamma,
                      const float *__restrict__ beta, const double *__restrict__ part0,
                      const double *__restrict__ part1, channels g, double inv_count,
                      float momentum, float eps, float low) {
    unsigned s = blockIdx.x, c = blockIdx.y, lo, hi;
    piece(g, s, &lo, &hi);
    float mu = (float)(block_channel_total(part0, g, c) * inv_count);
    float var = (float)(block_channel_total(part1, g, c) * inv_count);
    float r = 1.0f / sqrtf(var + eps);
    if (s == 0 && threadIdx.x == 0) {
        mean[c] = mu;
        rstd[c] = r;
        running_mean[c] = momentum * running_mean[c] + (1.0f - momentum) * mu;
        running_var[c] = momentum * running_var[c] + (1.0f - momentum) * var;
    }
    float scale = (gamma ? gamma[c] : 1.0f) * r, shift = beta ? beta[c] : 0.0f;
    walk_piece(g, c, lo, hi, [&](const size_t *i, const bool *in) {
        float v[UNROLL];
        load(v, x, i, in);
#pragma unroll
        for (int u = 0; u < UNROLL; u++) {
            float z = (v[u] - mu) * scale + shift;
            if (in[u]) y[i[u]] = z > 0.0f ? z : low * z;
        }
    });
}

__global__ void bn2d_forward_infer_kernel(float *__restrict__ y, const float *__restrict__ x,
                                          const float *__restrict__ running_mean,
                                          const float *__restrict__ running_var,
                                          const float *__restrict__ gamma,
                                          const float *__restrict__ beta, float eps, float low,
                                          unsigned total, gan_fastdiv by_P,
                                          gan_fastdiv by_C) {
    GAN_CUDA_GRID_STRIDE_32(i, total) {
        unsigned c = gan_fastdiv_mod(by_C, gan_fastdiv_q(by_P, i));
        float scale = (gamma ? gamma[c] : 1.0f) / sqrtf(running_var[c] + eps);
        float z = (x[i] - running_mean[c]) * scale + (beta ? beta[c] : 0.0f);
        y[i] = z > 0.0f ? z : low * z;
    }
}

/* The affine of a channel's normalisation, z = (x - mean) scale + shift
 * (shift only matters with a fused activation: it decides z's sign). */
__device__ static inline void affine(const float *gamma, const float *beta, const float *rstd,
                                     unsigned c, float low, float *scale, float *shift) {
    *scale = (gamma ? gamma[c] : 1.0f) * rstd[c];
    *shift = beta && low != 1.0f ? beta[c] : 0.0f;
}

/* At the UNROLL offsets i: x's values, and dz = dy through the fused
 * activation of z = (x - mu) scale + shift (slope low for z <= 0). */
__device__ static inline void load_through_act(float *xv, float *dz, const float *x,
                                               const float *dy, const size_t *i, const bool *in,
                                               float mu, float scale, float shift, float low) {
    float dv[UNROLL];
    load(xv, x, i, in);
    load(dv, dy, i, in);
#pragma unroll
    for (int u = 0; u < UNROLL; u++)
        dz[u] = (xv[u] - mu) * scale + shift > 0.0f ? dv[u] : low * dv[u];
}

/* part0 = sums of dz, part1 = sums of dz * xhat (per piece); dz = dy
 * through the fused activation (slope low for z <= 0). */
__global__ void __launch_bounds__(THREADS)
    bn2d_backward_sums_kernel(double *__restrict__ part0, double *__restrict__ part1,
                              const float *__restrict__ dy, const float *__restrict__ x,
                              const float *__restrict__ mean, const float *__restrict__ rstd,
                              const float *__restrict__ gamma, const float *__restrict__ beta,
                              channels g, float low) {
    __shared__ double red[THREADS];
    unsigned s = blockIdx.x, c = blockIdx.y, lo, hi;
    piece(g, s, &lo, &hi);
    float mu = mean[c], r = rstd[c], scale, shift;
    affine(gamma, beta, rstd, c, low, &scale, &shift);
    double a = 0.0, b = 0.0;
    walk_piece(g, c, lo, hi, [&](const size_t *i, const bool *in) {
        float xv[UNROLL], d[UNROLL];
        load_through_act(xv, d, x, dy, i, in, mu, scale, shift, low);
#pragma unroll
        for (int u = 0; u < UNROLL; u++) {
            if (!in[u]) continue;
            a += d[u];
            b += d[u] * (xv[u] - mu) * r;
        }
    });
    double sa = block_sum(a, red), sb = block_sum(b, red);
    if (threadIdx.x == 0) {
        part0[(size_t)c * g.S + s] = sa;
        part1[(size_t)c * g.S + s] = sb;
    }
}

__global__ void __launch_bounds__(THREADS)
    bn2d_backward_apply_kernel(float *__restrict__ dx, float *__restrict__ dgamma,
                               float *__restrict__ dbeta, const float *__restrict__ dy,
                               const float *__restrict__ x, const float *__restrict__ mean,
                               const float *__restrict__ rstd, const float *__restrict__ gamma,
                               const float *__restrict__ beta, const double *__restrict__ part0,
                               const double *__restrict__ part1, channels g, float low) {
    unsigned s = blockIdx.x, c = blockIdx.y, lo, hi;
    piece(g, s, &lo, &hi);
    double sdy = block_channel_total(part0, g, c), sdyx = block_channel_total(part1, g, c);
    if (s == 0 && threadIdx.x == 0) {
        if (dbeta) dbeta[c] += (float)sdy;
        if (dgamma) dgamma[c] += (float)sdyx;
    }
    if (!dx) return;
    float mu = mean[c], r = rstd[c];
    float inv_count = (float)(1.0 / (double)g.count);
    float mdy = (float)sdy * inv_count, mdyx = (float)sdyx * inv_count, scale, shift;
    affine(gamma, beta, rstd, c, low, &scale, &shift);
    walk_piece(g, c, lo, hi, [&](const size_t *i, const bool *in) {
        float xv[UNROLL], d[UNROLL];
        load_through_act(xv, d, x, dy, i, in, mu, scale, shift, low);
#pragma unroll
        for (int u = 0; u < UNROLL; u++)
            if (in[u]) dx[i[u]] = scale * (d[u] - mdy - (xv[u] - mu) * r * mdyx);
    });
}

/* part0 = sums of dy per piece. */
__global__ void __launch_bounds__(THREADS)
    channel_sums_kernel(double *__restrict__ part0, const float *__restrict__ dy, channels g) {
    __shared__ double red[THREADS];
    unsigned s = blockIdx.x, c = blockIdx.y, lo, hi;
    piece(g, s, &lo, &hi);
    double acc = 0.0;
    walk_piece(g, c, lo, hi, [&](const size_t *i, const bool *in) {
        float v[UNROLL];
        load(v, dy, i, in);
#pragma unroll
        for (int u = 0; u < UNROLL; u++)
            if (in[u]) acc += v[u];
    });
    double total = block_sum(acc, red);
    if (threadIdx.x == 0) part0[(size_t)c * g.S + s] = total;
}

/* channel_sums_kernel over dz = dy act'(y), written on the way (low: the
 * slope for y <= 0; tanh: 1 - y^2), as bias_act_backward forms it. */
__global__ void channel_act_sums_kernel(double *__restrict__ part0, float *dz,
                                        const float *__restrict__ dy, const float *y, channels g,
                                        float low, bool tanh) { /* dz may be y */
    __shared__ double red[THREADS];
    unsigned s = blockIdx.x, c = blockIdx.y, lo, hi;
    piece(g, s, &lo, &hi);
    double acc = 0.0;
    walk_piece(g, c, lo, hi, [&](const size_t *i, const bool *in) {
        float yv[UNROLL], dv[UNROLL];
        load(yv, y, i, in); /* all read before any dz is written: dz may be y */
        load(dv, dy, i, in);
#pragma unroll
        for (int u = 0; u < UNROLL; u++) {
            if (!in[u]) continue;
            float v = yv[u], d = tanh ? dv[u] * (1.0f - v * v) : v > 0.0f ? dv[u] : low * dv[u];
            dz[i[u]] = d;
            acc += d;
        }
    });
    double total = block_sum(acc, red);
    if (threadIdx.x == 0) part0[(size_t)c * g.S + s] = total;
}

/* db[c] += the channel's total (one thread per channel). */
__global__ void channel_bias_add_kernel(float *__restrict__ db, const double *__restrict__ part0,
                                        channels g) {
    unsigned c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c < g.C) db[c] += (float)channel_total(part0, g, c);
}

/* ---------------------------------------------------------------- calls */

/* The pieces of a call, or false (with the error recorded) when the sizes
 * do not fit 32-bit indices. part0 and part1 are halves of the context's partials. */
static bool plan(gan_cuda_ctx *cu, int N, int C, int P, channels *g, double **part0,
                 double **part1) {
    unsigned long long count = (unsigned long long)N * (unsigned long long)P;
    if (count >= (1ull << 31) || (unsigned long long)N * C * P >= (1ull << 32) ||
        (size_t)C > GAN_CUDA_PARTIALS / 2) {
        gan_cuda_record(cu, GAN_ERR_UNSUPPORTED, "a channel reduction", "tensor too large",
                        __FILE__, __LINE__);
        return false;
    }
    unsigned S = (unsigned)((count + PIECE - 1) / PIECE);
    unsigned most = (unsigned)(GAN_CUDA_PARTIALS / 2 / (size_t)C);
    if (S > MAX_PIECES) S = MAX_PIECES;
    if (S > most) S = most;
    if (S < 1) S = 1;
    *g = channels{(unsigned)C, (unsigned)P, (unsigned)count, S, gan_fastdiv_make((unsigned)P)};
    *part0 = cu->partials;
    *part1 = cu->partials + GAN_CUDA_PARTIALS / 2;
    return true;
}

void gan_cuda_batchnorm2d_forward_train(void *ctx, float *y, float *mean, float *rstd,
                                        float *running_mean, float *running_var, const float *x,
                                        const float *gamma, const float *beta, int N, int C, int P,
                                        float momentum, float eps, gan_act act) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || C <= 0 || P <= 0) return;
    channels g;
    double *part0, *part1;
    if (!plan(cu, N, C, P, &g, &part0, &part1)) return;
    dim3 grid(g.S, g.C);
    double inv_count = 1.0 / (double)g.count;
    bn2d_sums_kernel<<<grid, THREADS, 0, cu->stream>>>(part0, NULL, x, g, inv_count);
    GAN_CUDA_LAUNCHED(cu, "bn2d_sums_kernel");
    bn2d_sums_kernel<<<grid, THREADS, 0, cu->stream>>>(part1, part0, x, g, inv_count);
    GAN_CUDA_LAUNCHED(cu, "bn2d_sums_kernel");
    bn2d_apply_kernel<<<grid, THREADS, 0, cu->stream>>>(y, mean, rstd, running_mean,
                                                             running_var, x, gamma, beta, part0,
                                                             part1, g, inv_count, momentum, eps,
                                                             act_low(act));
    GAN_CUDA_LAUNCHED(cu, "bn2d_apply_kernel");
}

void gan_cuda_batchnorm2d_forward_infer(void *ctx, float *y, const float *x,
                                        const float *running_mean, const float *running_var,
                                        const float *gamma, const float *beta, int N, int C, int P,
                                        float eps, gan_act act) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || C <= 0 || P <= 0) return;
    size_t total = (size_t)N * C * P;
    if (total >= (1ull << 32)) {
        gan_cuda_record(cu, GAN_ERR_UNSUPPORTED, "batchnorm2d", "tensor too large", __FILE__,
                        __LINE__);
        return;
    }
    bn2d_forward_infer_kernel<<<gan_cuda_blocks(cu, total, THREADS), THREADS, 0, cu->stream>>>(
        y, x, running_mean, running_var, gamma, beta, eps, act_low(act), (unsigned)total,
        gan_fastdiv_make((unsigned)P), gan_fastdiv_make((unsigned)C));
    GAN_CUDA_LAUNCHED(cu, "bn2d_forward_infer_kernel");
}

void gan_cuda_batchnorm2d_backward(void *ctx, float *dx, float *dgamma, float *dbeta,
                                   const float *dy, const float *x, const float *mean,
                                   const float *rstd, const float *gamma, const float *beta, int N,
                                   int C, int P, gan_act act) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || C <= 0 || P <= 0) return;
    channels g;
    double *part0, *part1;
    if (!plan(cu, N, C, P, &g, &part0, &part1)) return;
    dim3 grid(g.S, g.C);
    float low = act_low(act);
    bn2d_backward_sums_kernel<<<grid, THREADS, 0, cu->stream>>>(part0, part1, dy, x, mean,
                                                                     rstd, gamma, beta, g, low);
    GAN_CUDA_LAUNCHED(cu, "bn2d_backward_sums_kernel");
    bn2d_backward_apply_kernel<<<grid, THREADS, 0, cu->stream>>>(
        dx, dgamma, dbeta, dy, x, mean, rstd, gamma, beta, part0, part1, g, low);
    GAN_CUDA_LAUNCHED(cu, "bn2d_backward_apply_kernel");
}

void gan_cuda_channel_bias_backward(void *ctx, float *db, const float *dy, int N, int C, int P) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || C <= 0 || P <= 0) return;
    channels g;
    double *part0, *part1;
    if (!plan(cu, N, C, P, &g, &part0, &part1)) return;
    channel_sums_kernel<<<dim3(g.S, g.C), THREADS, 0, cu->stream>>>(part0, dy, g);
    GAN_CUDA_LAUNCHED(cu, "channel_sums_kernel");
    channel_bias_add_kernel<<<(g.C + THREADS - 1) / THREADS, THREADS, 0, cu->stream>>>(
        db, part0, g);
    GAN_CUDA_LAUNCHED(cu, "channel_bias_add_kernel");
}

void gan_cuda_channel_bias_act_backward(void *ctx, float *dz, float *db, const float *dy,
                                        const float *y, int N, int C, int P, gan_act act) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (N <= 0 || C <= 0 || P <= 0) return;
    channels g;
    double *part0, *part1;
    if (!plan(cu, N, C, P, &g, &part0, &part1)) return;
    channel_act_sums_kernel<<<dim3(g.S, g.C), THREADS, 0, cu->stream>>>(
        part0, dz, dy, y, g, act.on && !act.tanh ? act.slope : 1.0f, act.on && act.tanh);
    GAN_CUDA_LAUNCHED(cu, "channel_act_sums_kernel");
    if (!db) return; /* dz alone */
    channel_bias_add_kernel<<<(g.C + THREADS - 1) / THREADS, THREADS, 0, cu->stream>>>(
        db, part0, g);
    GAN_CUDA_LAUNCHED(cu, "channel_bias_add_kernel");
}
