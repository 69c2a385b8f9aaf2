/*
 * gemm.cu - matrix products through cuBLAS.
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
 */
#include "conv_direct.cuh"

void gan_cuda_gemm(void *ctx, bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                   const float *A, int lda, const float *B, int ldb, float beta, float *C,
                   int ldc) {
    gan_cuda_ctx *cu = (gan_cuda_ctx *)ctx;
    if (M <= 0 || N <= 0) return;
    cublasOperation_t ta = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t tb = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    if (cu->math == GAN_CUDA_MATH_BF16) {
        GAN_CUBLAS_NOTE(cu, cublasGemmEx(cu->blas, tb, ta, N, M, K, &alpha, B, CUDA_R_32F, ldb, A,
                                         CUDA_R_32F, lda, &beta, C, CUDA_R_32F, ldc,
                                         CUBLAS_COMPUTE_32F_FAST_16BF, CUBLAS_GEMM_DEFAULT));
        return;
    }
    GAN_CUBLAS_NOTE(cu, cublasSgemm(cu->blas, tb, ta, N, M, K, &alpha, B, ldb, A,
                                lda, &beta, C, ldc));
}

void gan_cuda_gemm_bf16(gan_cuda_ctx *cu, bool trans_a, bool trans_b, int M, int N, int K,
                        float alpha, const __nv_bfloat16 *A, int lda, const __nv_bfloat16 *B,
                        int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    cublasOperation_t ta = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t tb = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    GAN_CUBLAS_NOTE(cu, cublasGemmEx(cu->blas, tb, ta, N, M, K, &alpha, B, CUDA_R_16BF, ldb, A,
                                     CUDA_R_16BF, lda, &beta, C, CUDA_R_32F, ldc,
                                     CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}
