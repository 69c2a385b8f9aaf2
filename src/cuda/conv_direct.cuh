/*
 * conv_direct.cuh - what the direct convolutions (conv2d_forward,
 * conv2d_backward_data, conv2d_backward_weight of backend_kernels.def)
 * share between their files: conv_cudnn.cu (the plans, the per-shape choice
 * and the cuDNN path), conv_gemm.cu (the GEMM path: im2col / col2im +
 * cuBLAS in groups of images), conv.cu (bf16 im2col, transposes and
 * conversions) and gemm.cu (the bf16 product).
 *
 * One call of a direct convolution is a conv_io: the op, its output, its two
 * inputs (forward: x, w; data: dy, w; weight: x, dy), the bias (forward) and
 * beta (weight). Layouts as in backend_kernels.def: x (N, C, H, W),
 * w (Cout, C, k, k), y and dy (N, Cout, OH, OW).
 */
#ifndef GAN_CUDA_CONV_DIRECT_CUH
#define GAN_CUDA_CONV_DIRECT_CUH

#include "cuda_common.cuh"

#include <cuda_bf16.h>

typedef enum { GAN_CONV_OP_FWD = 0, GAN_CONV_OP_DATA = 1, GAN_CONV_OP_FILTER = 2 } gan_conv_op;

typedef struct gan_conv_io {
    gan_conv_op op;
    float *out;      /* y, dx or dw */
    const float *a;  /* x (forward, weight) or dy (data) */
    const float *b;  /* w (forward, data) or dy (weight) */
    const float *bias; /* forward only; may be NULL */
    float beta;      /* weight only: dw = beta dw + ... (0 or 1) */
    int N, Cout;
    gan_conv_shape cs;
} gan_conv_io;

/* ---- conv.cu */
void gan_cuda_im2col_bf16(gan_cuda_ctx *cu, __nv_bfloat16 *cols, const float *x, int G,
                          const gan_conv_shape *cs);
void gan_cuda_nchw_to_cmajor_bf16(gan_cuda_ctx *cu, __nv_bfloat16 *t, const float *y, int G,
                                  int C, int P);
void gan_cuda_to_bf16(gan_cuda_ctx *cu, __nv_bfloat16 *d, const float *s, size_t n);
/* d (planes, P) = beta d + s (+ b[plane % C] when b). */
void gan_cuda_from_bf16(gan_cuda_ctx *cu, float *d, const __nv_bfloat16 *s, const float *b, int C,
                        size_t P, float beta, size_t n);

/* NCHW <-> NHWC for cuDNN's NHWC path: d (N, P, C), bf16 or fp32, = s (N,
 * C, P); and d (N, C, P) = beta d + s (N, P, C) (+ b[c] when b; beta 0 or
 * 1). Weights go through them too: (Cout, C, k k) <-> (Cout, k k, C). */
void gan_cuda_nchw_to_nhwc(gan_cuda_ctx *cu, void *d, bool bf16, const float *s, int N, int C,
                           size_t P);
void gan_cuda_nhwc_to_nchw(gan_cuda_ctx *cu, float *d, const void *s, bool bf16, const float *b,
                           int N, int C, size_t P, float beta);

/* ---- gemm.cu: C (M, N) = alpha op(A) op(B) + beta C, row-major, A and B
 * bf16, C fp32, fp32 accumulation. */
void gan_cuda_gemm_bf16(gan_cuda_ctx *cu, bool trans_a, bool trans_b, int M, int N, int K,
                        float alpha, const __nv_bfloat16 *A, int lda, const __nv_bfloat16 *B,
                        int ldb, float beta, float *C, int ldc);

/* ---- conv_gemm.cu: the GEMM path. Images go in groups of G; the work
 * (device, 256-byte aligned) holds one group's columns and product, and the
 * bf16 weight (bf16 math). */

/* Bytes of work for groups of G images. */
size_t gan_cuda_conv_gemm_work(const gan_conv_io *io, int G, bool bf16);

/* The largest group (1..N, and at most `most` when most > 0) whose work fits
 * `cap` bytes (1 when none does). */
int gan_cuda_conv_gemm_group(const gan_conv_io *io, bool bf16, size_t cap, int most);

/* Run the call in groups of G, work of gan_cuda_conv_gemm_work(io, G, bf16) bytes. */
void gan_cuda_conv_gemm(gan_cuda_ctx *cu, const gan_conv_io *io, int G, bool bf16, void *work);

#endif
