/*
 * cublaslt_lazy.h - cuBLASLt through a table of function pointers filled by
 * dlopen on first use (lazy_lib.h), as cublas_lazy.h does for cuBLAS: only a
 * process whose CUDA backend plans its products with cuBLASLt (gemm_lt.cu,
 * GAN_CUDA_GEMM=auto|lt) resolves these (libcublas maps libcublasLt anyway,
 * so this costs no new mapping once the backend is open).
 *
 * Include this instead of <cublasLt.h> (gemm_lt.cu only). The usual names
 * call through the table (the macros below); a function used but missing
 * from GAN_CUBLASLT_FUNCS fails to link, since libcublasLt is not linked.
 */
#ifndef GAN_CUDA_CUBLASLT_LAZY_H
#define GAN_CUDA_CUBLASLT_LAZY_H

#include "internal.h"
#include "lazy_lib.h" /* gan_cublaslt_load */

#include <cublasLt.h>

/* X(exported symbol) */
#define GAN_CUBLASLT_FUNCS(X)                  \
    X(cublasLtCreate)                          \
    X(cublasLtDestroy)                         \
    X(cublasLtGetStatusString)                 \
    X(cublasLtMatmulDescCreate)                \
    X(cublasLtMatmulDescDestroy)               \
    X(cublasLtMatmulDescSetAttribute)          \
    X(cublasLtMatrixLayoutCreate)              \
    X(cublasLtMatrixLayoutDestroy)             \
    X(cublasLtMatmulPreferenceCreate)          \
    X(cublasLtMatmulPreferenceDestroy)         \
    X(cublasLtMatmulPreferenceSetAttribute)    \
    X(cublasLtMatmulAlgoGetHeuristic)          \
    X(cublasLtMatmulAlgoConfigGetAttribute)    \
    X(cublasLtMatmul)

struct gan_cublaslt_table {
#define GAN_CUBLASLT_FIELD(sym) decltype(&::sym) sym;
    GAN_CUBLASLT_FUNCS(GAN_CUBLASLT_FIELD)
#undef GAN_CUBLASLT_FIELD
};
extern gan_cublaslt_table gan_cublaslt;

#ifndef GAN_CUBLASLT_NO_REDIRECT
#define cublasLtCreate gan_cublaslt.cublasLtCreate
#define cublasLtDestroy gan_cublaslt.cublasLtDestroy
#define cublasLtGetStatusString gan_cublaslt.cublasLtGetStatusString
#define cublasLtMatmulDescCreate gan_cublaslt.cublasLtMatmulDescCreate
#define cublasLtMatmulDescDestroy gan_cublaslt.cublasLtMatmulDescDestroy
#define cublasLtMatmulDescSetAttribute gan_cublaslt.cublasLtMatmulDescSetAttribute
#define cublasLtMatrixLayoutCreate gan_cublaslt.cublasLtMatrixLayoutCreate
#define cublasLtMatrixLayoutDestroy gan_cublaslt.cublasLtMatrixLayoutDestroy
#define cublasLtMatmulPreferenceCreate gan_cublaslt.cublasLtMatmulPreferenceCreate
#define cublasLtMatmulPreferenceDestroy gan_cublaslt.cublasLtMatmulPreferenceDestroy
#define cublasLtMatmulPreferenceSetAttribute gan_cublaslt.cublasLtMatmulPreferenceSetAttribute
#define cublasLtMatmulAlgoGetHeuristic gan_cublaslt.cublasLtMatmulAlgoGetHeuristic
#define cublasLtMatmulAlgoConfigGetAttribute gan_cublaslt.cublasLtMatmulAlgoConfigGetAttribute
#define cublasLtMatmul gan_cublaslt.cublasLtMatmul
#endif

#endif /* GAN_CUDA_CUBLASLT_LAZY_H */
