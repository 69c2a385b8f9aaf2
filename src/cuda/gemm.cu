/*
 * gemm.cu - matrix products through cuBLAS, or through cuBLASLt where the
 * shape's plan says so (gemm_lt.cu: per shape, timed once, GAN_CUDA_GEMM).
 *
 * The table's gemm is row-major; cuBLAS is column-major. A row-major (R, C)
 * matrix with leading dimension ld is, read column-major, its transpose
 * (C, R) with the same ld. So C = op(A) op(B) (row-major, M x N) is computed
 * as C^T = op(B)^T op(A)^T (column-major, N x M): cublasSgemm with the
 * operands swapped, the same transpose flags, and M and N swapped.
 *
 * Math: FP32 by default (CUBLAS_DEFAULT_MATH, no TF32); see
 * gan_backend_cuda_set_math for TF32 or pedantic math (the handle's math
 * mode). GAN_CUDA_MATH_BF16 keeps fp32 operands in memory and lets cuBLAS
 * round them to bf16 on the tensor cores, accumulating in fp32
 * (cublasGemmEx, CUBLAS_COMPUTE_32F_FAST_16BF).
 * gan_cuda_gemm_bf16 (the direct convolutions' GEMM path, conv_gemm.cu)
 * takes operands already in bf16 and writes fp32 (fp32 accumulation).
 * The cuBLASLt path keeps these semantics (gemm_lt.cu's compute types).
 */
#include "conv_direct.cuh"

void gan_cuda_gemm_blas(gan_cuda_ctx *cu, const gan_gemm_call *g) {
    cublasOperation_t ta = g->trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t tb = g->trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    if (g->bf16_in) {
        GAN_CUBLAS_NOTE(cu, cublasGemmEx(cu->blas, tb, ta, g->N, g->M, g->K, &g->alpha, g->B,
                                         CUDA_R_16BF, g->ldb, g->A, CUDA_R_16BF, g->lda,
                                         &g->beta, g->C, CUDA_R_32F, g->ldc, CUBLAS_COMPUTE_32F,
                                         CUBLAS_GEMM_DEFAULT));
    } else if (cu->math == GAN_CUDA_MATH_BF16) {
        GAN_CUBLAS_NOTE(cu, cublasGemmEx(cu->blas, tb, ta, g->N, g->M, g->K, &g->alpha, g->B,
                                         CUDA_R_32F, g->ldb, g->A, CUDA_R_32F, g->lda, &g->beta,
                                         g->C, CUDA_R_32F, g->ldc, CUBLAS_COMPUTE_32F_FAST_16BF,
                                         CUBLAS_GEMM_DEFAULT));
    } else {
        GAN_CUBLAS_NOTE(cu, cublasSgemm(cu->blas, tb, ta, g->N, g->M, g->K, &g->alpha,
                                        (const float *)g->B, g->ldb, (const float *)g->A, g->lda,
                                        &g->beta, g->C, g->ldc));
    }
}

void gan_cuda_gemm(void *ctx, bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                   const float *A, int lda, const float *B, int ldb, float beta, float *C,
                   int ldc) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (M <= 0 || N <= 0) return;
    gan_gemm_call g = {trans_a, trans_b, false, M, N, K, alpha, beta, A, B, lda, ldb, C, ldc};
    if (!gan_cuda_gemm_lt(cu, &g)) gan_cuda_gemm_blas(cu, &g);
}

void gan_cuda_gemm_bf16(gan_cuda_ctx *cu, bool trans_a, bool trans_b, int M, int N, int K,
                        float alpha, const __nv_bfloat16 *A, int lda, const __nv_bfloat16 *B,
                        int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    gan_gemm_call g = {trans_a, trans_b, true, M, N, K, alpha, beta, A, B, lda, ldb, C, ldc};
    if (!gan_cuda_gemm_lt(cu, &g)) gan_cuda_gemm_blas(cu, &g);
}
