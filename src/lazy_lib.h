/*
 * lazy_lib.h - load a shared library (cuBLAS, NCCL) with dlopen on first use
 * and resolve a table of its functions, so that programs that never ask for
 * the GPU (gan --version, CPU training, gan sample) never map it: libcublas
 * and libcublasLt alone made `gan --version` map over 200 MB.
 *
 * The first call tries each candidate file name as given (the dynamic
 * loader's search: LD_LIBRARY_PATH, the program's RUNPATH, ld.so.cache), then
 * under `dir` (the toolkit's library folder at build time); the outcome,
 * success or failure, is kept, and later calls return it at once. Failure is
 * GAN_ERR_UNSUPPORTED with one line naming the library and dlerror's reason
 * (or the first missing function). Thread-safe.
 */
#ifndef GAN_LAZY_LIB_H
#define GAN_LAZY_LIB_H

#include "internal.h"

#include <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One function to resolve: its exported name and where its address goes. */
typedef struct gan_lazy_sym {
    const char *name;
    void **slot;
} gan_lazy_sym;

typedef struct gan_lazy_lib {
    const char *what;         /* for messages: "cuBLAS" */
    const char *const *names; /* candidate file names, NULL-terminated */
    const char *dir;          /* folder tried second (NULL: none) */
    const gan_lazy_sym *syms;
    size_t n_syms;
    /* state */
    pthread_mutex_t lock;
    int state; /* 0 not tried, 1 loaded, -1 failed */
    gan_status status;
    char msg[512];
    void *handle;
} gan_lazy_lib;

#define GAN_LAZY_LIB_INIT(what, names, dir, syms, n) \
    {(what), (names), (dir), (syms), (n), PTHREAD_MUTEX_INITIALIZER, 0, GAN_OK, {0}, NULL}

/* Load lib (once) and fill its table; GAN_OK or the kept failure. */
gan_status gan_lazy_load(gan_lazy_lib *lib);

/* CUDA builds: load libcublas.so.<major> and fill the cuBLAS table
 * (src/cuda/cublas_lazy.h); gan_backend_cuda_open calls it. */
gan_status gan_cublas_load(void);

/* CUDA builds: load libcublasLt.so.<major> and fill the cuBLASLt table
 * (src/cuda/cublaslt_lazy.h); the backend calls it when its products are
 * planned with cuBLASLt (GAN_CUDA_GEMM=auto|lt, src/cuda/gemm_lt.cu). */
gan_status gan_cublaslt_load(void);

#ifdef __cplusplus
}
#endif

#endif /* GAN_LAZY_LIB_H */
