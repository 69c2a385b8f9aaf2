/*
 * cuda_common.cuh - what the CUDA backend's files share: the one device
 * state (stream, cuBLAS handle, first pending error), the error-recording
 * macros, launch sizing, and the kernel entry points each file provides to
 * the table in backend_cuda.cu (gemm, pointwise, norm, norm2d, conv, loss,
 * optim, rng, misc).
 *
 * Invariants: every kernel runs on gan_cuda.stream; every CUDA or cuBLAS
 * call is checked; a failure in a call that cannot return a status is kept
 * in gan_cuda (the first one wins) and reported by the next call that can
 * (synchronize, copy_to_host, mem_alloc, graph_*). Kernels are never
 * launched with zero blocks (n == 0 returns before the launch).
 */
#ifndef GAN_CUDA_COMMON_CUH
#define GAN_CUDA_COMMON_CUH

#include "backend.h"
#include "internal.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#define GAN_CUDA_REDUCE_FLOATS 64
#define GAN_CUDA_PARTIALS ((size_t)1 << 17) /* doubles of per-block partial sums (norm2d.cu) */

struct gan_cuda_block {
    void *ptr;
    size_t bytes;
};

struct gan_cuda_state {
    bool ready;
    int device;
    int sm_count;
    cudaStream_t stream;
    cublasHandle_t blas;
    void *blas_workspace; /* cuBLAS workspace, so graph capture needs no allocation */
    size_t blas_workspace_bytes;
    double *scratch; /* (2) device sums for the host-returning bce_logits */
    float *reduce;   /* (GAN_CUDA_REDUCE_FLOATS) scalars passed between kernels (misc.cu) */
    double *partials; /* (GAN_CUDA_PARTIALS) partial sums passed between kernels (norm2d.cu) */
    bool capturing;
    /* mem_alloc bookkeeping: live blocks and byte counts */
    struct gan_cuda_block *blocks;
    size_t n_blocks, cap_blocks;
    size_t bytes_in_use, bytes_peak;
    /* first pending error */
    gan_status err;
    char err_msg[512];
};

extern gan_cuda_state gan_cuda;

/* Keep the first failure: "file:line: what: detail". */
void gan_cuda_record(gan_status status, const char *what, const char *detail, const char *file,
                     int line);

/* Report (through gan_fail) and clear the pending error; GAN_OK if none. */
gan_status gan_cuda_take_error(void);

gan_status gan_cuda_status_of(cudaError_t e);

#define GAN_CUDA_NOTE(call)                                                                        \
    do {                                                                                           \
        cudaError_t gan__e = (call);                                                               \
        if (gan__e != cudaSuccess)                                                                 \
            gan_cuda_record(gan_cuda_status_of(gan__e), #call, cudaGetErrorString(gan__e),         \
                            __FILE__, __LINE__);                                                   \
    } while (0)

#define GAN_CUBLAS_NOTE(call)                                                                      \
    do {                                                                                           \
        cublasStatus_t gan__s = (call);                                                            \
        if (gan__s != CUBLAS_STATUS_SUCCESS)                                                       \
            gan_cuda_record(gan__s == CUBLAS_STATUS_ALLOC_FAILED ? GAN_ERR_OUT_OF_MEMORY           \
                                                                 : GAN_ERR_DEVICE,                 \
                            #call, cublasGetStatusString(gan__s), __FILE__, __LINE__);             \
    } while (0)

/* After a kernel launch: a bad configuration or missing kernel image shows
 * here (errors during the run show at the next synchronize). */
#define GAN_CUDA_LAUNCHED(name)                                                                    \
    do {                                                                                           \
        cudaError_t gan__e = cudaGetLastError();                                                   \
        if (gan__e != cudaSuccess)                                                                 \
            gan_cuda_record(gan_cuda_status_of(gan__e), "launch of " name,                         \
                            cudaGetErrorString(gan__e), __FILE__, __LINE__);                       \
    } while (0)

/* Threads per block for element-wise kernels, and a grid that covers n
 * elements (grid-stride loops cover the rest past a few waves). */
#define GAN_CUDA_THREADS 256

static inline unsigned gan_cuda_blocks(size_t n, int threads) {
    size_t want = (n + (size_t)threads - 1) / (size_t)threads;
    size_t cap = (size_t)(gan_cuda.sm_count > 0 ? gan_cuda.sm_count : 132) * 16;
    if (want > cap) want = cap;
    return want ? (unsigned)want : 1u;
}

/* gemm.cu */
void gan_cuda_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                   int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* pointwise.cu */
void gan_cuda_bias_forward(float *y, const float *b, int N, int F);
void gan_cuda_leaky_relu_forward(float *y, const float *x, size_t n, float alpha);
void gan_cuda_leaky_relu_backward(float *dx, const float *x, const float *dy, size_t n,
                                  float alpha);
void gan_cuda_tanh_forward(float *y, const float *x, size_t n);
void gan_cuda_tanh_backward(float *dx, const float *y, const float *dy, size_t n);
void gan_cuda_batchnorm_forward_infer(float *y, const float *x, const float *running_mean,
                                      const float *running_var, const float *gamma,
                                      const float *beta, int N, int F, float eps);
void gan_cuda_zero(float *x, size_t n);
/* cudaSuccess when this build holds kernels the current device can run. */
cudaError_t gan_cuda_probe_kernels(void);

/* norm.cu: per-feature reductions over the batch rows */
void gan_cuda_bias_backward(float *db, const float *dy, int N, int F);
void gan_cuda_batchnorm_forward_train(float *y, float *mean, float *rstd, float *running_mean,
                                      float *running_var, const float *x, const float *gamma,
                                      const float *beta, int N, int F, float momentum,
                                      float eps);
void gan_cuda_batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                                 const float *x, const float *mean, const float *rstd,
                                 const float *gamma, int N, int F);

/* loss.cu */
double gan_cuda_bce_logits(float *dl, const float *l, const float *t, size_t n, float scale,
                           double *prob_sum);
void gan_cuda_bce_logits_acc(float *dl, const float *l, const float *t, size_t n, float scale,
                             float *sums);
void gan_cuda_loss_acc(float *dl, const float *l, size_t n, gan_loss_term term, float t,
                       float scale, float *sums);

/* optim.cu */
void gan_cuda_adam(float *p, float *m, float *v, const float *g, size_t n, float lr_t, float b1,
                   float b2, float eps);
void gan_cuda_adam_device_lr(float *p, float *m, float *v, const float *g, size_t n,
                             const float *lr_t, float b1, float b2, float eps);
void gan_cuda_adam_schedule(int64_t *t, float *lr_t, float lr, float b1, float b2);
void gan_cuda_ema_update(float *avg, const float *x, size_t n, float decay);
void gan_cuda_clamp(float *x, size_t n, float lo, float hi);

/* rng.cu: the values of gan_rng_uniform / gan_rng_normal, on the device */
void gan_cuda_rng_uniform(uint64_t seed, uint64_t stream, float *out, size_t n);
void gan_cuda_rng_normal(uint64_t seed, uint64_t stream, float *out, size_t n);
void gan_cuda_rng_normal_dev(uint64_t seed, const uint64_t *stream, float *out, size_t n);

/* conv.cu: image layout kernels for convolutions, channel bias */
void gan_cuda_im2col(float *cols, const float *x, int G, const gan_conv_shape *cs);
void gan_cuda_col2im(float *x, const float *cols, int G, const gan_conv_shape *cs);
void gan_cuda_nchw_to_cmajor(float *t, const float *y, int G, int C, int P);
void gan_cuda_cmajor_to_nchw(float *y, const float *t, const float *b, int G, int C, int P);
void gan_cuda_channel_bias_forward(float *y, const float *b, int N, int C, int P);

/* norm2d.cu: batch normalization per channel, and the channel bias gradient */
void gan_cuda_batchnorm2d_forward_train(float *y, float *mean, float *rstd, float *running_mean,
                                        float *running_var, const float *x, const float *gamma,
                                        const float *beta, int N, int C, int P, float momentum,
                                        float eps);
void gan_cuda_batchnorm2d_forward_infer(float *y, const float *x, const float *running_mean,
                                        const float *running_var, const float *gamma,
                                        const float *beta, int N, int C, int P, float eps);
void gan_cuda_batchnorm2d_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                                   const float *x, const float *mean, const float *rstd,
                                   const float *gamma, int N, int C, int P);
void gan_cuda_channel_bias_backward(float *db, const float *dy, int N, int C, int P);

/* misc.cu: dropout, spectral normalization, labels, the training loop's steps */
void gan_cuda_dropout_forward(float *y, const float *x, size_t n, float p, uint64_t seed,
                              uint64_t stream);
void gan_cuda_dropout_backward(float *dx, const float *dy, size_t n, float p, uint64_t seed,
                               uint64_t stream);
void gan_cuda_spectral_norm_forward(float *w, float *sigma, float *u, float *v,
                                    const float *w_orig, int rows, int cols, bool power_iteration,
                                    float eps);
void gan_cuda_spectral_norm_backward(float *dw_orig, const float *dw, const float *w,
                                     const float *u, const float *v, const float *sigma, int rows,
                                     int cols);
void gan_cuda_label_concat_forward(float *y, const float *x, const int32_t *labels,
                                   const float *table, int N, int C, int P, int n_classes, int D);
void gan_cuda_label_concat_backward(float *dx, float *dtable, const float *dy,
                                    const int32_t *labels, int N, int C, int P, int n_classes,
                                    int D);
void gan_cuda_load_batch_u8(float *rows, int32_t *labels, const uint8_t *pixels,
                            const uint8_t *pixel_labels, const uint32_t *order,
                            const int64_t *step, int64_t per_epoch, int K, int k, int B,
                            size_t img);
void gan_cuda_step_advance(int64_t *step, uint64_t *stream, uint64_t stream_base);

#endif
