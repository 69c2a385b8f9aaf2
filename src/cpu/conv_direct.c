/*
 * conv_direct.c - direct 2-D convolution kernels for the CPU
 * backend (AVX-512 builds): the forward pass, the gradient with respect to
 * the input ("backward data") and the gradient with respect to the weights,
 * without im2col's column matrix. A conv_transpose2d is the same three
 * kernels with the roles of input and output swapped (backend_kernels.def).
 *
 * Notation: x (N, C, H, W) the convolution's input, y / dy (N, Cout, OH, OW)
 * its output, w (Cout, C, k, k), stride s, padding p; output (oh, ow) sees
 * input (oh s - p + i, ow s - p + j) through tap (i, j).
 *
 * Method: vectorize over channels (16 per zmm register) and keep a register
 * tile of R positions x V vectors of channels (R V <= 28 accumulators); the
 * other operand is broadcast from memory. The operands are first copied into
 * layouts that make every access in the inner loops a constant offset:
 * weights with the vectorized channel innermost, images with zero borders
 * (so no tap needs a bounds check), dy with the channel innermost (for the
 * weight gradient). The copies are O(size of the tensors); the products are
 * O(size x channels x taps).
 *
 * Each output element is one accumulator of one thread, summed in an order
 * fixed by the shapes (forward: i, j, then c; backward data: i, j, then co;
 * weights: n, oh, ow), so results do not depend on the thread count.
 *
 * Work buffers (one set per calling thread) are kept between calls and grow
 * on first use of a larger shape; when one cannot be allocated, a plain loop
 * computes the same sums.
 */
#include "cpu_common.h"
#include "simd.h"

#include <stdlib.h>
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#include <omp.h>

/* GCC's predictive commoning reuses the broadcasts of one tap in the next
 * (unrolling the tap loop), which spills the 28 accumulators: keep it off. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-predictive-commoning")
#endif

/* A vector loaded once and used by several FMAs: keep the compiler from
 * folding the load into each of them (one load per FMA is load-bound). */
#if defined(__GNUC__)
#define KEEP_IN_REGISTER(v) __asm__("" : "+v"(v))
#else
#define KEEP_IN_REGISTER(v) ((void)0)
#endif

/* ---- work buffers ---- */

typedef struct work_buf {
    float *p;
    size_t cap; /* floats */
} work_buf;

/* one set per calling thread (separate host threads may convolve at once) */
static _Thread_local work_buf buf_img, buf_w, buf_aux;

static float *work(work_buf *b, size_t n) {
    if (n > b->cap) {
        free(b->p);
        b->p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
        b->cap = b->p ? n : 0;
    }
    return b->p;
}

/* zmm vectors per register tile, positions per tile: V R <= 28 */
static int pick_v(int channels) {
    return channels > 32 ? 4 : channels > 16 ? 2 : 1;
}

/* Copy x (N, C, H, W) into (N, C, Hp, Wp) with `top` rows and `left` columns of
 * zeros before it and zeros after it (rows and columns of x that fall outside
 * are dropped). */
static void pad_images(float *restrict out, const float *restrict x, int N, int C, int H, int W,
                       int Hp, int Wp, int top, int left) {
    /* columns q of a padded row hold x's column q - left where that exists */
    int q0 = left > 0 ? left : 0, q1 = W + left < Wp ? W + left : Wp;
#pragma omp parallel for schedule(static) if ((size_t)N * C * Hp * Wp > 32768)
    for (int nc = 0; nc < N * C; nc++) {
        float *restrict o = out + (size_t)nc * Hp * Wp;
        const float *restrict src = x + (size_t)nc * H * W;
        for (int r = 0; r < Hp; r++) {
            float *restrict row = o + (size_t)r * Wp;
            int ih = r - top;
            if (ih < 0 || ih >= H) {
                for (int q = 0; q < Wp; q++) row[q] = 0.0f;
                continue;
            }
            const float *restrict in = src + (size_t)ih * W - left;
            for (int q = 0; q < q0; q++) row[q] = 0.0f;
            for (int q = q0; q < q1; q++) row[q] = in[q];
            for (int q = q1 > q0 ? q1 : q0; q < Wp; q++) row[q] = 0.0f;
        }
    }
}

/* The register tile of the kernels below: acc[R][V], R output columns x V
 * zmm (16 channels each). TILE_FMA is one input channel's step:
 * acc[q][v] += x[q xs] * w[16 v .. 16 v + 15] for every q and v. */
#define TILE_ZERO(acc, R, V)                                                                   \
    _Pragma("GCC unroll 28") for (int q = 0; q < R; q++)                                       \
        _Pragma("GCC unroll 4") for (int v = 0; v < V; v++) acc[q][v] = _mm512_setzero_ps()

#define TILE_FMA(acc, R, V, w, x, xs)                                                          \
    do {                                                                                       \
        __m512 wv[V];                                                                          \
        _Pragma("GCC unroll 4") for (int v = 0; v < V; v++) {                                  \
            wv[v] = _mm512_load_ps((w) + 16 * v);                                              \
            KEEP_IN_REGISTER(wv[v]);                                                           \
        }                                                                                      \
        _Pragma("GCC unroll 28") for (int q = 0; q < R; q++) {                                 \
            __m512 xb = _mm512_set1_ps((x)[q * (xs)]);                                         \
            _Pragma("GCC unroll 4") for (int v = 0; v < V; v++)                                \
                acc[q][v] = _mm512_fmadd_ps(xb, wv[v], acc[q][v]);                             \
        }                                                                                      \
    } while (0)

#define TILE_STORE(tmp, acc, R, V)                                                             \
    _Pragma("GCC unroll 28") for (int q = 0; q < R; q++)                                       \
        _Pragma("GCC unroll 4") for (int v = 0; v < V; v++)                                    \
            _mm512_store_ps((tmp) + (size_t)(q * V + v) * 16, acc[q][v])

/* ------------------------------------------------------------------ forward */

/* y (N, Cout, OH, OW) = conv(x) + b. Tile: output row oh, R consecutive ow,
 * V zmm of output channels; weights wk[(c k + i) k + j][co] (co_pad per tap). */
#define FWD_KERNEL(NAME, R, V, STRIDE)                                                          \
    static void NAME(float *restrict tmp, const float *xr0, size_t plane, int Wp,               \
                     const float *wk, int co_pad, int C, int k, int s, int i0, int i1) {        \
        (void)s;                                                                               \
        __m512 acc[R][V];                                                                      \
        TILE_ZERO(acc, R, V);                                                                  \
        _Pragma("GCC unroll 1") for (int i = i0; i < i1; i++) {                                \
            _Pragma("GCC unroll 1") for (int j = 0; j < k; j++) {                              \
                const float *xr = xr0 + (size_t)i * Wp + j;                                    \
                const float *wr = wk + (size_t)(i * k + j) * co_pad;                           \
                _Pragma("GCC unroll 1") for (int c = 0; c < C; c++) {                          \
                    TILE_FMA(acc, R, V, wr, xr, STRIDE);                                       \
                    xr += plane;                                                               \
                    wr += (size_t)k * k * co_pad;                                              \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
        TILE_STORE(tmp, acc, R, V);                                                            \
    }

FWD_KERNEL(fwd_7x4_s1, 7, 4, 1)
FWD_KERNEL(fwd_7x4_s2, 7, 4, 2)
FWD_KERNEL(fwd_7x4_sn, 7, 4, s)
FWD_KERNEL(fwd_14x2_s1, 14, 2, 1)
FWD_KERNEL(fwd_14x2_s2, 14, 2, 2)
FWD_KERNEL(fwd_14x2_sn, 14, 2, s)
FWD_KERNEL(fwd_28x1_s1, 28, 1, 1)
FWD_KERNEL(fwd_28x1_s2, 28, 1, 2)
FWD_KERNEL(fwd_28x1_sn, 28, 1, s)

typedef void (*fwd_fn)(float *, const float *, size_t, int, const float *, int, int, int, int,
                       int, int);

static fwd_fn pick_fwd(int V, int s) {
    static const fwd_fn table[3][3] = {{fwd_28x1_s1, fwd_28x1_s2, fwd_28x1_sn},
                                       {fwd_14x2_s1, fwd_14x2_s2, fwd_14x2_sn},
                                       {fwd_7x4_s1, fwd_7x4_s2, fwd_7x4_sn}};
    return table[V == 4 ? 2 : V - 1][s == 1 ? 0 : s == 2 ? 1 : 2];
}

static bool conv_forward_avx(float *y, const float *x, const float *w, const float *b, int N,
                             const gan_conv_shape *cs, int Cout) {
    int C = cs->C, H = cs->H, W = cs->W, k = cs->k, s = cs->s, p = cs->p;
    int OH = cs->OH, OW = cs->OW, kk = k * k;
    int V = pick_v(Cout), R = 28 / V, lanes = 16 * V;
    int co_blocks = (Cout + lanes - 1) / lanes, co_pad = co_blocks * lanes;
    int ow_tiles = (OW + R - 1) / R;
    int Hp = (OH - 1) * s + k, Wp = (ow_tiles * R - 1) * s + k;
    float *xp = work(&buf_img, (size_t)N * C * Hp * Wp);
    float *wk = work(&buf_w, (size_t)C * kk * co_pad);
    if (!xp || !wk) return false;
    pad_images(xp, x, N, C, H, W, Hp, Wp, p, p);
    /* wk[(c k + i) k + j][co] = w[co][c][i][j], zero for co >= Cout; 16 taps a job */
    int tap_blocks = (C * kk + 15) / 16;
#pragma omp parallel for schedule(static) if ((size_t)C * kk * co_pad > 32768)
    for (int tb = 0; tb < tap_blocks; tb++) {
        int t0 = 16 * tb, nt = C * kk - t0 < 16 ? C * kk - t0 : 16;
        gan_simd_transpose(wk + (size_t)t0 * co_pad, co_pad, w + t0, C * kk, Cout, nt);
        if (co_pad > Cout)
            for (int t = t0; t < t0 + nt; t++)
                memset(wk + (size_t)t * co_pad + Cout, 0, (size_t)(co_pad - Cout) * sizeof *wk);
    }
    fwd_fn kernel = pick_fwd(V, s);
    size_t plane = (size_t)Hp * Wp;
    int tiles = co_blocks * N * OH * ow_tiles;
#pragma omp parallel for schedule(static)
    for (int tile = 0; tile < tiles; tile++) {
        /* channel blocks fastest: they share the rows of x just read */
        int t = tile, cb = t % co_blocks;
        t /= co_blocks;
        int owt = t % ow_tiles;
        t /= ow_tiles;
        int oh = t % OH, n = t / OH;
        int ow0 = owt * R, co0 = cb * lanes;
        _Alignas(64) float tmp[28 * 16];
        const float *xr0 = xp + (size_t)n * C * plane + (size_t)oh * s * Wp + (size_t)ow0 * s;
        /* kernel rows that fall in the padding add exact zeros: skip them */
        int i0 = p - oh * s > 0 ? p - oh * s : 0, i1 = H + p - oh * s < k ? H + p - oh * s : k;
        kernel(tmp, xr0, plane, Wp, wk + co0, co_pad, C, k, s, i0, i1);
        int rq = OW - ow0 < R ? OW - ow0 : R;
        /* tmp (R, lanes) plus bias, transposed into rows of y, 16 channels at a time */
        for (int v = 0; v < V && co0 + 16 * v < Cout; v++) {
            int c = co0 + 16 * v, nc = Cout - c < 16 ? Cout - c : 16;
            if (b) {
                __m512 bv = _mm512_maskz_loadu_ps(gan_simd_lanes(nc), b + c);
                for (int q = 0; q < rq; q++) {
                    float *row = tmp + (size_t)q * lanes + 16 * v;
                    _mm512_store_ps(row, _mm512_add_ps(_mm512_load_ps(row), bv));
                }
            }
            gan_simd_transpose(y + (((size_t)n * Cout + c) * OH + oh) * OW + ow0, OH * OW,
                               tmp + 16 * v, lanes, rq, nc);
        }
    }
    return true;
}

/* ------------------------------------------------------------ backward data */

/* dx (N, C, H, W) = sum over co, i, j of w[co][c][i][j] dy[n][co][oh][ow]
 * with oh s - p + i = ih, ow s - p + j = iw. Input positions iw = rw + s m of
 * one residue rw share their taps j = jr + s b and read consecutive ow, so a
 * tile is: input row ih, residue rw, R consecutive m, V zmm of input
 * channels; wq[(co k + i) k + j][c] (c_pad per tap); dy copied with zero
 * columns around each row (dyp rows of OWp, `left` zeros first). */
#define BWD_DATA_KERNEL(NAME, R, V)                                                             \
    static void NAME(float *restrict tmp, const float *dyp, size_t plane, int OWp, int OH,     \
                     const float *wq, int c_pad, int Cout, int k, int s, int ir, int jr,        \
                     int u, int col0) {                                                         \
        __m512 acc[R][V];                                                                      \
        TILE_ZERO(acc, R, V);                                                                  \
        _Pragma("GCC unroll 1") for (int i = ir; i < k; i += s) {                              \
            int oh = (u - i) / s; /* u = ih + p; u - i is a multiple of s */                  \
            if (u - i < 0 || oh >= OH) continue;                                               \
            _Pragma("GCC unroll 1") for (int j = jr; j < k; j += s) {                          \
                const float *src = dyp + (size_t)oh * OWp + col0 - (j - jr) / s;               \
                const float *wr = wq + (size_t)(i * k + j) * c_pad;                            \
                _Pragma("GCC unroll 1") for (int co = 0; co < Cout; co++) {                    \
                    TILE_FMA(acc, R, V, wr, src, 1);                                           \
                    src += plane;                                                              \
                    wr += (size_t)k * k * c_pad;                                               \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
        TILE_STORE(tmp, acc, R, V);                                                            \
    }

BWD_DATA_KERNEL(bwd_data_7x4, 7, 4)
BWD_DATA_KERNEL(bwd_data_14x2, 14, 2)
BWD_DATA_KERNEL(bwd_data_28x1, 28, 1)

typedef void (*bwd_data_fn)(float *, const float *, size_t, int, int, const float *, int, int,
                            int, int, int, int, int, int);

/* Few input channels (a zmm of channels would be mostly empty): the product
 * dcols (C k k, N OH OW) = w^T dy by the gemm, then col2im. */
static bool conv_backward_data_narrow(float *dx, const float *dy, const float *w, int N,
                                      const gan_conv_shape *cs, int Cout) {
    int K = cs->C * cs->k * cs->k, P = cs->OH * cs->OW;
    size_t L = (size_t)N * P;
    float *dt = work(&buf_img, (size_t)Cout * L), *dcols = work(&buf_aux, (size_t)K * L);
    if (!dt || !dcols || L > 0x7fffffff) return false;
    gan_cpu_nchw_to_cmajor(NULL, dt, dy, N, Cout, P);
    gan_cpu_gemm(NULL, true, false, K, (int)L, Cout, 1.0f, w, K, dt, (int)L, 0.0f, dcols, (int)L);
    gan_cpu_col2im(NULL, dx, dcols, N, cs);
    return true;
}

static bool conv_backward_data_avx(float *dx, const float *dy, const float *w, int N,
                                   const gan_conv_shape *cs, int Cout) {
    int C = cs->C, H = cs->H, W = cs->W, k = cs->k, s = cs->s, p = cs->p;
    int OH = cs->OH, OW = cs->OW, kk = k * k;
    if (C < 8) return conv_backward_data_narrow(dx, dy, w, N, cs, Cout);
    int V = pick_v(C), R = 28 / V, lanes = 16 * V;
    int c_blocks = (C + lanes - 1) / lanes, c_pad = c_blocks * lanes;
    int Mw = (W + s - 1) / s, m_tiles = (Mw + R - 1) / R; /* positions per residue (most) */
    /* dy columns read: ow = (rw + p - j) / s + m, from -(k - 1) / s - 1 up to
     * (s - 1 + p) / s + m_tiles R */
    int left = (k - 1) / s + 1;
    int OWp = left + (s - 1 + p) / s + m_tiles * R + 1;
    if (OWp < left + OW) OWp = left + OW;
    float *dyp = work(&buf_img, (size_t)N * Cout * OH * OWp);
    float *wq = work(&buf_w, (size_t)Cout * kk * c_pad);
    if (!dyp || !wq) return false;
    pad_images(dyp, dy, N, Cout, OH, OW, OH, OWp, 0, left);
    /* wq[(co k + i) k + j][c] = w[co][c][i][j], zero for c >= C */
#pragma omp parallel for schedule(static) if ((size_t)Cout * kk * c_pad > 32768)
    for (int co = 0; co < Cout; co++) {
        float *o = wq + (size_t)co * kk * c_pad;
        gan_simd_transpose(o, c_pad, w + (size_t)co * C * kk, kk, C, kk);
        if (c_pad > C)
            for (int t = 0; t < kk; t++)
                memset(o + (size_t)t * c_pad + C, 0, (size_t)(c_pad - C) * sizeof *o);
    }
    bwd_data_fn kernel = V == 4 ? bwd_data_7x4 : V == 2 ? bwd_data_14x2 : bwd_data_28x1;
    size_t plane = (size_t)OH * OWp;
    if (s == 2 && m_tiles == 1 && W <= 16) {
        /* both residues of a row in one task: two tiles, transposed and
         * interleaved in registers, then whole rows of dx stored */
        const __m512i inter = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1,
                                               16, 0);
        int tasks = c_blocks * N * H;
#pragma omp parallel for schedule(static)
        for (int task = 0; task < tasks; task++) {
            int cb = task % c_blocks, ih = task / c_blocks % H, n = task / c_blocks / H;
            int c0 = cb * lanes, u = ih + p, ir = u % 2;
            _Alignas(64) float tmp[2][28 * 16];
            for (int rw = 0; rw < 2; rw++) {
                int jr = (rw + p) % 2;
                kernel(tmp[rw], dyp + (size_t)n * Cout * plane, plane, OWp, OH, wq + c0, c_pad,
                       Cout, k, 2, ir, jr, u, left + (rw + p - jr) / 2);
            }
            for (int v = 0; v < V && c0 + 16 * v < C; v++) {
                int c = c0 + 16 * v, nc = C - c < 16 ? C - c : 16;
                __m512 e[16], o[16];
                for (int q = 0; q < 16; q++) {
                    e[q] = q < R ? _mm512_load_ps(tmp[0] + (size_t)q * lanes + 16 * v)
                                 : _mm512_setzero_ps();
                    o[q] = q < R ? _mm512_load_ps(tmp[1] + (size_t)q * lanes + 16 * v)
                                 : _mm512_setzero_ps();
                }
                gan_simd_transpose16(e);
                gan_simd_transpose16(o);
                __mmask16 m = gan_simd_lanes(W);
                for (int q = 0; q < nc; q++)
                    _mm512_mask_storeu_ps(dx + (((size_t)n * C + c + q) * H + ih) * W, m,
                                          _mm512_permutex2var_ps(e[q], inter, o[q]));
            }
        }
        return true;
    }
    int tiles = c_blocks * N * H * s * m_tiles;
#pragma omp parallel for schedule(static)
    for (int tile = 0; tile < tiles; tile++) {
        /* channel blocks fastest: they share the rows of dy just read */
        int t = tile, cb = t % c_blocks;
        t /= c_blocks;
        int mt = t % m_tiles;
        t /= m_tiles;
        int rw = t % s;
        t /= s;
        int ih = t % H, n = t / H;
        int c0 = cb * lanes, m0 = mt * R;
        int count = (W - rw + s - 1) / s; /* positions of residue rw */
        _Alignas(64) float tmp[28 * 16];
        int u = ih + p, ir = u % s, jr = (rw + p) % s;
        /* column of dyp for m = m0 and j = jr */
        int col0 = left + (rw + p - jr) / s + m0;
        kernel(tmp, dyp + (size_t)n * Cout * plane, plane, OWp, OH, wq + c0, c_pad, Cout, k, s,
               ir, jr, u, col0);
        int rq = count - m0 < R ? count - m0 : R, rc = C - c0 < lanes ? C - c0 : lanes;
        for (int v = 0; v < rc; v++) {
            float *out = dx + (((size_t)n * C + c0 + v) * H + ih) * W + rw + (size_t)m0 * s;
            for (int q = 0; q < rq; q++) out[(size_t)q * s] = tmp[q * lanes + v];
        }
    }
    return true;
}

/* ---------------------------------------------------------- backward weights */

/* acc[t][co] (t = 4 taps (i, j0 .. j0 + 3) of channel c) += sum over the
 * positions of image n of dyt[pos][co] x[n][c][oh s - p + i][ow s - p + j]:
 * V zmm of output channels x 4 taps per tile. */
#define BWD_W_KERNEL(NAME, V)                                                                   \
    static void NAME(float *restrict acc_mem, const float *xr0, int Wp, int s, const float *dyt, \
                     int co_pad, int oh0, int oh1, int OW) {                                    \
        __m512 acc[4][V];                                                                      \
        _Pragma("GCC unroll 4") for (int t = 0; t < 4; t++)                                    \
            _Pragma("GCC unroll 4") for (int v = 0; v < V; v++)                                \
                acc[t][v] = _mm512_load_ps(acc_mem + (size_t)(t * V + v) * 16);                \
        _Pragma("GCC unroll 1") for (int oh = oh0; oh < oh1; oh++) {                           \
            const float *xr = xr0 + (size_t)oh * s * Wp;                                       \
            const float *d = dyt + (size_t)oh * OW * co_pad;                                   \
            _Pragma("GCC unroll 1") for (int ow = 0; ow < OW; ow++, d += co_pad) {             \
                const float *xc = xr + (size_t)ow * s;                                         \
                __m512 dv[V];                                                                  \
                _Pragma("GCC unroll 4") for (int v = 0; v < V; v++) {                          \
                    dv[v] = _mm512_load_ps(d + 16 * v);                                        \
                    KEEP_IN_REGISTER(dv[v]);                                                   \
                }                                                                              \
                _Pragma("GCC unroll 4") for (int t = 0; t < 4; t++) {                          \
                    __m512 xb = _mm512_set1_ps(xc[t]);                                         \
                    _Pragma("GCC unroll 4") for (int v = 0; v < V; v++)                        \
                        acc[t][v] = _mm512_fmadd_ps(xb, dv[v], acc[t][v]);                     \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
        _Pragma("GCC unroll 4") for (int t = 0; t < 4; t++)                                    \
            _Pragma("GCC unroll 4") for (int v = 0; v < V; v++)                                \
                _mm512_store_ps(acc_mem + (size_t)(t * V + v) * 16, acc[t][v]);                \
    }

BWD_W_KERNEL(bwd_w_4, 4)
BWD_W_KERNEL(bwd_w_2, 2)
BWD_W_KERNEL(bwd_w_1, 1)

static bool conv_backward_weight_avx(float *dw, const float *x, const float *dy, int N,
                                     const gan_conv_shape *cs, int Cout, float beta) {
    int C = cs->C, H = cs->H, W = cs->W, k = cs->k, s = cs->s, p = cs->p;
    int OH = cs->OH, OW = cs->OW, kk = k * k, P = OH * OW;
    int V = pick_v(Cout), lanes = 16 * V;
    int co_blocks = (Cout + lanes - 1) / lanes, co_pad = co_blocks * lanes;
    int jchunks = (k + 3) / 4;
    int Hp = (OH - 1) * s + k, Wp = (OW - 1) * s + 4 * jchunks;
    /* tiles: (co block, c, i, j chunk); accumulators (tiles, 4, lanes) */
    int tiles = co_blocks * C * k * jchunks;
    float *xp = work(&buf_img, (size_t)N * C * Hp * Wp);
    float *dyt = work(&buf_w, (size_t)N * P * co_pad);
    float *accs = work(&buf_aux, (size_t)tiles * 4 * lanes);
    if (!xp || !dyt || !accs) return false;
    pad_images(xp, x, N, C, H, W, Hp, Wp, p, p);
    /* dyt[n][pos][co] = dy[n][co][pos], zero for co >= Cout */
#pragma omp parallel for schedule(static) if ((size_t)N * P * co_pad > 32768)
    for (int n = 0; n < N; n++) {
        float *o = dyt + (size_t)n * P * co_pad;
        gan_simd_transpose(o, co_pad, dy + (size_t)n * Cout * P, P, Cout, P);
        if (co_pad > Cout)
            for (int pos = 0; pos < P; pos++)
                memset(o + (size_t)pos * co_pad + Cout, 0, (size_t)(co_pad - Cout) * sizeof *o);
    }
    memset(accs, 0, (size_t)tiles * 4 * lanes * sizeof *accs);
    size_t plane = (size_t)Hp * Wp;
#pragma omp parallel
    {
        /* a fixed range of tiles per thread; every tile runs over the images
         * in order, so its sums do not depend on the split */
        int nth = omp_get_num_threads(), me = omp_get_thread_num();
        int t0 = (int)((long)tiles * me / nth), t1 = (int)((long)tiles * (me + 1) / nth);
        for (int n = 0; n < N; n++) {
            const float *dyn = dyt + (size_t)n * P * co_pad;
            for (int tile = t0; tile < t1; tile++) {
                int t = tile, jc = t % jchunks;
                t /= jchunks;
                int i = t % k;
                t /= k;
                int c = t % C, cb = t / C;
                const float *xr0 = xp + ((size_t)n * C + c) * plane + (size_t)i * Wp + 4 * jc;
                float *am = accs + (size_t)tile * 4 * lanes;
                const float *d = dyn + (size_t)cb * lanes;
                /* output rows whose input row (oh s - p + i) is padding add exact zeros */
                int oh0 = p - i > 0 ? (p - i + s - 1) / s : 0;
                int oh1 = H + p - i > 0 ? (H + p - i + s - 1) / s : 0;
                if (oh1 > OH) oh1 = OH;
                if (V == 4) bwd_w_4(am, xr0, Wp, s, d, co_pad, oh0, oh1, OW);
                else if (V == 2) bwd_w_2(am, xr0, Wp, s, d, co_pad, oh0, oh1, OW);
                else bwd_w_1(am, xr0, Wp, s, d, co_pad, oh0, oh1, OW);
            }
        }
    }
    /* dw[co][c][i][j] = beta dw + acc */
#pragma omp parallel for schedule(static) if ((size_t)Cout * C * kk > 32768)
    for (int co = 0; co < Cout; co++) {
        int cb = co / lanes, v = co % lanes;
        for (int c = 0; c < C; c++)
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) {
                    int tile = ((cb * C + c) * k + i) * jchunks + j / 4;
                    float a = accs[((size_t)tile * 4 + j % 4) * lanes + v];
                    float *o = dw + (((size_t)co * C + c) * k + i) * k + j;
                    *o = beta == 0.0f ? a : beta * *o + a;
                }
    }
    return true;
}
#endif

/* ---------------------------------------------- plain loops (the fallback) */

static void conv_forward_ref(float *y, const float *x, const float *w, const float *b, int N,
                             const gan_conv_shape *cs, int Cout) {
    int C = cs->C, H = cs->H, W = cs->W, k = cs->k, OH = cs->OH, OW = cs->OW;
#pragma omp parallel for schedule(static)
    for (int nco = 0; nco < N * Cout; nco++) {
        int n = nco / Cout, co = nco % Cout;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float acc = 0.0f;
                for (int c = 0; c < C; c++)
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++) {
                            int ih = oh * cs->s - cs->p + i, iw = ow * cs->s - cs->p + j;
                            if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                                acc += w[(((size_t)co * C + c) * k + i) * k + j] *
                                       x[(((size_t)n * C + c) * H + ih) * W + iw];
                        }
                y[(((size_t)n * Cout + co) * OH + oh) * OW + ow] = acc + (b ? b[co] : 0.0f);
            }
    }
}

static void conv_backward_data_ref(float *dx, const float *dy, const float *w, int N,
                                   const gan_conv_shape *cs, int Cout) {
    int C = cs->C, H = cs->H, W = cs->W, k = cs->k, s = cs->s, OH = cs->OH, OW = cs->OW;
#pragma omp parallel for schedule(static)
    for (int nc = 0; nc < N * C; nc++) {
        int n = nc / C, c = nc % C;
        for (int ih = 0; ih < H; ih++)
            for (int iw = 0; iw < W; iw++) {
                float acc = 0.0f;
                for (int co = 0; co < Cout; co++)
                    for (int i = 0; i < k; i++)
                        for (int j = 0; j < k; j++) {
                            int th = ih + cs->p - i, tw = iw + cs->p - j;
                            if (th < 0 || tw < 0 || th % s || tw % s) continue;
                            int oh = th / s, ow = tw / s;
                            if (oh < OH && ow < OW)
                                acc += w[(((size_t)co * C + c) * k + i) * k + j] *
                                       dy[(((size_t)n * Cout + co) * OH + oh) * OW + ow];
                        }
                dx[(((size_t)n * C + c) * H + ih) * W + iw] = acc;
            }
    }
}

static void conv_backward_weight_ref(float *dw, const float *x, const float *dy, int N,
                                     const gan_conv_shape *cs, int Cout, float beta) {
    int C = cs->C, H = cs->H, W = cs->W, k = cs->k, OH = cs->OH, OW = cs->OW;
#pragma omp parallel for schedule(static)
    for (int co = 0; co < Cout; co++)
        for (int c = 0; c < C; c++)
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) {
                    float acc = 0.0f;
                    for (int n = 0; n < N; n++)
                        for (int oh = 0; oh < OH; oh++)
                            for (int ow = 0; ow < OW; ow++) {
                                int ih = oh * cs->s - cs->p + i, iw = ow * cs->s - cs->p + j;
                                if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                                    acc += dy[(((size_t)n * Cout + co) * OH + oh) * OW + ow] *
                                           x[(((size_t)n * C + c) * H + ih) * W + iw];
                            }
                    float *o = dw + (((size_t)co * C + c) * k + i) * k + j;
                    *o = beta == 0.0f ? acc : beta * *o + acc;
                }
}

/* ---------------------------------------------------------- entry points */

void gan_cpu_conv2d_forward(void *ctx, float *y, const float *x, const float *w, const float *b,
                            int N, const gan_conv_shape *cs, int Cout) {
    if (N <= 0 || Cout <= 0) return;
#if defined(__AVX512F__)
    if (conv_forward_avx(y, x, w, b, N, cs, Cout)) return;
#endif
    conv_forward_ref(y, x, w, b, N, cs, Cout);
}

void gan_cpu_conv2d_backward_data(void *ctx, float *dx, const float *dy, const float *w, int N,
                                  const gan_conv_shape *cs, int Cout) {
    if (N <= 0) return;
#if defined(__AVX512F__)
    if (conv_backward_data_avx(dx, dy, w, N, cs, Cout)) return;
#endif
    conv_backward_data_ref(dx, dy, w, N, cs, Cout);
}

void gan_cpu_conv2d_backward_weight(void *ctx, float *dw, const float *x, const float *dy, int N,
                                    const gan_conv_shape *cs, int Cout, float beta) {
    if (Cout <= 0) return;
#if defined(__AVX512F__)
    if (N > 0 && conv_backward_weight_avx(dw, x, dy, N, cs, Cout, beta)) return;
#endif
    conv_backward_weight_ref(dw, x, dy, N, cs, Cout, beta);
}
