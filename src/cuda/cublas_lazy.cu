/*
 * cublas_lazy.cu - the cuBLAS function table and its loader (cublas_lazy.h).
 */
#define GAN_CUBLAS_NO_REDIRECT
#include "cuda/cublas_lazy.h"
#include "lazy_lib.h"

#define GAN_STR2(x) #x
#define GAN_STR(x) GAN_STR2(x)

#ifndef GAN_CUDA_LIBDIR
#define GAN_CUDA_LIBDIR ""
#endif

gan_cublas_table gan_cublas;

#define GAN_CUBLAS_SYM(sym, type) {#sym, (void **)&gan_cublas.sym},
static const gan_lazy_sym cublas_syms[] = {GAN_CUBLAS_FUNCS(GAN_CUBLAS_SYM)};
#undef GAN_CUBLAS_SYM

static const char *const cublas_names[] = {"libcublas.so." GAN_STR(CUBLAS_VER_MAJOR), "libcublas.so", NULL};

static gan_lazy_lib cublas_lib = GAN_LAZY_LIB_INIT("cuBLAS", cublas_names, GAN_CUDA_LIBDIR, cublas_syms,
                                                   sizeof cublas_syms / sizeof cublas_syms[0]);

gan_status gan_cublas_load(void) {
    return gan_lazy_load(&cublas_lib);
}
