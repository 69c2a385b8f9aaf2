/*
 * cublas_lazy.h - cuBLAS through a table of function pointers filled by
 * dlopen on first use (lazy_lib.h), so that only a process that opens the
 * CUDA backend maps libcublas and libcublasLt (over 200 MB of mappings that
 * made `gan --version` take 0.26 s and 225 MB).
 *
 * Include this instead of <cublas_v2.h> (C++ only: the CUDA sources). After
 * it, the usual names (cublasSgemm, cublasCreate, ...) call through the table
 * (the macros below), so code is written as with the linked library. A
 * function used but missing from the table fails to link (libcublas is not
 * linked): add it to GAN_CUBLAS_FUNCS and to the macros.
 */
#ifndef GAN_CUDA_CUBLAS_LAZY_H
#define GAN_CUDA_CUBLAS_LAZY_H

#include "internal.h"
#include "lazy_lib.h" /* gan_cublas_load */

#include <cublas_v2.h>

/* cublasGemmEx is overloaded in C++ (an inline wrapper taking cudaDataType):
   the table holds the exported one, with cublasComputeType_t. */
typedef cublasStatus_t (*gan_cublas_gemm_ex_fn)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int,
                                                int, const void *, const void *, cudaDataType, int, const void *,
                                                cudaDataType, int, const void *, void *, cudaDataType, int,
                                                cublasComputeType_t, cublasGemmAlgo_t);

/* X(exported symbol, its type) */
#define GAN_CUBLAS_FUNCS(X)                                                                        \
    X(cublasCreate_v2, decltype(&::cublasCreate_v2))                                               \
    X(cublasDestroy_v2, decltype(&::cublasDestroy_v2))                                             \
    X(cublasSetStream_v2, decltype(&::cublasSetStream_v2))                                         \
    X(cublasSetWorkspace_v2, decltype(&::cublasSetWorkspace_v2))                                   \
    X(cublasSetPointerMode_v2, decltype(&::cublasSetPointerMode_v2))                               \
    X(cublasSetMathMode, decltype(&::cublasSetMathMode))                                           \
    X(cublasGetStatusString, decltype(&::cublasGetStatusString))                                   \
    X(cublasSgemm_v2, decltype(&::cublasSgemm_v2))                                                 \
    X(cublasGemmEx, gan_cublas_gemm_ex_fn)

struct gan_cublas_table {
#define GAN_CUBLAS_FIELD(sym, type) type sym;
    GAN_CUBLAS_FUNCS(GAN_CUBLAS_FIELD)
#undef GAN_CUBLAS_FIELD
};
extern gan_cublas_table gan_cublas;

/* The names code uses, through the table (cublas_v2.h maps some of them to
 * their _v2 symbols first; a macro does not expand inside its own expansion,
 * so gan_cublas.cublasSgemm_v2 names the field). cublas_lazy.cu, which fills
 * the table by field name, goes without them. */
#ifndef GAN_CUBLAS_NO_REDIRECT
#define cublasCreate_v2 gan_cublas.cublasCreate_v2
#define cublasDestroy_v2 gan_cublas.cublasDestroy_v2
#define cublasSetStream_v2 gan_cublas.cublasSetStream_v2
#define cublasSetWorkspace_v2 gan_cublas.cublasSetWorkspace_v2
#define cublasSetPointerMode_v2 gan_cublas.cublasSetPointerMode_v2
#define cublasSetMathMode gan_cublas.cublasSetMathMode
#define cublasGetStatusString gan_cublas.cublasGetStatusString
#define cublasSgemm_v2 gan_cublas.cublasSgemm_v2
#define cublasGemmEx gan_cublas.cublasGemmEx
#endif

#endif /* GAN_CUDA_CUBLAS_LAZY_H */
