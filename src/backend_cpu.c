/*
 * backend_cpu.c - the CPU reference backend: element-wise, normalization,
 * loss and optimizer kernels as plain loops that the compiler vectorizes,
 * spread over threads with OpenMP, and the kernel table.
 *
 * Determinism: every output element is computed by one thread in a fixed
 * order that does not depend on the thread count (per-feature reductions run
 * over the batch rows in order; threads split the features), so results are
 * bit-identical at any --threads.
 *
 * Matrix products (backend_cpu_gemm.c: an own AVX-512 kernel, else OpenBLAS
 * on fixed column slabs), direct convolutions (backend_cpu_conv_direct.c,
 * AVX-512 builds), convolution layout kernels, channel batch norm, dropout,
 * spectral norm, labels, max pooling, softmax cross-entropy, GAN losses, EMA
 * and clipping live in backend_cpu_*.c (backend_cpu_kernels.h).
 */
#include "backend.h"
#include "backend_cpu_kernels.h"
#include "internal.h"
#include "rng.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* Features per thread chunk in the (N, F) kernels: one chunk's accumulators
 * live on the stack. */
#define FEATURE_CHUNK 64
#define GAN_MIN_INT(a, b) ((a) < (b) ? (a) : (b))

void gan_backend_cpu_set_threads(int threads) {
    if (threads <= 0) threads = omp_get_num_procs();
    /* OpenBLAS's own threading changes results with the thread count (and
     * with the shapes it splits); cpu_gemm threads over fixed slabs instead.
     * (OpenMP builds of OpenBLAS set OpenMP's thread count here too, so this
     * call must come first.) */
    openblas_set_num_threads(1);
    omp_set_num_threads(threads);
}

static void cpu_bias_forward(float *y, const float *b, int N, int F) {
#pragma omp parallel for schedule(static) if ((size_t)N * F > 32768)
    for (int n = 0; n < N; n++) {
        float *row = y + (size_t)n * F;
#pragma omp simd
        for (int f = 0; f < F; f++) row[f] += b[f];
    }
}

static void cpu_bias_backward(float *db, const float *dy, int N, int F) {
    int chunks = (F + FEATURE_CHUNK - 1) / FEATURE_CHUNK;
#pragma omp parallel for schedule(static) if ((size_t)N * F > 32768)
    for (int c = 0; c < chunks; c++) {
        int f0 = c * FEATURE_CHUNK, nf = GAN_MIN_INT(FEATURE_CHUNK, F - f0);
        float acc[FEATURE_CHUNK] = {0};
        for (int n = 0; n < N; n++) {
            const float *row = dy + (size_t)n * F + f0;
#pragma omp simd
            for (int f = 0; f < nf; f++) acc[f] += row[f];
        }
        for (int f = 0; f < nf; f++) db[f0 + f] += acc[f];
    }
}

/* Element-wise kernels: a plain restrict loop per thread chunk (OpenMP's
 * outlined bodies lose `restrict`, and GCC then falls back to scalar code). */
#define ELEMENTWISE_CHUNK 16384

static void leaky_relu_fwd_range(float *restrict y, const float *restrict x, size_t n,
                                 float alpha) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : alpha * x[i];
}

static void leaky_relu_bwd_range(float *restrict dx, const float *restrict x,
                                 const float *restrict dy, size_t n, float alpha) {
    for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0.0f ? dy[i] : alpha * dy[i];
}

static void tanh_bwd_range(float *restrict dx, const float *restrict y, const float *restrict dy,
                           size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

static void cpu_leaky_relu_forward(float *y, const float *x, size_t n, float alpha) {
    size_t chunks = (n + ELEMENTWISE_CHUNK - 1) / ELEMENTWISE_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t i = c * ELEMENTWISE_CHUNK, len = GAN_MIN_INT(ELEMENTWISE_CHUNK, n - i);
        leaky_relu_fwd_range(y + i, x + i, len, alpha);
    }
}

static void cpu_leaky_relu_backward(float *dx, const float *x, const float *dy, size_t n,
                                    float alpha) {
    size_t chunks = (n + ELEMENTWISE_CHUNK - 1) / ELEMENTWISE_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t i = c * ELEMENTWISE_CHUNK, len = GAN_MIN_INT(ELEMENTWISE_CHUNK, n - i);
        leaky_relu_bwd_range(dx + i, x + i, dy + i, len, alpha);
    }
}

static void cpu_tanh_forward(float *y, const float *x, size_t n) {
#pragma omp parallel for schedule(static) if (n > 16384)
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}

static void cpu_tanh_backward(float *dx, const float *y, const float *dy, size_t n) {
    size_t chunks = (n + ELEMENTWISE_CHUNK - 1) / ELEMENTWISE_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t i = c * ELEMENTWISE_CHUNK, len = GAN_MIN_INT(ELEMENTWISE_CHUNK, n - i);
        tanh_bwd_range(dx + i, y + i, dy + i, len);
    }
}

static void cpu_batchnorm_forward_train(float *y, float *mean, float *rstd, float *running_mean,
                                        float *running_var, const float *x, const float *gamma,
                                        const float *beta, int N, int F, float momentum,
                                        float eps) {
    int chunks = (F + FEATURE_CHUNK - 1) / FEATURE_CHUNK;
    float inv_n = 1.0f / (float)N;
#pragma omp parallel for schedule(static) if ((size_t)N * F > 16384)
    for (int c = 0; c < chunks; c++) {
        int f0 = c * FEATURE_CHUNK, nf = GAN_MIN_INT(FEATURE_CHUNK, F - f0);
        float mu[FEATURE_CHUNK] = {0}, var[FEATURE_CHUNK] = {0};
        for (int n = 0; n < N; n++) {
            const float *row = x + (size_t)n * F + f0;
#pragma omp simd
            for (int f = 0; f < nf; f++) mu[f] += row[f];
        }
        for (int f = 0; f < nf; f++) mu[f] *= inv_n;
        for (int n = 0; n < N; n++) {
            const float *row = x + (size_t)n * F + f0;
#pragma omp simd
            for (int f = 0; f < nf; f++) {
                float d = row[f] - mu[f];
                var[f] += d * d;
            }
        }
        float scale[FEATURE_CHUNK];
        for (int f = 0; f < nf; f++) {
            var[f] *= inv_n;
            float r = 1.0f / sqrtf(var[f] + eps);
            mean[f0 + f] = mu[f];
            rstd[f0 + f] = r;
            scale[f] = gamma[f0 + f] * r;
            running_mean[f0 + f] = momentum * running_mean[f0 + f] + (1.0f - momentum) * mu[f];
            running_var[f0 + f] = momentum * running_var[f0 + f] + (1.0f - momentum) * var[f];
        }
        for (int n = 0; n < N; n++) {
            const float *row = x + (size_t)n * F + f0;
            float *out = y + (size_t)n * F + f0;
#pragma omp simd
            for (int f = 0; f < nf; f++) out[f] = (row[f] - mu[f]) * scale[f] + beta[f0 + f];
        }
    }
}

static void cpu_batchnorm_forward_infer(float *y, const float *x, const float *running_mean,
                                        const float *running_var, const float *gamma,
                                        const float *beta, int N, int F, float eps) {
#pragma omp parallel for schedule(static) if ((size_t)N * F > 32768)
    for (int n = 0; n < N; n++) {
        const float *row = x + (size_t)n * F;
        float *out = y + (size_t)n * F;
#pragma omp simd
        for (int f = 0; f < F; f++)
            out[f] = (row[f] - running_mean[f]) * (gamma[f] / sqrtf(running_var[f] + eps)) +
                     beta[f];
    }
}

static void cpu_batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                                   const float *x, const float *mean, const float *rstd,
                                   const float *gamma, int N, int F) {
    int chunks = (F + FEATURE_CHUNK - 1) / FEATURE_CHUNK;
    float inv_n = 1.0f / (float)N;
#pragma omp parallel for schedule(static) if ((size_t)N * F > 16384)
    for (int c = 0; c < chunks; c++) {
        int f0 = c * FEATURE_CHUNK, nf = GAN_MIN_INT(FEATURE_CHUNK, F - f0);
        float sum_dy[FEATURE_CHUNK] = {0}, sum_dy_xhat[FEATURE_CHUNK] = {0};
        for (int n = 0; n < N; n++) {
            const float *g = dy + (size_t)n * F + f0;
            const float *row = x + (size_t)n * F + f0;
#pragma omp simd
            for (int f = 0; f < nf; f++) {
                float xhat = (row[f] - mean[f0 + f]) * rstd[f0 + f];
                sum_dy[f] += g[f];
                sum_dy_xhat[f] += g[f] * xhat;
            }
        }
        for (int f = 0; f < nf; f++) {
            if (dbeta) dbeta[f0 + f] += sum_dy[f];
            if (dgamma) dgamma[f0 + f] += sum_dy_xhat[f];
        }
        if (!dx) continue;
        for (int n = 0; n < N; n++) {
            const float *g = dy + (size_t)n * F + f0;
            const float *row = x + (size_t)n * F + f0;
            float *out = dx + (size_t)n * F + f0;
#pragma omp simd
            for (int f = 0; f < nf; f++) {
                float r = rstd[f0 + f];
                float xhat = (row[f] - mean[f0 + f]) * r;
                out[f] = gamma[f0 + f] * r *
                         (g[f] - inv_n * sum_dy[f] - xhat * inv_n * sum_dy_xhat[f]);
            }
        }
    }
}

static double cpu_bce_logits(float *dl, const float *l, const float *t, size_t n, float scale,
                             double *prob_sum) {
    double loss = 0, probs = 0;
    for (size_t i = 0; i < n; i++) {
        float z = l[i];
        float e = expf(-fabsf(z));
        float p = z >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e); /* sigmoid, no overflow */
        loss += (double)(fmaxf(z, 0.0f) - z * t[i] + log1pf(e));
        probs += p;
        if (dl) dl[i] = scale * (p - t[i]);
    }
    if (prob_sum) *prob_sum = probs;
    return loss;
}

static void adam_range(float *restrict p, float *restrict m, float *restrict v,
                       const float *restrict g, size_t n, float lr_t, float b1, float b2,
                       float eps) {
    for (size_t i = 0; i < n; i++) {
        float mi = b1 * m[i] + (1.0f - b1) * g[i];
        float vi = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr_t * mi / (sqrtf(vi) + eps);
    }
}

static void cpu_adam(float *p, float *m, float *v, const float *g, size_t n, float lr_t, float b1,
                     float b2, float eps) {
    size_t chunks = (n + ELEMENTWISE_CHUNK - 1) / ELEMENTWISE_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t i = c * ELEMENTWISE_CHUNK, len = GAN_MIN_INT(ELEMENTWISE_CHUNK, n - i);
        adam_range(p + i, m + i, v + i, g + i, len, lr_t, b1, b2, eps);
    }
}

static void cpu_zero(float *x, size_t n) {
    size_t chunks = (n + ELEMENTWISE_CHUNK - 1) / ELEMENTWISE_CHUNK;
#pragma omp parallel for schedule(static) if (chunks > 2)
    for (size_t c = 0; c < chunks; c++) {
        size_t i = c * ELEMENTWISE_CHUNK, len = GAN_MIN_INT(ELEMENTWISE_CHUNK, n - i);
        memset(x + i, 0, len * sizeof *x);
    }
}

/* ---- device-resident variants: on the CPU, "device memory" is host memory */

static void cpu_bce_logits_acc(float *dl, const float *l, const float *t, size_t n, float scale,
                               float *sums) {
    double probs = 0;
    double loss = cpu_bce_logits(dl, l, t, n, scale, &probs);
    sums[0] += (float)loss;
    sums[1] += (float)probs;
}

static void cpu_adam_schedule(int64_t *t, float *lr_t, float lr, float b1, float b2) {
    *t += 1;
    double td = (double)*t;
    *lr_t = (float)(lr * sqrt(1.0 - pow(b2, td)) / (1.0 - pow(b1, td)));
}

static void cpu_adam_device_lr(float *p, float *m, float *v, const float *g, size_t n,
                               const float *lr_t, float b1, float b2, float eps) {
    cpu_adam(p, m, v, g, n, *lr_t, b1, b2, eps);
}

static void cpu_rng_normal_dev(uint64_t seed, const uint64_t *stream, float *out, size_t n) {
    gan_rng_normal(seed, *stream, out, n);
}

/* ---- memory ---- */

#define CPU_ALIGN 64

static gan_status cpu_mem_alloc(void **ptr, size_t bytes) {
    *ptr = NULL;
    if (bytes == 0) return GAN_OK;
    if (bytes > SIZE_MAX - CPU_ALIGN)
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes of host memory", bytes);
    size_t rounded = (bytes + CPU_ALIGN - 1) / CPU_ALIGN * CPU_ALIGN;
    void *p = aligned_alloc(CPU_ALIGN, rounded);
    if (!p)
        return gan_fail(GAN_ERR_OUT_OF_MEMORY, "out of host memory allocating %zu bytes", bytes);
    memset(p, 0, rounded);
    *ptr = p;
    return GAN_OK;
}

static void cpu_mem_free(void *ptr) {
    free(ptr);
}

static void cpu_copy_to_device(void *dst, const void *host_src, size_t bytes) {
    if (bytes) memcpy(dst, host_src, bytes);
}

static gan_status cpu_copy_to_host(void *host_dst, const void *src, size_t bytes) {
    if (bytes) memcpy(host_dst, src, bytes);
    return GAN_OK;
}

static void cpu_copy(void *dst, const void *src, size_t bytes) {
    if (bytes) memcpy(dst, src, bytes);
}

static void cpu_mem_set(void *dst, int value, size_t bytes) {
    if (bytes) memset(dst, value, bytes);
}

static gan_status cpu_synchronize(void) {
    return GAN_OK;
}

/* ---- graphs: not on the CPU (there is no launch cost to save) ---- */

static gan_status cpu_graph_begin(void) {
    return gan_fail(GAN_ERR_UNSUPPORTED, "the cpu backend cannot capture graphs");
}

static gan_status cpu_graph_end(gan_graph **out) {
    *out = NULL;
    return gan_fail(GAN_ERR_UNSUPPORTED, "the cpu backend cannot capture graphs");
}

static gan_status cpu_graph_replay(gan_graph *g) {
    return gan_fail(GAN_ERR_UNSUPPORTED, "the cpu backend cannot replay graphs");
}

static void cpu_graph_free(gan_graph *g) {}

static const gan_backend cpu_backend = {
    .name = "cpu",
    .host_memory = true,
    .gemm = gan_cpu_gemm,
    .bias_forward = cpu_bias_forward,
    .bias_backward = cpu_bias_backward,
    .leaky_relu_forward = cpu_leaky_relu_forward,
    .leaky_relu_backward = cpu_leaky_relu_backward,
    .tanh_forward = cpu_tanh_forward,
    .tanh_backward = cpu_tanh_backward,
    .batchnorm_forward_train = cpu_batchnorm_forward_train,
    .batchnorm_forward_infer = cpu_batchnorm_forward_infer,
    .batchnorm_backward = cpu_batchnorm_backward,
    .bce_logits = cpu_bce_logits,
    .adam = cpu_adam,
    .zero = cpu_zero,
    .im2col = gan_cpu_im2col,
    .conv2d_forward = GAN_CPU_CONV2D(gan_cpu_conv2d_forward),
    .conv2d_backward_data = GAN_CPU_CONV2D(gan_cpu_conv2d_backward_data),
    .conv2d_backward_weight = GAN_CPU_CONV2D(gan_cpu_conv2d_backward_weight),
    .col2im = gan_cpu_col2im,
    .nchw_to_cmajor = gan_cpu_nchw_to_cmajor,
    .cmajor_to_nchw = gan_cpu_cmajor_to_nchw,
    .channel_bias_forward = gan_cpu_channel_bias_forward,
    .channel_bias_backward = gan_cpu_channel_bias_backward,
    .batchnorm2d_forward_train = gan_cpu_batchnorm2d_forward_train,
    .batchnorm2d_forward_infer = gan_cpu_batchnorm2d_forward_infer,
    .batchnorm2d_backward = gan_cpu_batchnorm2d_backward,
    .dropout_forward = gan_cpu_dropout_forward,
    .dropout_backward = gan_cpu_dropout_backward,
    .spectral_norm_forward = gan_cpu_spectral_norm_forward,
    .spectral_norm_backward = gan_cpu_spectral_norm_backward,
    .label_concat_forward = gan_cpu_label_concat_forward,
    .label_concat_backward = gan_cpu_label_concat_backward,
    .maxpool2d_forward = gan_cpu_maxpool2d_forward,
    .maxpool2d_backward = gan_cpu_maxpool2d_backward,
    .softmax_xent = gan_cpu_softmax_xent,
    .bce_logits_acc = cpu_bce_logits_acc,
    .adam_schedule = cpu_adam_schedule,
    .adam_device_lr = cpu_adam_device_lr,
    .load_batch_u8 = gan_cpu_load_batch_u8,
    .step_advance = gan_cpu_step_advance,
    .loss_acc = gan_cpu_loss_acc,
    .ema_update = gan_cpu_ema_update,
    .clamp = gan_cpu_clamp,
    .rng_uniform = gan_rng_uniform,
    .rng_normal = gan_rng_normal,
    .rng_normal_dev = cpu_rng_normal_dev,
    .mem_alloc = cpu_mem_alloc,
    .mem_free = cpu_mem_free,
    .copy_to_device = cpu_copy_to_device,
    .copy_to_host = cpu_copy_to_host,
    .copy = cpu_copy,
    .mem_set = cpu_mem_set,
    .synchronize = cpu_synchronize,
    .graph_begin = cpu_graph_begin,
    .graph_end = cpu_graph_end,
    .graph_replay = cpu_graph_replay,
    .graph_free = cpu_graph_free,
};

const gan_backend *gan_backend_cpu(void) {
    return &cpu_backend;
}
