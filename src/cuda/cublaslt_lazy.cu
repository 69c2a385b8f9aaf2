/*
 * cublaslt_lazy.cu - the cuBLASLt function table and its loader
 * (cublaslt_lazy.h).
 */
#define GAN_CUBLASLT_NO_REDIRECT
#include "cuda/cublaslt_lazy.h"
#include "lazy_lib.h"

#define GAN_STR2(x) #x
#define GAN_STR(x) GAN_STR2(x)

#ifndef GAN_CUDA_LIBDIR
#define GAN_CUDA_LIBDIR ""
#endif

gan_cublaslt_table gan_cublaslt;

#define GAN_CUBLASLT_SYM(sym) {#sym, (void **)&gan_cublaslt.sym},
static const gan_lazy_sym cublaslt_syms[] = {GAN_CUBLASLT_FUNCS(GAN_CUBLASLT_SYM)};
#undef GAN_CUBLASLT_SYM

static const char *const cublaslt_names[] = {"libcublasLt.so." GAN_STR(CUBLAS_VER_MAJOR),
                                             "libcublasLt.so", NULL};

static gan_lazy_lib cublaslt_lib =
    GAN_LAZY_LIB_INIT("cuBLASLt", cublaslt_names, GAN_CUDA_LIBDIR, cublaslt_syms,
                      sizeof cublaslt_syms / sizeof cublaslt_syms[0]);

gan_status gan_cublaslt_load(void) {
    return gan_lazy_load(&cublaslt_lib);
}
