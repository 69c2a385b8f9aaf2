/*
 * backend.h - the kernel table that layers call: the seam between the model
 * code (written once) and the machines it runs on.
 *
 * Kernels are coarse (a whole matrix product, a whole batch normalization)
 * and take raw float pointers with explicit sizes; all buffers live on the
 * backend's device. The CPU backend (backend_cpu.c) is the reference that
 * other backends are tested against.
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
 * Device-resident variants (bce_logits_acc, adam_schedule, adam_device_lr,
 * rng_normal_dev) take their per-step values from device memory instead of
 * the host, so a captured graph of a whole step can be replayed unchanged
 * and nothing has to come back to the host each step.
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

typedef struct gan_backend {
    const char *name;
    /* Buffers are plain host memory (the CPU backend): code may read and
     * write them directly. Otherwise only kernels and the memory calls below
     * touch them. */
    bool host_memory;

    /* C (M, N) = alpha * op(A) op(B) + beta * C, row-major; op(A) is (M, K),
     * op(B) is (K, N); trans_a / trans_b transpose the stored matrix. */
    void (*gemm)(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                 int lda, const float *B, int ldb, float beta, float *C, int ldc);

    /* y (N, F) += b (F) broadcast over rows. */
    void (*bias_forward)(float *y, const float *b, int N, int F);
    /* db (F) += sum over rows of dy (N, F). */
    void (*bias_backward)(float *db, const float *dy, int N, int F);

    /* y = x > 0 ? x : alpha * x, n elements (y and x do not overlap). */
    void (*leaky_relu_forward)(float *y, const float *x, size_t n, float alpha);
    /* dx = dy * (x > 0 ? 1 : alpha). */
    void (*leaky_relu_backward)(float *dx, const float *x, const float *dy, size_t n, float alpha);

    /* y = tanh(x). */
    void (*tanh_forward)(float *y, const float *x, size_t n);
    /* dx = dy * (1 - y^2), from the forward output y. */
    void (*tanh_backward)(float *dx, const float *y, const float *dy, size_t n);

    /* Batch normalization over rows of x (N, F), training mode: per feature
     * f, mean and biased variance over the N rows; y = gamma * (x - mean) *
     * rstd + beta with rstd = 1/sqrt(var + eps); saves mean (F), rstd (F);
     * running = momentum * running + (1 - momentum) * batch statistic. */
    void (*batchnorm_forward_train)(float *y, float *mean, float *rstd, float *running_mean,
                                    float *running_var, const float *x, const float *gamma,
                                    const float *beta, int N, int F, float momentum, float eps);
    /* Inference mode: normalise with the running statistics. */
    void (*batchnorm_forward_infer)(float *y, const float *x, const float *running_mean,
                                    const float *running_var, const float *gamma,
                                    const float *beta, int N, int F, float eps);
    /* Backward of the training-mode forward. dgamma, dbeta accumulate (and
     * are skipped when NULL); dx is written (skipped when NULL). */
    void (*batchnorm_backward)(float *dx, float *dgamma, float *dbeta, const float *dy,
                               const float *x, const float *mean, const float *rstd,
                               const float *gamma, int N, int F);

    /* Binary cross-entropy from logits l (n) against targets t (n),
     * computed stably: max(l, 0) - l t + log(1 + exp(-|l|)). Writes
     * dl = scale * (sigmoid(l) - t) and returns the SUM of the losses
     * (double); prob_sum (may be NULL) gets the sum of sigmoid(l). */
    double (*bce_logits)(float *dl, const float *l, const float *t, size_t n, float scale,
                         double *prob_sum);

    /* One Adam step over n parameters, Keras formula: m = b1 m + (1-b1) g;
     * v = b2 v + (1-b2) g^2; p -= lr_t m / (sqrt(v) + eps) with
     * lr_t = lr sqrt(1 - b2^t) / (1 - b1^t) given by the caller. */
    void (*adam)(float *p, float *m, float *v, const float *g, size_t n, float lr_t, float b1,
                 float b2, float eps);

    /* x[i] = 0 for n elements. */
    void (*zero)(float *x, size_t n);

    /* ---- convolutions (layers/conv2d.c, layers/conv_transpose2d.c) ---- */

    /* cols (C k k, G OH OW) from x (G, C, H, W): row (c k + i) k + j,
     * column (g OH + oh) OW + ow holds x[g][c][oh s - p + i][ow s - p + j],
     * 0 where that falls in the padding. Written. */
    void (*im2col)(float *cols, const float *x, int G, const gan_conv_shape *cs);
    /* The adjoint: x (G, C, H, W) = for each element, the sum of the cols
     * entries im2col would copy from it. Written. */
    void (*col2im)(float *x, const float *cols, int G, const gan_conv_shape *cs);
    /* Optional direct convolutions (NULL: layers use im2col, gemm and
     * col2im). The convolution maps x (N, C, H, W) to y (N, Cout, OH, OW)
     * with geometry cs and weights w (Cout, C, k, k):
     *   conv2d_forward: y = conv(x) + b per channel (b may be NULL); written.
     *   conv2d_backward_data: dx (N, C, H, W) = d sum(dy y) / dx; written.
     *   conv2d_backward_weight: dw = beta dw + d sum(dy y) / dw (beta 0 or 1).
     * A conv_transpose2d is these with input and output exchanged. The CPU
     * backend has them where it is built for AVX-512. */
    void (*conv2d_forward)(float *y, const float *x, const float *w, const float *b, int N,
                           const gan_conv_shape *cs, int Cout);
    void (*conv2d_backward_data)(float *dx, const float *dy, const float *w, int N,
                                 const gan_conv_shape *cs, int Cout);
    void (*conv2d_backward_weight)(float *dw, const float *x, const float *dy, int N,
                                   const gan_conv_shape *cs, int Cout, float beta);
    /* t (C, G P) = y (G, C, P), channel-major. */
    void (*nchw_to_cmajor)(float *t, const float *y, int G, int C, int P);
    /* y (G, C, P) = t (C, G P) + b (C) per channel (b may be NULL). */
    void (*cmajor_to_nchw)(float *y, const float *t, const float *b, int G, int C, int P);
    /* y (N, C, P) += b (C) per channel. */
    void (*channel_bias_forward)(float *y, const float *b, int N, int C, int P);
    /* db (C) += sum over N and P of dy (N, C, P). */
    void (*channel_bias_backward)(float *db, const float *dy, int N, int C, int P);

    /* Batch normalization per channel of x (N, C, P): statistics over N and
     * P; otherwise exactly as batchnorm_forward_train / _infer / _backward
     * with C in place of F (mean, rstd, running statistics, gamma, beta are
     * (C)). */
    void (*batchnorm2d_forward_train)(float *y, float *mean, float *rstd, float *running_mean,
                                      float *running_var, const float *x, const float *gamma,
                                      const float *beta, int N, int C, int P, float momentum,
                                      float eps);
    void (*batchnorm2d_forward_infer)(float *y, const float *x, const float *running_mean,
                                      const float *running_var, const float *gamma,
                                      const float *beta, int N, int C, int P, float eps);
    void (*batchnorm2d_backward)(float *dx, float *dgamma, float *dbeta, const float *dy,
                                 const float *x, const float *mean, const float *rstd,
                                 const float *gamma, int N, int C, int P);

    /* ---- dropout, spectral normalization, labels ---- */

    /* y = x * keep / (1 - p), n elements, keep = (u >= p) with u the uniform
     * number j of (seed, stream) as gan_rng_uniform draws it (rng.h). */
    void (*dropout_forward)(float *y, const float *x, size_t n, float p, uint64_t seed,
                            uint64_t stream);
    /* dx = dy * keep / (1 - p) with the same keep as the forward. */
    void (*dropout_backward)(float *dx, const float *dy, size_t n, float p, uint64_t seed,
                             uint64_t stream);

    /* Spectral normalization of w_orig (rows, cols) (PyTorch semantics).
     * When power_iteration: v = normalize(w_orig^T u), u = normalize(w_orig v)
     * (normalize(a) = a / max(|a|, eps)), updating u (rows) and v (cols).
     * Then sigma = u . (w_orig v) (a single float) and w = w_orig / sigma. */
    void (*spectral_norm_forward)(float *w, float *sigma, float *u, float *v,
                                  const float *w_orig, int rows, int cols, bool power_iteration,
                                  float eps);
    /* dw_orig += (dw - <dw, w> u v^T) / sigma: the gradient through
     * w = w_orig / (u . w_orig v) with u and v held constant. */
    void (*spectral_norm_backward)(float *dw_orig, const float *dw, const float *w,
                                   const float *u, const float *v, const float *sigma, int rows,
                                   int cols);

    /* y (N, C + D, P) = x (N, C, P) with D channels appended per row n,
     * constant over P: one-hot of labels[n] when table is NULL (D =
     * n_classes), else table[labels[n]] (table (n_classes, D)). A label
     * outside [0, n_classes), or labels == NULL, gives zeros. */
    void (*label_concat_forward)(float *y, const float *x, const int32_t *labels,
                                 const float *table, int N, int C, int P, int n_classes, int D);
    /* dx (N, C, P) = the first C channels of dy (N, C + D, P) (skipped when
     * NULL); dtable (n_classes, D) += per row, the sums over P of the
     * appended channels (skipped when NULL). */
    void (*label_concat_backward)(float *dx, float *dtable, const float *dy,
                                  const int32_t *labels, int N, int C, int P, int n_classes,
                                  int D);
    /* ---- classifiers (the feature network of `gan eval`; CPU only for now:
     * NULL in the CUDA table) ---- */

    /* Max pooling of x (N, C, H, W) over k x k windows at stride s (no
     * padding; cs->p must be 0): y (N, C, OH, OW), each the window's maximum. */
    void (*maxpool2d_forward)(float *y, const float *x, int N, const gan_conv_shape *cs);
    /* dx (N, C, H, W) = the sum, over the windows that contain an element, of
     * the window's dy when that element is the window's first maximum in
     * row-major order (found again by comparing x with the forward's y), 0
     * elsewhere. Written. */
    void (*maxpool2d_backward)(float *dx, const float *x, const float *y, const float *dy, int N,
                               const gan_conv_shape *cs);

    /* Softmax cross-entropy of logits l (N, K) against class labels (N, each
     * in [0, K)): loss_n = log sum_k exp(l_nk) - l_n,label_n, computed in
     * double with the row maximum subtracted. Writes dl (N, K) = scale *
     * (softmax(l_n) - onehot(label_n)) (skipped when NULL) and returns the
     * SUM of the N losses (double); *correct (may be NULL) gets the number of
     * rows whose first maximal logit is at the label. */
    double (*softmax_xent)(float *dl, const float *l, const int32_t *labels, int N, int K,
                           float scale, int64_t *correct);

    /* ---- device-resident variants (no value comes back to the host) ---- */

    /* bce_logits that ACCUMULATES its sums into device memory: sums[0] +=
     * the sum of the n losses, sums[1] += the sum of sigmoid(l) (float).
     * dl (may be NULL) is written as in bce_logits. (The CUDA kernel is one
     * block: meant for a batch of logits, not millions.) */
    void (*bce_logits_acc)(float *dl, const float *l, const float *t, size_t n, float scale,
                           float *sums);

    /* Advance an Adam schedule held in device memory: *t += 1, then
     * *lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), computed in double and rounded
     * once to float (the same value gan_model_adam_step passes to adam). */
    void (*adam_schedule)(int64_t *t, float *lr_t, float lr, float b1, float b2);

    /* adam with lr_t read from device memory (*lr_t) when the kernel runs. */
    void (*adam_device_lr)(float *p, float *m, float *v, const float *g, size_t n,
                           const float *lr_t, float b1, float b2, float eps);

    /* ---- the training loop's own steps (trainer.c), per-step values in
     * device memory ---- */

    /* rows (B, img) = (pixels[order[pos B + b]] - 127.5) / 127.5 as floats,
     * pos = (*step % per_epoch) K + k: real batch k of the K batches of step
     * *step, with pixels (count, img) uint8 and order (count) this epoch's
     * permutation. With labels (B) not NULL, also labels[b] =
     * pixel_labels[order[pos B + b]] (pixel_labels (count) uint8 classes). */
    void (*load_batch_u8)(float *rows, int32_t *labels, const uint8_t *pixels,
                          const uint8_t *pixel_labels, const uint32_t *order,
                          const int64_t *step, int64_t per_epoch, int K, int k, int B,
                          size_t img);
    /* *step += 1, then *stream = stream_base | *step (the random stream of
     * the next step: gan_rng_stream(purpose, step) with stream_base =
     * gan_rng_stream(purpose, 0)). */
    void (*step_advance)(int64_t *step, uint64_t *stream, uint64_t stream_base);

    /* ---- GAN losses, weight averaging, weight clipping (device-resident) ---- */

    /* One loss term over n outputs l (see gan_loss_term) with target t:
     * writes dl = scale * f'(l) (dl may be NULL) and ACCUMULATES sums[0] +=
     * the sum of f(l), sums[1] += the sum of the reported values (float;
     * each sum is formed in double first). Elementwise arithmetic is the
     * same as bce_logits for GAN_LOSS_TERM_BCE, so it gives the same dl.
     * (The CUDA kernel is one block: meant for a batch of outputs.) */
    void (*loss_acc)(float *dl, const float *l, size_t n, gan_loss_term term, float t,
                     float scale, float *sums);

    /* Exponential moving average: avg = decay * avg + (1 - decay) * x, n
     * elements (avg and x do not overlap). */
    void (*ema_update)(float *avg, const float *x, size_t n, float decay);

    /* x = min(max(x, lo), hi), n elements, in place. */
    void (*clamp)(float *x, size_t n, float lo, float hi);

    /* ---- random numbers: the values of gan_rng_uniform / gan_rng_normal ---- */

    /* out (n) = gan_rng_uniform(seed, stream, out, n), bit for bit. */
    void (*rng_uniform)(uint64_t seed, uint64_t stream, float *out, size_t n);
    /* out (n) = gan_rng_normal(seed, stream, out, n) (the CUDA backend's
     * double-precision log/sin/cos may differ from the C library's by an
     * ulp or two of double, so a float can rarely differ by 1 ulp). */
    void (*rng_normal)(uint64_t seed, uint64_t stream, float *out, size_t n);
    /* rng_normal with the stream id read from device memory (*stream). */
    void (*rng_normal_dev)(uint64_t seed, const uint64_t *stream, float *out, size_t n);

    /* ---- memory: all pointers below are the backend's device pointers
     * unless named host ---- */

    /* *ptr = `bytes` zeroed bytes, aligned to at least 64 bytes (CUDA: 256);
     * bytes == 0 gives *ptr = NULL. Fails with GAN_ERR_OUT_OF_MEMORY naming
     * the size. Never call while a graph is being captured. */
    gan_status (*mem_alloc)(void **ptr, size_t bytes);
    /* Release mem_alloc memory (NULL is allowed); waits for queued work. */
    void (*mem_free)(void *ptr);
    /* Host -> device, queued in order with the kernels: host_src must stay
     * valid and unchanged until the next synchronize (or copy_to_host). */
    void (*copy_to_device)(void *dst, const void *host_src, size_t bytes);
    /* Device -> host: waits for all queued work, copies, and returns the
     * first error of any call since the last check. */
    gan_status (*copy_to_host)(void *host_dst, const void *src, size_t bytes);
    /* Device -> device, queued (dst and src must not overlap). */
    void (*copy)(void *dst, const void *src, size_t bytes);
    /* Set `bytes` bytes at dst to the byte `value`, queued. */
    void (*mem_set)(void *dst, int value, size_t bytes);
    /* Wait for all queued work; returns the first error of any call since
     * the last check (and clears it). */
    gan_status (*synchronize)(void);

    /* ---- graphs: record a sequence of calls once, replay it cheaply ----
     * Between graph_begin and graph_end, calls are recorded, not run (their
     * pointer and scalar arguments are frozen: pass per-step values through
     * device memory). Inside, only kernels, copy, mem_set and zero: no
     * mem_alloc, mem_free, copy_to_device (from pageable host memory),
     * copy_to_host, synchronize or bce_logits (it returns to the host); a
     * call that fails while recording makes graph_end fail. Call each kernel
     * once before capturing (cuBLAS may load code on first use).
     * The CPU backend returns GAN_ERR_UNSUPPORTED. */
    gan_status (*graph_begin)(void);
    gan_status (*graph_end)(gan_graph **out);
    /* Queue one replay of the graph (asynchronous, like a kernel). */
    gan_status (*graph_replay)(gan_graph *g);
    void (*graph_free)(gan_graph *g); /* NULL is allowed */
} gan_backend;

/* The CPU reference backend (BLAS + OpenMP). */
const gan_backend *gan_backend_cpu(void);

/* Set the number of CPU threads (0 = all cores) for BLAS and own kernels. */
void gan_backend_cpu_set_threads(int threads);

/* ---- the CUDA backend (src/cuda/; stubs when built with GAN_CUDA=OFF) ---- */

/* Math for matrix products on the CUDA backend. */
typedef enum gan_cuda_math {
    GAN_CUDA_MATH_FP32 = 0,     /* plain FP32 products (CUBLAS_DEFAULT_MATH): no TF32 */
    GAN_CUDA_MATH_PEDANTIC = 1, /* FP32 with cuBLAS's standardized arithmetic (slower) */
    GAN_CUDA_MATH_TF32 = 2      /* allow TF32 tensor cores (10-bit mantissa inputs; faster) */
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

/* Choose the math of matrix products (default GAN_CUDA_MATH_FP32). */
gan_status gan_backend_cuda_set_math(gan_cuda_math math);

/* Wait for queued work and release the stream, handle and workspace (memory
 * from mem_alloc must be freed before). Safe to call when not initialised. */
void gan_backend_cuda_shutdown(void);

/* gan_backend_cuda_init(device) unless the backend is already open on that
 * device (then nothing changes: memory stays valid). What a trainer or
 * generator on the GPU calls. */
gan_status gan_backend_cuda_open(int device);

/* Bytes of device memory held through mem_alloc now, and the most held at
 * once since init (0 and 0 when not initialised or built without CUDA). */
void gan_backend_cuda_memory(size_t *in_use, size_t *peak);

#ifdef __cplusplus
}
#endif

#endif
