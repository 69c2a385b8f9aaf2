/*
 * cpu_common.h - what the CPU backend's files share: the kernel prototypes
 * (gan_cpu_<fn>, generated in backend.h from backend_kernels.def) and the
 * chunk sizes of the threaded loops. The files mirror src/cuda/: gemm,
 * pointwise, norm, norm2d, conv (+ conv_direct), loss, optim, rng, misc,
 * classify, and backend_cpu.c with memory, graphs and the table.
 *
 * Determinism: every kernel's result depends only on its inputs and shapes,
 * never on the number of threads (each output element is computed by one
 * thread in an order fixed by the shapes). The context is NULL: the CPU
 * backend has no state of its own.
 */
#ifndef GAN_CPU_COMMON_H
#define GAN_CPU_COMMON_H

#include "backend.h"

/* Features per thread chunk in the (N, F) kernels: one chunk's accumulators
 * live on the stack. */
#define GAN_CPU_FEATURE_CHUNK 64

/* Elements per thread chunk of the element-wise kernels: a plain restrict
 * loop per chunk (OpenMP's outlined bodies lose `restrict`, and GCC then
 * falls back to scalar code). */
#define GAN_CPU_ELEMENTWISE_CHUNK 16384

#define GAN_CPU_MIN(a, b) ((a) < (b) ? (a) : (b))

/* The direct convolutions (conv_direct.c) are fast only in AVX-512 builds,
 * where the table has them (column AVX512 of backend_kernels.def);
 * elsewhere they are plain loops that only tests call directly. */

#endif
