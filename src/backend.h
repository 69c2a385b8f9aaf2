/*
 * backend.h - the kernel table that layers call: the seam between the model
 * code (written once) and the machines it runs on.
 *
 * Kernels are coarse (a whole matrix product, a whole batch normalization)
 * and take raw float pointers with explicit sizes; all buffers live on the
 * backend's device. Every kernel is declared once, in backend_kernels.def,
 * which generates the table below, each backend's prototypes and tables,
 * and the supports query. The CPU backend (src/cpu/) is the reference that
 * other backends (src/cuda/) are tested against (tests/test_backend_ops.c).
 *
 * Shapes use N = batch rows and F = features; matrices are row-major.
 * Image kernels take NCHW tensors (N, C, P) with P = H*W positions per
 * channel plane, and "channel-major" matrices (C, G P): row c holds plane c
 * of image 0, then of image 1, ... (the layout a convolution's matrix
 * product produces).
 * Parameter-gradient kernels ACCUMULATE (+=); activation gradients are
 * WRITTEN (=).
 *
 * Determinism: every kernel's result depends only on its inputs and shapes,
 * never on the number of threads (reductions run in an order fixed by the
 * shapes).
 * Ordering and errors: a backend runs its kernels in call order on one queue
 * (the CUDA backend: one stream). Kernels and the asynchronous memory calls
 * return nothing; a failure in them is kept (the first one wins) and reported
 * by the next call that returns a gan_status (synchronize, copy_to_host,
 * mem_alloc, graph_*). On the CPU everything runs at once and never fails.
 *
 * Device-resident variants (loss_acc, loss_terms, adam_dev,
 * rng_normal_dev, load_batch_u8, step_advance) take their per-step values from device memory
 * instead of the host, so a captured graph of a whole step can be replayed unchanged and nothing
 * has to come back to the host each step.
 */
#ifndef GAN_BACKEND_H
#define GAN_BACKEND_H

#include "gan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Geometry of a 2-D convolution over images (C, H, W): square kernel k,
 * stride s, padding p, OH x OW output positions. */
typedef struct gan_conv_shape {
    int C, H, W;
    int k, s, p;
    int OH, OW;
} gan_conv_shape;

/* An element-wise activation that a kernel applies to its result z itself
 * (the batch-norm kernels' and bias_act's `act`): none (on false), y = z > 0
 * ? z : slope z (leaky ReLU; ReLU is slope 0), or with tanh set y = tanh z
 * (slope unused). The batch-norm backward kernels take the same act and
 * derive z from x and the saved statistics, so the gradient they receive is
 * that of y; they take no tanh (layer.h: GAN_LAYER_TAKES_TANH). bias_act's
 * backward derives act'(z) from y itself. */
typedef struct gan_act {
    bool on;
    float slope;
    bool tanh;
} gan_act;
#define GAN_ACT_NONE ((gan_act){false, 0.0f, false}) /* C only (a compound literal) */

#ifdef __cplusplus
extern "C" {
#endif

/* A captured sequence of backend calls that can be replayed (CUDA graph). */
typedef struct gan_graph gan_graph;

/* One term of a GAN loss, applied to each raw discriminator output l with a
 * target t (see loss_acc). The trainer (trainer.c) builds every loss of
 * gan_loss from these terms. */
typedef enum gan_loss_term {
    GAN_LOSS_TERM_BCE = 0,     /* f = BCE(sigmoid(l), t) = max(l, 0) - l t + log(1 + exp(-|l|));
                                  f' = sigmoid(l) - t; reported: sigmoid(l) */
    GAN_LOSS_TERM_NEG_BCE = 1, /* f = -BCE(sigmoid(l), t) (with t = 0: log(1 - sigmoid(l)),
                                  the minimax generator); f' = t - sigmoid(l); reported:
                                  sigmoid(l) */
    GAN_LOSS_TERM_SQUARE = 2,  /* f = (l - t)^2 / 2; f' = l - t; reported: l */
    GAN_LOSS_TERM_HINGE = 3,   /* f = max(0, 1 - t l) (t = +1 or -1); f' = -t where
                                  1 - t l > 0, else 0; reported: l */
    GAN_LOSS_TERM_LINEAR = 4   /* f = t l; f' = t; reported: l */
} gan_loss_term;

/* The groups of backend_kernels.def (what each holds: see there). */
typedef enum gan_kernel_group {
    GAN_KERNEL_GROUP_NETWORK = 0,
    GAN_KERNEL_GROUP_CONV_DIRECT = 1,
    GAN_KERNEL_GROUP_CLASSIFIER = 2,
    GAN_KERNEL_GROUP_TRAINER = 3,
    GAN_KERNEL_GROUP_MEMORY = 4,
    GAN_KERNEL_GROUP_SYNC_NORM = 5
} gan_kernel_group;

/* One id per entry of the table: GAN_K_gemm, GAN_K_maxpool2d_forward, ... */
typedef enum gan_kernel {
#define GAN_KERNEL(group, fn, cpu, cuda, ret, params) GAN_K_##fn,
#include "backend_kernels.def"
    GAN_K_COUNT
} gan_kernel;

/* A backend: its kernel table (one field per row of backend_kernels.def)
 * and the context every entry receives as its first argument. Call as
 * be->fn(be->ctx, ...). An entry is NULL where the backend lacks that
 * kernel: ask gan_backend_supports (or gan_backend_require) first. */
typedef struct gan_backend {
    const char *name;
    /* Buffers are plain host memory (the CPU backend): code may read and
     * write them directly. Otherwise only kernels and the memory calls
     * touch them. */
    bool host_memory;
    /* The backend's own state (the CUDA backend: stream, cuBLAS handle,
     * pending error; the CPU backend: none). */
    void *ctx;
#define GAN_KERNEL(group, fn, cpu, cuda, ret, params) ret(*fn) params;
#include "backend_kernels.def"
} gan_backend;

/* Whether be has kernel k (its table entry is not NULL). */
bool gan_backend_supports(const gan_backend *be, gan_kernel k);

/* Whether be has every kernel of a group. */
bool gan_backend_supports_group(const gan_backend *be, gan_kernel_group group);

/* GAN_OK when be has kernel k; else GAN_ERR_UNSUPPORTED with a message
 * naming `user` (the layer or step that needs it), the kernel and the
 * backend. */
gan_status gan_backend_require(const gan_backend *be, gan_kernel k, const char *user);

/* The kernel's name ("maxpool2d_forward"), and its group. */
const char *gan_kernel_name(gan_kernel k);
gan_kernel_group gan_kernel_group_of(gan_kernel k);

/* The prototypes of each backend's kernels (gan_cpu_<fn>: src/cpu/;
 * gan_cuda_<fn>: src/cuda/). A backend's table takes an entry of its own
 * column (Y / N / AVX512) through GAN_KERNEL_IF_<column>(function). */
#define GAN_KERNEL(group, fn, cpu, cuda, ret, params) ret gan_cpu_##fn params;
#include "backend_kernels.def"
#define GAN_KERNEL(group, fn, cpu, cuda, ret, params) ret gan_cuda_##fn params;
#include "backend_kernels.def"

#define GAN_KERNEL_IF_Y(f) f
#define GAN_KERNEL_IF_N(f) NULL
#if defined(__AVX512F__)
#define GAN_KERNEL_IF_AVX512(f) f
#else
#define GAN_KERNEL_IF_AVX512(f) NULL
#endif

/* The CPU reference backend (BLAS + OpenMP). */
const gan_backend *gan_backend_cpu(void);

/* Set the number of CPU threads (0 = all cores) for BLAS and own kernels. */
void gan_backend_cpu_set_threads(int threads);

/* ---- the CUDA backend (src/cuda/; stubs when built with GAN_CUDA=OFF) ---- */

/* Math for matrix products on the CUDA backend. */
typedef enum gan_cuda_math {
    GAN_CUDA_MATH_FP32 = 0,     /* plain FP32 products (CUBLAS_DEFAULT_MATH): no TF32 */
    GAN_CUDA_MATH_PEDANTIC = 1, /* FP32 with cuBLAS's standardized arithmetic (slower) */
    GAN_CUDA_MATH_TF32 = 2,     /* allow TF32 tensor cores (10-bit mantissa inputs; faster) */
    GAN_CUDA_MATH_BF16 = 3      /* bf16 inputs, fp32 accumulation and storage: products through
                                   CUBLAS_COMPUTE_32F_FAST_16BF, convolutions through cuDNN on
                                   bf16 copies (docs/cuda.md) */
} gan_cuda_math;

/* Open CUDA device `device` (0-based): one stream, one cuBLAS handle and its
 * workspace. GAN_ERR_UNSUPPORTED, with the reason, when the build has no
 * CUDA, the driver is missing or too old, or there is no such GPU (an
 * initialised backend then stays as it was). Calling it again with a valid
 * device first releases the previous one (free its memory before). */
gan_status gan_backend_cuda_init(int device);

/* The CUDA kernel table (valid after gan_backend_cuda_init succeeded; NULL
 * in a build without CUDA). Single-threaded use: one host thread at a time. */
const gan_backend *gan_backend_cuda(void);

/* Choose the math of matrix products and convolutions (default
 * GAN_CUDA_MATH_FP32); it also picks the convolution path: direct
 * convolutions for tf32 and bf16 (per shape cuDNN or im2col + cuBLAS inside
 * the backend, whichever is faster: src/cuda/conv_cudnn.cu), the layers'
 * im2col + cuBLAS for fp32, unless GAN_CUDA_CONV=im2col|cudnn|gemm|auto says
 * (GAN_ERR_INVALID_ARGUMENT for another value, GAN_ERR_UNSUPPORTED for the
 * direct ones in a build without cuDNN). Choose it before building models:
 * a model built on the direct path plans no im2col columns (model.h), so it
 * must not run after a switch to the im2col path. It also reads GAN_CUDA_GEMM
 * (auto|lt|blas: the products' path, src/cuda/gemm_lt.cu; GAN_ERR_INVALID_ARGUMENT
 * for another value, GAN_ERR_UNSUPPORTED for lt when libcublasLt cannot be loaded). */
gan_status gan_backend_cuda_set_math(gan_cuda_math math);

/* Whether this build has cuDNN (src/cuda/conv_cudnn.cu). */
bool gan_backend_cuda_has_cudnn(void);

/* The direct convolutions' plans so far, one line each into buf (at most
 * cap bytes, NUL-terminated; lines that do not fit are left out): the call
 * (forward, data or weight gradient), its shape and math, the path taken
 * (cudnn or gemm) and the measured ms per call of each path timed. Returns
 * the number of plans (0 without a GPU or cuDNN). For benches and debugging. */
size_t gan_backend_cuda_conv_report(char *buf, size_t cap);

/* The matrix products' plans so far (src/cuda/gemm_lt.cu: GAN_CUDA_GEMM=auto
 * or lt), one line each into buf as gan_backend_cuda_conv_report writes
 * them: the shape (transposes, M, N, K, leading dimensions, beta zero or
 * not, math, path asked), the path taken (lt or blas), the measured ms per
 * call of cuBLAS and of the fastest cuBLASLt candidate, and the algorithm
 * kept. Returns the number of plans (0 on the blas path or without a GPU). */
size_t gan_backend_cuda_gemm_report(char *buf, size_t cap);

/* Wait for queued work and release the stream, handle and workspace (memory
 * from mem_alloc must be freed before). Safe to call when not initialised. */
void gan_backend_cuda_shutdown(void);

/* gan_backend_cuda_init(device) unless the backend is already open on that
 * device (then nothing changes: memory stays valid). What a trainer or
 * generator on the GPU calls. */
gan_status gan_backend_cuda_open(int device);

/* The backend's one stream (a cudaStream_t; NULL when not open): where
 * other libraries' work (NCCL, src/comm/) is queued in the kernels' order. */
void *gan_backend_cuda_stream(void);

/* Bytes of device memory held through mem_alloc now, and the most held at
 * once since init (0 and 0 when not initialised or built without CUDA). */
void gan_backend_cuda_memory(size_t *in_use, size_t *peak);

#ifdef __cplusplus
}
#endif

#endif
