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
 * Parameter-gradient kernels ACCUMULATE (+=); activation gradients are
 * WRITTEN (=).
 */
#ifndef GAN_BACKEND_H
#define GAN_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gan_backend {
    const char *name;

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
} gan_backend;

/* The CPU reference backend (BLAS + OpenMP). */
const gan_backend *gan_backend_cpu(void);

/* Set the number of CPU threads (0 = all cores) for BLAS and own kernels. */
void gan_backend_cpu_set_threads(int threads);

#endif
