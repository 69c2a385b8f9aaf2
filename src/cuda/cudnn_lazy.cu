/*
 * cudnn_lazy.cu - the cuDNN function table and its loader (cudnn_lazy.h).
 * Compiled only when CMake found cuDNN's header (GAN_HAVE_CUDNN).
 */
#if GAN_HAVE_CUDNN
#define GAN_CUDNN_NO_REDIRECT
#include "cuda/cudnn_lazy.h"
#include "lazy_lib.h"

#define GAN_STR2(x) #x
#define GAN_STR(x) GAN_STR2(x)

#ifndef GAN_CUDNN_LIBDIR
#define GAN_CUDNN_LIBDIR ""
#endif

gan_cudnn_table gan_cudnn;

#define GAN_CUDNN_SYM(sym) {#sym, (void **)&gan_cudnn.sym},
static const gan_lazy_sym cudnn_syms[] = {GAN_CUDNN_FUNCS(GAN_CUDNN_SYM)};
#undef GAN_CUDNN_SYM

static const char *const cudnn_names[] = {"libcudnn.so." GAN_STR(CUDNN_MAJOR), "libcudnn.so", NULL};

static gan_lazy_lib cudnn_lib = GAN_LAZY_LIB_INIT("cuDNN", cudnn_names, GAN_CUDNN_LIBDIR, cudnn_syms,
                                                  sizeof cudnn_syms / sizeof cudnn_syms[0]);

gan_status gan_cudnn_load(void) {
    return gan_lazy_load(&cudnn_lib);
}
#endif
