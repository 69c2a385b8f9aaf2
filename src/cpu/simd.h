/*
 * simd.h - AVX-512 helpers shared by the CPU backend's kernels
 * (gemm.c, conv_direct.c). Only for AVX-512 builds.
 */
#ifndef GAN_CPU_SIMD_H
#define GAN_CPU_SIMD_H

#if defined(__AVX512F__)
#include <immintrin.h>

/* Transpose the 16 x 16 matrix whose rows are r[0..15], in place. */
static inline void gan_simd_transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int q = 0; q < 8; q++) {
        t[2 * q] = _mm512_unpacklo_ps(r[2 * q], r[2 * q + 1]);
        t[2 * q + 1] = _mm512_unpackhi_ps(r[2 * q], r[2 * q + 1]);
    }
    for (int q = 0; q < 4; q++) {
        r[4 * q] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], 0x44);
        r[4 * q + 1] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], 0xEE);
        r[4 * q + 2] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0x44);
        r[4 * q + 3] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0xEE);
    }
    for (int q = 0; q < 4; q++) {
        t[q] = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x88);
        t[4 + q] = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xDD);
        t[8 + q] = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x88);
        t[12 + q] = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xDD);
    }
    for (int q = 0; q < 4; q++) {
        r[q] = _mm512_shuffle_f32x4(t[q], t[8 + q], 0x88);
        r[8 + q] = _mm512_shuffle_f32x4(t[q], t[8 + q], 0xDD);
        r[4 + q] = _mm512_shuffle_f32x4(t[4 + q], t[12 + q], 0x88);
        r[12 + q] = _mm512_shuffle_f32x4(t[4 + q], t[12 + q], 0xDD);
    }
}

/* The first n lanes (0 <= n <= 16 is clamped). */
static inline __mmask16 gan_simd_lanes(int n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* out (cols, ldo) = in (rows, cols)^T with row stride ldi: out[c][r] =
 * in[r][c] for r < rows, c < cols; in 16 x 16 blocks. */
static inline void gan_simd_transpose(float *out, int ldo, const float *in, int ldi, int rows,
                                      int cols) {
    for (int r0 = 0; r0 < rows; r0 += 16)
        for (int c0 = 0; c0 < cols; c0 += 16) {
            __m512 v[16];
            __mmask16 mc = gan_simd_lanes(cols - c0), mr = gan_simd_lanes(rows - r0);
            for (int q = 0; q < 16; q++)
                v[q] = r0 + q < rows ? _mm512_maskz_loadu_ps(mc, in + (size_t)(r0 + q) * ldi + c0)
                                     : _mm512_setzero_ps();
            gan_simd_transpose16(v);
            for (int q = 0; q < 16 && c0 + q < cols; q++)
                _mm512_mask_storeu_ps(out + (size_t)(c0 + q) * ldo + r0, mr, v[q]);
        }
}
#endif

#endif
