/*
 * gemm.c - the CPU backend's single-precision matrix product
 * C (M, N) = alpha op(A) op(B) + beta C (row-major), with an own AVX-512
 * kernel where the compiler targets AVX-512 (-march=native on an AVX-512 CPU),
 * else OpenBLAS.
 *
 * Method (BLIS's): op(A) is packed once per call into panels of MR rows,
 * k-major ((K, MR) per panel, in blocks of KC values of k); each thread takes
 * tiles of C, packs the KC x NB block of op(B) it needs into panels of NR
 * columns, and runs an MR x NR register-blocked kernel over them. Packing
 * handles the transposes, so the kernel is one loop for all four cases.
 * One exception: C = A B^T with few rows (a batch of at most 128) and a large
 * B (a dense layer's weight, read once per call) is computed as C^T = B A^T
 * with B's rows broadcast as they are, since packing (transposing) B cost
 * about as much as the products (gemm_nt_few_rows).
 *
 * Determinism: every element of C is the sum, in this order, of its blocks
 * k = [0, kc), [kc, 2 kc), ... (kc <= KC fixed by K alone), each block summed by
 * the kernel in k order starting from zero, then added to C; gemm_nt_few_rows
 * sums in the same blocks in the same order, so a row of C has the same bits
 * whichever path computes it and however many rows the call has (a sample
 * does not depend on the batch it is drawn in). Tiles only decide which
 * thread computes an element, never how, so results are bit-identical at any
 * thread count.
 *
 * Memory: the packing buffers (one set per calling thread) are kept between
 * calls and grow on first use of a larger shape (as OpenBLAS's own buffers
 * do); a training step at a fixed batch size allocates nothing after the
 * first.
 */
#include "cpu_common.h"
#include "simd.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>

#define MR 8         /* rows of C per kernel call */
#define NR 32        /* columns of C per kernel call: two zmm registers */
#define KC 256       /* k values per packed block */
#define NB_MAX 512   /* columns per tile */

/* ---- packing buffers (grown in serial code, used inside parallel regions);
 * one set per calling thread, so that separate host threads may multiply at
 * once; they live as long as that thread ---- */

static _Thread_local float *pack_a_buf, *pack_b_buf;
static _Thread_local size_t pack_a_cap, pack_b_cap; /* floats */

static bool grow(float **buf, size_t *cap, size_t need) {
    if (need <= *cap) return true;
    free(*buf);
    size_t bytes = (need * sizeof(float) + 63) / 64 * 64;
    *buf = aligned_alloc(64, bytes);
    *cap = *buf ? need : 0;
    return *buf != NULL;
}

/* ---- packing ---- */

/* Panel of op(A): rows i0 .. i0 + MR - 1 (zero beyond M), k = k0 .. k0 + kc - 1,
 * stored k-major: out[k MR + r]. */
static void pack_a_panel(float *restrict out, bool ta, const float *A, int lda, int M, int i0,
                         int k0, int kc) {
    int rows = M - i0 < MR ? M - i0 : MR;
    if (ta) { /* op(A)[i][k] = A[k][i]: MR contiguous values per k */
        if (rows == MR) {
            for (int k = 0; k < kc; k++)
                _mm256_store_ps(out + (size_t)k * MR,
                                _mm256_loadu_ps(A + (size_t)(k0 + k) * lda + i0));
            return;
        }
        for (int k = 0; k < kc; k++) {
            const float *src = A + (size_t)(k0 + k) * lda + i0;
            float *dst = out + (size_t)k * MR;
            int r = 0;
            for (; r < rows; r++) dst[r] = src[r];
            for (; r < MR; r++) dst[r] = 0.0f;
        }
        return;
    }
    /* op(A)[i][k] = A[i][k]: interleave MR rows, 16 values of k at a time by a
     * 16 x 16 transpose of the 8 rows (the upper half zero) */
    int k = 0;
    if (rows == MR)
        for (; k + 16 <= kc; k += 16) {
            __m512 v[16];
            for (int r = 0; r < 16; r++)
                v[r] = r < MR ? _mm512_loadu_ps(A + (size_t)(i0 + r) * lda + k0 + k)
                              : _mm512_setzero_ps();
            gan_simd_transpose16(v);
            for (int q = 0; q < 16; q++)
                _mm256_store_ps(out + (size_t)(k + q) * MR, _mm512_castps512_ps256(v[q]));
        }
    for (; k < kc; k++) {
        float *dst = out + (size_t)k * MR;
        int r = 0;
        for (; r < rows; r++) dst[r] = A[(size_t)(i0 + r) * lda + k0 + k];
        for (; r < MR; r++) dst[r] = 0.0f;
    }
}

/* Block of op(B): k = k0 .. k0 + kc - 1, columns j0 .. j0 + nb - 1, as panels
 * of NR columns (zero beyond N), each stored k-major: out[(p kc + k) NR + c]. */
static void pack_b_block(float *restrict out, bool tb, const float *B, int ldb, int N, int j0,
                         int nb, int k0, int kc) {
    for (int p = 0; p * NR < nb; p++) {
        int c0 = j0 + p * NR, cols = N - c0 < NR ? N - c0 : NR;
        float *panel = out + (size_t)p * kc * NR;
        if (!tb) { /* op(B)[k][j] = B[k][j]: NR contiguous values per k */
            __mmask16 m0 = gan_simd_lanes(cols), m1 = gan_simd_lanes(cols - 16);
            for (int k = 0; k < kc; k++) {
                const float *src = B + (size_t)(k0 + k) * ldb + c0;
                _mm512_store_ps(panel + (size_t)k * NR, _mm512_maskz_loadu_ps(m0, src));
                _mm512_store_ps(panel + (size_t)k * NR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
            }
            continue;
        }
        /* op(B)[k][j] = B[j][k]: transpose 16 x 16 tiles */
        for (int h = 0; h < 2; h++) {
            int jh = c0 + 16 * h, nj = cols - 16 * h;
            if (nj > 16) nj = 16;
            int k = 0;
            if (nj == 16) {
                for (; k + 16 <= kc; k += 16) {
                    __m512 r[16];
                    for (int q = 0; q < 16; q++)
                        r[q] = _mm512_loadu_ps(B + (size_t)(jh + q) * ldb + k0 + k);
                    gan_simd_transpose16(r);
                    for (int q = 0; q < 16; q++)
                        _mm512_store_ps(panel + (size_t)(k + q) * NR + 16 * h, r[q]);
                }
            }
            for (; k < kc; k++) {
                float *dst = panel + (size_t)k * NR + 16 * h;
                int c = 0;
                for (; c < nj; c++) dst[c] = B[(size_t)(jh + c) * ldb + k0 + k];
                for (; c < 16; c++) dst[c] = 0.0f;
            }
        }
    }
}

/* ---- the kernel: C[0..mr) x [0..nr) (+)= alpha a b over kc values of k ---- */

static inline void kernel(int kc, const float *restrict a, const float *restrict b, float *c,
                          int ldc, int mr, int nr, bool first, float alpha, float beta) {
    __m512 c0[MR], c1[MR];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) c0[r] = c1[r] = _mm512_setzero_ps();
    for (int r = 0; r < mr; r++) { /* C's rows arrive while the kernel runs */
        _mm_prefetch((const char *)(c + (size_t)r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + (size_t)r * ldc + 16), _MM_HINT_T0);
    }
    for (int k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(b + (size_t)k * NR),
               b1 = _mm512_load_ps(b + (size_t)k * NR + 16);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            __m512 ar = _mm512_set1_ps(a[(size_t)k * MR + r]);
            c0[r] = _mm512_fmadd_ps(ar, b0, c0[r]);
            c1[r] = _mm512_fmadd_ps(ar, b1, c1[r]);
        }
    }
    __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? 0xFFFF : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : 0;
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int r = 0; r < mr; r++) {
        float *row = c + (size_t)r * ldc;
        __m512 x0 = c0[r], x1 = c1[r];
        if (alpha != 1.0f) x0 = _mm512_mul_ps(x0, va), x1 = _mm512_mul_ps(x1, va);
        if (!first || beta == 1.0f) {
            x0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, row), x0);
            x1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, row + 16), x1);
        } else if (beta != 0.0f) {
            x0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, row), x0);
            x1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, row + 16), x1);
        }
        _mm512_mask_storeu_ps(row, m0, x0);
        _mm512_mask_storeu_ps(row + 16, m1, x1);
    }
}

/* The kernel for a last panel of at most 16 columns: half the work. */
static inline void kernel16(int kc, const float *restrict a, const float *restrict b, float *c,
                            int ldc, int mr, int nr, bool first, float alpha, float beta) {
    __m512 c0[MR];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) c0[r] = _mm512_setzero_ps();
    for (int r = 0; r < mr; r++) _mm_prefetch((const char *)(c + (size_t)r * ldc), _MM_HINT_T0);
    for (int k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(b + (size_t)k * NR);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++)
            c0[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[(size_t)k * MR + r]), b0, c0[r]);
    }
    __mmask16 m0 = gan_simd_lanes(nr);
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int r = 0; r < mr; r++) {
        float *row = c + (size_t)r * ldc;
        __m512 x0 = c0[r];
        if (alpha != 1.0f) x0 = _mm512_mul_ps(x0, va);
        if (!first || beta == 1.0f) x0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, row), x0);
        else if (beta != 0.0f) x0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, row), x0);
        _mm512_mask_storeu_ps(row, m0, x0);
    }
}

/* Columns per tile: a function of the shape only (the results do not depend
 * on it anyway, see the top of the file), small enough to give each thread
 * several tiles. */
static int tile_width(int M, int N) {
    int nb = NB_MAX;
    while (nb > NR && (size_t)((N + nb - 1) / nb) * ((M + 255) / 256) < 8) nb /= 2;
    return nb;
}

/* ---- C = alpha A B^T + beta C with few rows (M, a batch) and a large B
 * (N, K) (a dense layer's weight): computed as C^T = B A^T, so that B's rows
 * are read as they are (MR of them broadcast value by value) instead of being
 * packed, and only the small A is packed (A^T in panels of NR columns, each
 * (K, NR)); each MR x NR tile of C^T sums all of K in one chain in k order,
 * then is transposed into C. Which thread computes a tile never changes how. */

/* C[i0 + q][j0 + r] for q < mi, r < mr (+)= the tile (c0: q < 16, c1: q >= 16). */
static inline void store_t(__m512 c0[MR], __m512 c1[MR], float *C, int ldc, int mi, int mr,
                           float alpha, float beta) {
    __m512 v[16];
    for (int r = 0; r < MR; r++) v[r] = c0[r], v[MR + r] = c1[r];
    gan_simd_transpose16(v); /* v[q]: C[i0 + q][j0 ..], then C[i0 + 16 + q][j0 ..] */
    __mmask8 m = (__mmask8)((1u << mr) - 1);
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    for (int h = 0; h < 2; h++)
        for (int q = 0; q < 16 && 16 * h + q < mi; q++) {
            float *row = C + (size_t)(16 * h + q) * ldc;
            __m256 x = h ? _mm512_extractf32x8_ps(v[q], 1) : _mm512_castps512_ps256(v[q]);
            if (alpha != 1.0f) x = _mm256_mul_ps(x, va);
            if (beta == 1.0f) x = _mm256_add_ps(_mm256_maskz_loadu_ps(m, row), x);
            else if (beta != 0.0f) x = _mm256_fmadd_ps(vb, _mm256_maskz_loadu_ps(m, row), x);
            _mm256_mask_storeu_ps(row, m, x);
        }
}

/* k in blocks of equal size (a multiple of 16, at most KC): no short last
 * block. Both paths sum in these blocks, so they give the same bits. */
static int k_block(int K) {
    int blocks = (K + KC - 1) / KC;
    return ((K + blocks - 1) / blocks + 15) / 16 * 16;
}

/* The tile of C^T at rows j0 .. j0 + MR - 1 (w: B's row j0, rows ldw apart;
 * rows r >= mr repeat row 0 and are not stored) and columns i0 .. i0 + NR - 1
 * (b: the packed panel of A^T, (K, NR)), summed block by block of kcb values
 * of k as the packed kernel does: each block from zero, then stored (the
 * first with beta, the others added). */
static void kernel_t(int K, int kcb, const float *w, int ldw, const float *restrict b, float *C,
                     int ldc, int mi, int mr, float alpha, float beta) {
    const float *wr[MR];
    for (int r = 0; r < MR; r++) wr[r] = w + (size_t)(r < mr ? r : 0) * ldw;
    for (int k0 = 0; k0 < K; k0 += kcb) {
        int k1 = K - k0 < kcb ? K : k0 + kcb;
        __m512 c0[MR], c1[MR];
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) c0[r] = c1[r] = _mm512_setzero_ps();
        for (int k = k0; k < k1; k++) {
            if ((k & 15) == 0) /* B's rows, 8 cache lines ahead */
                for (int r = 0; r < MR; r++)
                    _mm_prefetch((const char *)(wr[r] + k + 128), _MM_HINT_T0);
            __m512 b0 = _mm512_load_ps(b + (size_t)k * NR),
                   b1 = _mm512_load_ps(b + (size_t)k * NR + 16);
#pragma GCC unroll 8
            for (int r = 0; r < MR; r++) {
                __m512 ar = _mm512_set1_ps(wr[r][k]);
                c0[r] = _mm512_fmadd_ps(ar, b0, c0[r]);
                c1[r] = _mm512_fmadd_ps(ar, b1, c1[r]);
            }
        }
        store_t(c0, c1, C, ldc, mi, mr, alpha, k0 == 0 ? beta : 1.0f);
    }
}

static bool gemm_nt_few_rows(int M, int N, int K, float alpha, const float *A, int lda,
                             const float *B, int ldb, float beta, float *C, int ldc) {
    int ipanels = (M + NR - 1) / NR, jpanels = (N + MR - 1) / MR, kcb = k_block(K);
    if (!grow(&pack_a_buf, &pack_a_cap, (size_t)ipanels * NR * K)) return false;
    float *pa = pack_a_buf;
#pragma omp parallel
    {
#pragma omp for schedule(static)
        for (int q = 0; q < ipanels; q++)
            pack_b_block(pa + (size_t)q * K * NR, true, A, lda, M, q * NR, NR, 0, K);
#pragma omp for schedule(static)
        for (int jp = 0; jp < jpanels; jp++) {
            int j0 = jp * MR, mr = N - j0 < MR ? N - j0 : MR;
            for (int q = 0; q < ipanels; q++) {
                int mi = M - q * NR < NR ? M - q * NR : NR;
                kernel_t(K, kcb, B + (size_t)j0 * ldb, ldb, pa + (size_t)q * K * NR,
                         C + (size_t)q * NR * ldc + j0, ldc, mi, mr, alpha, beta);
            }
        }
    }
    return true;
}

static bool own_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                     int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    int panels = (M + MR - 1) / MR, Mp = panels * MR;
    int nb = tile_width(M, N), nblocks = (N + nb - 1) / nb;
    int mparts = (M + 255) / 256; /* rows split in parts of about 256 */
    int panels_per_part = (panels + mparts - 1) / mparts;
    int threads = omp_get_max_threads();
    if (!grow(&pack_a_buf, &pack_a_cap, (size_t)Mp * K) ||
        !grow(&pack_b_buf, &pack_b_cap, (size_t)threads * KC * NB_MAX))
        return false;
    float *pa = pack_a_buf, *pb_all = pack_b_buf; /* the caller's (thread-local) buffers */
    int tasks = nblocks * mparts;
    int kcb = k_block(K), blocks_k = (K + kcb - 1) / kcb;
#pragma omp parallel
    {
#pragma omp for schedule(static)
        for (int job = 0; job < panels * blocks_k; job++) {
            int p = job % panels, kb = job / panels, k0 = kb * kcb;
            int kc = K - k0 < kcb ? K - k0 : kcb;
            pack_a_panel(pa + (size_t)k0 * Mp + (size_t)p * kc * MR, ta, A, lda, M, p * MR, k0,
                         kc);
        }
        float *pb = pb_all + (size_t)omp_get_thread_num() * KC * NB_MAX;
#pragma omp for schedule(static)
        for (int task = 0; task < tasks; task++) {
            int jb = task % nblocks, mp = task / nblocks;
            int j0 = jb * nb, ncols = N - j0 < nb ? N - j0 : nb;
            int p0 = mp * panels_per_part, p1 = p0 + panels_per_part;
            if (p1 > panels) p1 = panels;
            for (int k0 = 0; k0 < K; k0 += kcb) {
                int kc = K - k0 < kcb ? K - k0 : kcb;
                pack_b_block(pb, tb, B, ldb, N, j0, ncols, k0, kc);
                const float *pak = pa + (size_t)k0 * Mp;
                for (int q = 0; q * NR < ncols; q++) {
                    int nr = ncols - q * NR < NR ? ncols - q * NR : NR;
                    const float *bp = pb + (size_t)q * kc * NR;
                    for (int p = p0; p < p1; p++) {
                        int mr = M - p * MR < MR ? M - p * MR : MR;
                        float *cp = C + (size_t)p * MR * ldc + j0 + q * NR;
                        if (nr <= 16)
                            kernel16(kc, pak + (size_t)p * kc * MR, bp, cp, ldc, mr, nr, k0 == 0,
                                     alpha, beta);
                        else
                            kernel(kc, pak + (size_t)p * kc * MR, bp, cp, ldc, mr, nr, k0 == 0,
                                   alpha, beta);
                    }
                }
            }
        }
    }
    return true;
}
#endif

/* Single-threaded OpenBLAS on column slabs whose width depends only on N. */
static void blas_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb, float beta, float *C,
                      int ldc) {
    int width = N >= 1024 ? 256 : N >= 256 ? 128 : N;
    int slabs = (N + width - 1) / width;
    /* Always inside a parallel region, even for one slab: called from serial
     * code, OpenMP builds of OpenBLAS thread by omp_get_max_threads(). */
#pragma omp parallel for schedule(static)
    for (int s = 0; s < slabs; s++) {
        int n0 = s * width, n = N - n0 < width ? N - n0 : width;
        const float *Bs = trans_b ? B + (size_t)n0 * ldb : B + n0;
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, M, n, K, alpha, A, lda, Bs, ldb, beta,
                    C + n0, ldc);
    }
}

void gan_cpu_gemm(void *ctx, bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
#if defined(__AVX512F__)
    /* the own kernel where its tiles are reasonably full */
    /* a batch times a dense layer's weight^T (the forward): the weight unpacked */
    if (!trans_a && trans_b && M <= 128 && N >= 4 * M && K >= 128 && K <= 2048 &&
        gemm_nt_few_rows(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc))
        return;
    if (K >= 4 && M >= 4 && N >= 16 &&
        own_gemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc))
        return;
#endif
    blas_gemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
