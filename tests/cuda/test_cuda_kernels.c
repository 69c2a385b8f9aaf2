/*
 * test_cuda_kernels.c - every CUDA kernel against the CPU reference kernel
 * on random inputs of awkward sizes; random numbers against rng.c; the
 * device-resident loss and Adam entries; memory, errors and graph replay.
 *
 * Exits 77 (CTest: skipped) when there is no usable GPU, unless
 * GAN_TEST_REQUIRE_CUDA=1 is set, which turns that into a failure (use it on
 * GPU machines so a broken driver cannot pass as "skipped").
 *
 * Tolerances, as |gpu - cpu| <= atol + rtol |cpu| (test_max_rel_err <= 1):
 *   gemm (FP32)            atol = K 2^-21, rtol 1e-5 (sums of K products)
 *   gemm (TF32)            atol = K 2^-9,  rtol 1e-2
 *   element-wise kernels   leaky ReLU exact; bias, tanh', BN infer, Adam
 *                          atol 1e-6, rtol 1e-6 (exact when built with
 *                          --fmad=false, the default); tanh <= 4 ulp
 *   row reductions         bias', BN stats/outputs: atol 1e-6 N + 1e-5,
 *                          rtol 1e-4 (float sums over N rows, different order)
 *   BCE                    dl atol 5e-7 rtol 1e-5; sums rtol 1e-5 atol 1e-5 n
 *   GAN loss terms         as BCE; ema_update, clamp exact (--fmad=false)
 *   rng                    uniform exact; normal <= 1 ulp of float
 */
#include "backend.h"
#include "rng.h"
#include "test_util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const gan_backend *cpu, *gpu;
static uint64_t next_stream = 1;

/* ---------------------------------------------------------------- helpers */

static float *host_random(size_t n, float lo, float hi) {
    float *x = malloc((n ? n : 1) * sizeof *x);
    if (!x) abort();
    gan_rng_uniform(12345, next_stream++, x, n);
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * x[i];
    return x;
}

static float *host_copy(const float *x, size_t n) {
    float *y = malloc((n ? n : 1) * sizeof *y);
    if (!y) abort();
    if (n) memcpy(y, x, n * sizeof *y);
    return y;
}

static void *dev_alloc(size_t bytes) {
    void *p = NULL;
    gan_status s = gpu->mem_alloc(gpu->ctx, &p, bytes);
    if (s != GAN_OK) {
        fprintf(stderr, "mem_alloc(%zu): %s\n", bytes, gan_last_error());
        abort();
    }
    return p;
}

static float *dev_upload(const float *h, size_t n) {
    float *d = dev_alloc(n * sizeof *d);
    gpu->copy_to_device(gpu->ctx, d, h, n * sizeof *d);
    return d;
}

/* Download n floats into a fresh host buffer (waits for the device). */
static float *dev_download(const float *d, size_t n) {
    float *h = malloc((n ? n : 1) * sizeof *h);
    if (!h) abort();
    CHECK_OK(gpu->copy_to_host(gpu->ctx, h, d, n * sizeof *h));
    return h;
}

static int64_t ulp_diff(float a, float b) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b) ? 0 : INT64_MAX;
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    int64_t la = ia < 0 ? (int64_t)INT32_MIN - ia : ia;
    int64_t lb = ib < 0 ? (int64_t)INT32_MIN - ib : ib;
    return la > lb ? la - lb : lb - la;
}

static int64_t max_ulp(const float *a, const float *b, size_t n) {
    int64_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t d = ulp_diff(a[i], b[i]);
        if (d > worst) worst = d;
    }
    return worst;
}

/* Compare a device buffer with the CPU result; frees nothing. */
static void expect_close(const char *what, const float *d, const float *ref, size_t n, double atol,
                         double rtol) {
    float *h = dev_download(d, n);
    /* zero tolerance means bit-identical (a 0/0 ratio would read as a failure) */
    double err = atol == 0 && rtol == 0 ? (max_ulp(h, ref, n) == 0 ? 0.0 : INFINITY)
                                        : test_max_rel_err(h, ref, n, atol, rtol);
    CHECK_MSG(err <= 1.0, "%s: max error %.3g of tolerance (atol %.3g, rtol %.3g), max %lld ulp",
              what, err, atol, rtol, (long long)max_ulp(h, ref, n));
    free(h);
}

static void expect_ulp(const char *what, const float *d, const float *ref, size_t n,
                       int64_t ulps) {
    float *h = dev_download(d, n);
    int64_t u = max_ulp(h, ref, n);
    CHECK_MSG(u <= ulps, "%s: %lld ulp apart (allowed %lld)", what, (long long)u,
              (long long)ulps);
    free(h);
}

/* ------------------------------------------------------------------- gemm */

static const int gemm_sizes[] = {1, 7, 33, 127, 784, 1025};
#define N_GEMM_SIZES (int)(sizeof gemm_sizes / sizeof gemm_sizes[0])

static void gemm_case(bool ta, bool tb, int M, int N, int K, int pad, float alpha, float beta,
                      double atol_per_k, double rtol) {
    /* stored shapes (row-major): A is (M, K) or (K, M); B is (K, N) or (N, K) */
    int a_rows = ta ? K : M, a_cols = ta ? M : K;
    int b_rows = tb ? N : K, b_cols = tb ? K : N;
    int lda = a_cols + pad, ldb = b_cols + pad, ldc = N + pad;
    size_t na = (size_t)a_rows * lda, nb = (size_t)b_rows * ldb, nc = (size_t)M * ldc;
    float *A = host_random(na, -1, 1), *B = host_random(nb, -1, 1), *C = host_random(nc, -1, 1);
    if (beta == 0.0f)
        for (size_t i = 0; i < nc; i++) C[i] = NAN; /* beta = 0 must not read C */
    float *dA = dev_upload(A, na), *dB = dev_upload(B, nb), *dC = dev_upload(C, nc);
    cpu->gemm(cpu->ctx, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    gpu->gemm(gpu->ctx, ta, tb, M, N, K, alpha, dA, lda, dB, ldb, beta, dC, ldc);
    float *h = dev_download(dC, nc);
    /* compare the M x N window only (padding columns are untouched on both) */
    double worst = 0;
    for (int i = 0; i < M; i++) {
        double e = test_max_rel_err(h + (size_t)i * ldc, C + (size_t)i * ldc, (size_t)N,
                                    atol_per_k * K, rtol);
        if (!(e <= worst)) worst = e;
    }
    CHECK_MSG(worst <= 1.0, "gemm ta=%d tb=%d M=%d N=%d K=%d pad=%d beta=%g: error %.3g of tol",
              ta, tb, M, N, K, pad, beta, worst);
    free(h);
    free(A);
    free(B);
    free(C);
    gpu->mem_free(gpu->ctx, dA);
    gpu->mem_free(gpu->ctx, dB);
    gpu->mem_free(gpu->ctx, dC);
}

static void test_gemm(void) {
    int k = 0;
    for (int t = 0; t < 4; t++)
        for (int i = 0; i < N_GEMM_SIZES; i++)
            for (int j = 0; j < N_GEMM_SIZES; j++)
                for (int l = 0; l < N_GEMM_SIZES; l++, k++) {
                    float beta = (k % 3 == 0) ? 0.0f : (k % 3 == 1 ? 1.0f : 0.5f);
                    float alpha = (k % 2) ? 1.0f : -0.75f;
                    gemm_case(t & 1, t & 2, gemm_sizes[i], gemm_sizes[j], gemm_sizes[l],
                              (k % 5 == 0) ? 3 : 0, alpha, beta, 0x1.0p-21, 1e-5);
                }
    /* TF32: the mode switch takes effect, and back */
    CHECK_OK(gan_backend_cuda_set_math(GAN_CUDA_MATH_TF32));
    gemm_case(false, false, 127, 1025, 784, 0, 1.0f, 0.0f, 0x1.0p-9, 1e-2);
    gemm_case(true, true, 784, 33, 1025, 0, 1.0f, 1.0f, 0x1.0p-9, 1e-2);
    CHECK_OK(gan_backend_cuda_set_math(GAN_CUDA_MATH_PEDANTIC));
    gemm_case(false, true, 129, 784, 1025, 0, 1.0f, 0.5f, 0x1.0p-21, 1e-5);
    CHECK_OK(gan_backend_cuda_set_math(GAN_CUDA_MATH_FP32));
    CHECK_OK(gpu->synchronize(gpu->ctx));
}

/* ------------------------------------------------------- (N, F) kernels */

static const int rows_list[] = {1, 3, 64, 129, 1024};
static const int feats_list[] = {1, 7, 33, 784, 1025};
#define N_ROWS (int)(sizeof rows_list / sizeof rows_list[0])
#define N_FEATS (int)(sizeof feats_list / sizeof feats_list[0])

static void test_bias(int N, int F) {
    size_t n = (size_t)N * F;
    float *y = host_random(n, -2, 2), *b = host_random((size_t)F, -1, 1);
    float *db = host_random((size_t)F, -1, 1);
    float *dy_ = host_random(n, -1, 1);
    float *dY = dev_upload(y, n), *dB = dev_upload(b, (size_t)F), *dDB = dev_upload(db, (size_t)F);
    float *dDY = dev_upload(dy_, n);
    cpu->bias_forward(cpu->ctx, y, b, N, F);
    gpu->bias_forward(gpu->ctx, dY, dB, N, F);
    expect_close("bias_forward", dY, y, n, 1e-6, 1e-6);
    cpu->bias_backward(cpu->ctx, db, dy_, N, F);
    gpu->bias_backward(gpu->ctx, dDB, dDY, N, F);
    char what[64];
    snprintf(what, sizeof what, "bias_backward N=%d F=%d", N, F);
    expect_close(what, dDB, db, (size_t)F, 1e-6 * N + 1e-5, 1e-4);
    free(y);
    free(b);
    free(db);
    free(dy_);
    gpu->mem_free(gpu->ctx, dY);
    gpu->mem_free(gpu->ctx, dB);
    gpu->mem_free(gpu->ctx, dDB);
    gpu->mem_free(gpu->ctx, dDY);
}

static void test_batchnorm(int N, int F) {
    size_t n = (size_t)N * F, f = (size_t)F;
    const float momentum = 0.9f, eps = 1e-5f;
    float *x = host_random(n, 1, 5); /* mean far from 0: checks the two-pass variance */
    float *gamma = host_random(f, 0.5f, 1.5f), *beta = host_random(f, -0.5f, 0.5f);
    float *rm = host_random(f, -1, 1), *rv = host_random(f, 0.5f, 2);
    float *y = host_random(n, -1, 1), *mean = host_random(f, 0, 1), *rstd = host_random(f, 0, 1);
    float *dX = dev_upload(x, n), *dG = dev_upload(gamma, f), *dBt = dev_upload(beta, f);
    float *dRM = dev_upload(rm, f), *dRV = dev_upload(rv, f), *dY = dev_upload(y, n);
    float *dMean = dev_upload(mean, f), *dRstd = dev_upload(rstd, f);
    char what[96];

    /* inference mode with the (random) running statistics */
    cpu->batchnorm_forward_infer(cpu->ctx, y, x, rm, rv, gamma, beta, N, F, eps);
    gpu->batchnorm_forward_infer(gpu->ctx, dY, dX, dRM, dRV, dG, dBt, N, F, eps);
    snprintf(what, sizeof what, "batchnorm_forward_infer N=%d F=%d", N, F);
    expect_close(what, dY, y, n, 1e-6, 1e-6);

    /* training mode */
    double atol = 1e-6 * N + 1e-5, rtol = 1e-4;
    cpu->batchnorm_forward_train(cpu->ctx, y, mean, rstd, rm, rv, x, gamma, beta, N, F, momentum, eps);
    gpu->batchnorm_forward_train(gpu->ctx, dY, dMean, dRstd, dRM, dRV, dX, dG, dBt, N, F, momentum, eps);
    snprintf(what, sizeof what, "batchnorm_forward_train y N=%d F=%d", N, F);
    expect_close(what, dY, y, n, 1e-4, rtol);
    snprintf(what, sizeof what, "batchnorm_forward_train mean N=%d F=%d", N, F);
    expect_close(what, dMean, mean, f, atol, rtol);
    snprintf(what, sizeof what, "batchnorm_forward_train rstd N=%d F=%d", N, F);
    expect_close(what, dRstd, rstd, f, atol, rtol);
    snprintf(what, sizeof what, "batchnorm running mean N=%d F=%d", N, F);
    expect_close(what, dRM, rm, f, atol, rtol);
    snprintf(what, sizeof what, "batchnorm running var N=%d F=%d", N, F);
    expect_close(what, dRV, rv, f, atol, rtol);

    /* backward, from the CPU's saved statistics on both sides */
    float *dy_ = host_random(n, -1, 1), *dx = host_random(n, -1, 1);
    float *dgamma = host_random(f, -1, 1), *dbeta = host_random(f, -1, 1);
    float *dDY = dev_upload(dy_, n), *dDX = dev_upload(dx, n);
    float *dDG = dev_upload(dgamma, f), *dDB = dev_upload(dbeta, f);
    gpu->copy_to_device(gpu->ctx, dMean, mean, f * sizeof *mean);
    gpu->copy_to_device(gpu->ctx, dRstd, rstd, f * sizeof *rstd);
    cpu->batchnorm_backward(cpu->ctx, dx, dgamma, dbeta, dy_, x, mean, rstd, gamma, N, F);
    gpu->batchnorm_backward(gpu->ctx, dDX, dDG, dDB, dDY, dX, dMean, dRstd, dG, N, F);
    snprintf(what, sizeof what, "batchnorm_backward dx N=%d F=%d", N, F);
    expect_close(what, dDX, dx, n, 1e-4, 1e-3);
    snprintf(what, sizeof what, "batchnorm_backward dgamma N=%d F=%d", N, F);
    expect_close(what, dDG, dgamma, f, atol, rtol);
    snprintf(what, sizeof what, "batchnorm_backward dbeta N=%d F=%d", N, F);
    expect_close(what, dDB, dbeta, f, atol, rtol);
    /* NULL outputs are skipped: only dx, then only the parameter grads */
    float *dx2 = host_copy(dx, n);
    cpu->batchnorm_backward(cpu->ctx, dx2, NULL, NULL, dy_, x, mean, rstd, gamma, N, F);
    gpu->batchnorm_backward(gpu->ctx, dDX, NULL, NULL, dDY, dX, dMean, dRstd, dG, N, F);
    expect_close("batchnorm_backward dx only", dDX, dx2, n, 1e-4, 1e-3);
    cpu->batchnorm_backward(cpu->ctx, NULL, dgamma, dbeta, dy_, x, mean, rstd, gamma, N, F);
    gpu->batchnorm_backward(gpu->ctx, NULL, dDG, dDB, dDY, dX, dMean, dRstd, dG, N, F);
    expect_close("batchnorm_backward dgamma only", dDG, dgamma, f, 2 * atol, rtol);
    expect_close("batchnorm_backward dbeta only", dDB, dbeta, f, 2 * atol, rtol);

    float *host[] = {x, gamma, beta, rm, rv, y, mean, rstd, dy_, dx, dgamma, dbeta, dx2};
    for (size_t i = 0; i < sizeof host / sizeof host[0]; i++) free(host[i]);
    float *dev[] = {dX, dG, dBt, dRM, dRV, dY, dMean, dRstd, dDY, dDX, dDG, dDB};
    for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++) gpu->mem_free(gpu->ctx, dev[i]);
}

/* ---------------------------------------------------------- element-wise */

static const size_t elem_sizes[] = {1, 7, 33, 1000, 100003};
#define N_ELEM (int)(sizeof elem_sizes / sizeof elem_sizes[0])

static void test_elementwise(size_t n) {
    float *x = host_random(n, -6, 6), *dy_ = host_random(n, -1, 1);
    float *y = host_random(n, 0, 1), *dx = host_random(n, 0, 1);
    float *dX = dev_upload(x, n), *dDY = dev_upload(dy_, n);
    float *dY = dev_upload(y, n), *dDX = dev_upload(dx, n);

    cpu->leaky_relu_forward(cpu->ctx, y, x, n, 0.2f);
    gpu->leaky_relu_forward(gpu->ctx, dY, dX, n, 0.2f);
    expect_ulp("leaky_relu_forward", dY, y, n, 0);
    cpu->leaky_relu_backward(cpu->ctx, dx, x, dy_, n, 0.2f);
    gpu->leaky_relu_backward(gpu->ctx, dDX, dX, dDY, n, 0.2f);
    expect_ulp("leaky_relu_backward", dDX, dx, n, 0);

    cpu->tanh_forward(cpu->ctx, y, x, n);
    gpu->tanh_forward(gpu->ctx, dY, dX, n);
    expect_ulp("tanh_forward", dY, y, n, 4);
    gpu->copy_to_device(gpu->ctx, dY, y, n * sizeof *y); /* backward from the same y */
    cpu->tanh_backward(cpu->ctx, dx, y, dy_, n);
    gpu->tanh_backward(gpu->ctx, dDX, dY, dDY, n);
    expect_close("tanh_backward", dDX, dx, n, 1e-6, 1e-6);

    gpu->zero(gpu->ctx, dX, n);
    float *z = dev_download(dX, n);
    size_t nonzero = 0;
    for (size_t i = 0; i < n; i++) nonzero += z[i] != 0.0f;
    CHECK_MSG(nonzero == 0, "zero left %zu of %zu elements", nonzero, n);
    free(z);

    free(x);
    free(dy_);
    free(y);
    free(dx);
    gpu->mem_free(gpu->ctx, dX);
    gpu->mem_free(gpu->ctx, dDY);
    gpu->mem_free(gpu->ctx, dY);
    gpu->mem_free(gpu->ctx, dDX);
}

/* ------------------------------------------------------------------- loss */

static void test_bce(size_t n) {
    float *l = host_random(n, -20, 20), *t = host_random(n, 0, 1);
    for (size_t i = 0; i < n; i++) t[i] = i % 3 == 0 ? 0.0f : (i % 3 == 1 ? 1.0f : 0.9f);
    if (n > 4) {
        l[0] = 0.0f;
        l[1] = -90.0f; /* exp(-|l|) underflows */
        l[2] = 90.0f;
    }
    float *dl = host_random(n, 0, 1);
    float *dL = dev_upload(l, n), *dT = dev_upload(t, n), *dDL = dev_upload(dl, n);
    const float scale = 0.75f;
    char what[64];

    double p_cpu = 0, p_gpu = 0;
    double loss_cpu = cpu->bce_logits(cpu->ctx, dl, l, t, n, scale, &p_cpu);
    double loss_gpu = gpu->bce_logits(gpu->ctx, dDL, dL, dT, n, scale, &p_gpu);
    snprintf(what, sizeof what, "bce_logits dl n=%zu", n);
    expect_close(what, dDL, dl, n, 5e-7, 1e-5);
    CHECK_MSG(fabs(loss_gpu - loss_cpu) <= 1e-5 * n + 1e-5 * fabs(loss_cpu),
              "bce_logits loss n=%zu: gpu %.9g cpu %.9g", n, loss_gpu, loss_cpu);
    CHECK_MSG(fabs(p_gpu - p_cpu) <= 1e-5 * n + 1e-5 * fabs(p_cpu),
              "bce_logits prob sum n=%zu: gpu %.9g cpu %.9g", n, p_gpu, p_cpu);
    CHECK(gpu->bce_logits(gpu->ctx, NULL, dL, dT, n, scale, NULL) == loss_gpu); /* deterministic */

    /* accumulate twice into a device buffer that starts non-zero */
    float sums[2] = {1.5f, 2.5f};
    float *dS = dev_upload(sums, 2);
    for (int k = 0; k < 2; k++) {
        cpu->bce_logits_acc(dl, l, t, n, scale, sums);
        gpu->bce_logits_acc(dDL, dL, dT, n, scale, dS);
    }
    float *got = dev_download(dS, 2);
    snprintf(what, sizeof what, "bce_logits_acc sums n=%zu", n);
    double err = test_max_rel_err(got, sums, 2, 1e-5 * n + 1e-5, 1e-5);
    CHECK_MSG(err <= 1.0, "%s: gpu (%.9g, %.9g) cpu (%.9g, %.9g)", what, got[0], got[1], sums[0],
              sums[1]);
    expect_close("bce_logits_acc dl", dDL, dl, n, 5e-7, 1e-5);
    gpu->bce_logits_acc(NULL, dL, dT, n, scale, dS); /* dl may be NULL */
    CHECK_OK(gpu->synchronize(gpu->ctx));

    free(got);
    free(l);
    free(t);
    free(dl);
    gpu->mem_free(gpu->ctx, dL);
    gpu->mem_free(gpu->ctx, dT);
    gpu->mem_free(gpu->ctx, dDL);
    gpu->mem_free(gpu->ctx, dS);
}

/* ------------------------------------------------------------------- adam */

/* Every loss term of loss_acc (backend.h) against the CPU, with accumulation. */
static void test_loss_terms(size_t n) {
    float *l = host_random(n, -20, 20);
    if (n > 4) l[0] = 0.0f, l[1] = -90.0f, l[2] = 90.0f, l[3] = 1.0f; /* 3: hinge's kink */
    float *dL = dev_upload(l, n), *dl = host_random(n, 0, 1), *dDL = dev_upload(dl, n);
    struct { gan_loss_term term; float t; } cases[] = {
        {GAN_LOSS_TERM_BCE, 1.0f},    {GAN_LOSS_TERM_BCE, 0.0f},   {GAN_LOSS_TERM_BCE, 0.7f},
        {GAN_LOSS_TERM_NEG_BCE, 0.0f}, {GAN_LOSS_TERM_SQUARE, 1.0f}, {GAN_LOSS_TERM_HINGE, 1.0f},
        {GAN_LOSS_TERM_HINGE, -1.0f}, {GAN_LOSS_TERM_LINEAR, -1.0f}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        float sums[2] = {1.5f, 2.5f};
        float *dS = dev_upload(sums, 2);
        for (int k = 0; k < 2; k++) {
            cpu->loss_acc(cpu->ctx, dl, l, n, cases[c].term, cases[c].t, 0.5f, sums);
            gpu->loss_acc(gpu->ctx, dDL, dL, n, cases[c].term, cases[c].t, 0.5f, dS);
        }
        char what[80];
        snprintf(what, sizeof what, "loss_acc term %d t %g dl n=%zu", (int)cases[c].term,
                 cases[c].t, n);
        expect_close(what, dDL, dl, n, 5e-7, 1e-5);
        float *got = dev_download(dS, 2);
        /* squares of outputs up to 20 make larger sums: scale atol with them */
        double err = test_max_rel_err(got, sums, 2, 1e-5 * n * 200 + 1e-5, 1e-5);
        CHECK_MSG(err <= 1.0, "%s: sums gpu (%.9g, %.9g) cpu (%.9g, %.9g)", what, got[0],
                  got[1], sums[0], sums[1]);
        gpu->loss_acc(gpu->ctx, NULL, dL, n, cases[c].term, cases[c].t, 0.5f, dS); /* dl may be NULL */
        free(got);
        gpu->mem_free(gpu->ctx, dS);
    }
    CHECK_OK(gpu->synchronize(gpu->ctx));
    free(l);
    free(dl);
    gpu->mem_free(gpu->ctx, dL);
    gpu->mem_free(gpu->ctx, dDL);
}

static void test_ema_clamp(size_t n) {
    float *avg = host_random(n, -1, 1), *x = host_random(n, -1, 1);
    float *dA = dev_upload(avg, n), *dX = dev_upload(x, n);
    cpu->ema_update(cpu->ctx, avg, x, n, 0.999f);
    gpu->ema_update(gpu->ctx, dA, dX, n, 0.999f);
    expect_close("ema_update", dA, avg, n, 0, 0);
    cpu->clamp(cpu->ctx, avg, n, -0.01f, 0.02f);
    gpu->clamp(gpu->ctx, dA, n, -0.01f, 0.02f);
    expect_close("clamp", dA, avg, n, 0, 0);
    free(avg);
    free(x);
    gpu->mem_free(gpu->ctx, dA);
    gpu->mem_free(gpu->ctx, dX);
}

static void test_adam(size_t n) {
    const float b1 = 0.5f, b2 = 0.999f, eps = 1e-7f, lr = 2e-4f;
    float *p = host_random(n, -1, 1), *m = host_random(n, -0.1f, 0.1f);
    float *v = host_random(n, 0, 0.01f), *g = host_random(n, -1, 1);
    float *dP = dev_upload(p, n), *dM = dev_upload(m, n), *dV = dev_upload(v, n);
    float *dG = dev_upload(g, n);
    for (int step = 1; step <= 3; step++) {
        float lr_t = lr * (float)step;
        cpu->adam(cpu->ctx, p, m, v, g, n, lr_t, b1, b2, eps);
        gpu->adam(gpu->ctx, dP, dM, dV, dG, n, lr_t, b1, b2, eps);
    }
    expect_close("adam p", dP, p, n, 1e-6, 1e-6);
    expect_close("adam m", dM, m, n, 1e-6, 1e-6);
    expect_close("adam v", dV, v, n, 1e-6, 1e-6);

    /* device-resident schedule: t and lr_t live in device memory */
    int64_t t_cpu = 0;
    float lr_cpu = 0;
    int64_t *dT = dev_alloc(sizeof(int64_t));
    float *dLR = dev_alloc(sizeof(float));
    for (int step = 1; step <= 5; step++) {
        cpu->adam_schedule(cpu->ctx, &t_cpu, &lr_cpu, lr, b1, b2);
        cpu->adam_device_lr(cpu->ctx, p, m, v, g, n, &lr_cpu, b1, b2, eps);
        gpu->adam_schedule(gpu->ctx, dT, dLR, lr, b1, b2);
        gpu->adam_device_lr(gpu->ctx, dP, dM, dV, dG, n, dLR, b1, b2, eps);
    }
    int64_t t_gpu = 0;
    float lr_gpu = 0;
    CHECK_OK(gpu->copy_to_host(gpu->ctx, &t_gpu, dT, sizeof t_gpu));
    CHECK_OK(gpu->copy_to_host(gpu->ctx, &lr_gpu, dLR, sizeof lr_gpu));
    CHECK_MSG(t_gpu == 5 && t_cpu == 5, "adam_schedule t: gpu %lld cpu %lld", (long long)t_gpu,
              (long long)t_cpu);
    CHECK_MSG(ulp_diff(lr_gpu, lr_cpu) <= 1, "adam_schedule lr_t: gpu %.9g cpu %.9g", lr_gpu,
              lr_cpu);
    /* the CPU schedule is the formula of gan_model_adam_step */
    float expect = (float)(lr * sqrt(1.0 - pow(b2, 5.0)) / (1.0 - pow(b1, 5.0)));
    CHECK(lr_cpu == expect);
    expect_close("adam_device_lr p", dP, p, n, 1e-6, 1e-6);
    expect_close("adam_device_lr m", dM, m, n, 1e-6, 1e-6);
    expect_close("adam_device_lr v", dV, v, n, 1e-6, 1e-6);

    free(p);
    free(m);
    free(v);
    free(g);
    gpu->mem_free(gpu->ctx, dP);
    gpu->mem_free(gpu->ctx, dM);
    gpu->mem_free(gpu->ctx, dV);
    gpu->mem_free(gpu->ctx, dG);
    gpu->mem_free(gpu->ctx, dT);
    gpu->mem_free(gpu->ctx, dLR);
}

/* -------------------------------------------------------------------- rng */

static void test_rng(uint64_t seed, uint64_t stream, size_t n) {
    float *ref = malloc(n * sizeof *ref);
    if (!ref) abort();
    float *d = dev_alloc(n * sizeof *d);

    cpu->rng_uniform(cpu->ctx, seed, stream, ref, n);
    gpu->rng_uniform(gpu->ctx, seed, stream, d, n);
    expect_ulp("rng_uniform", d, ref, n, 0);

    cpu->rng_normal(cpu->ctx, seed, stream, ref, n);
    gpu->rng_normal(gpu->ctx, seed, stream, d, n);
    float *h = dev_download(d, n);
    size_t inexact = 0;
    for (size_t i = 0; i < n; i++) inexact += h[i] != ref[i];
    int64_t u = max_ulp(h, ref, n);
    CHECK_MSG(u <= 1, "rng_normal seed=%llx stream=%llx n=%zu: %lld ulp apart",
              (unsigned long long)seed, (unsigned long long)stream, n, (long long)u);
    if (inexact) fprintf(stderr, "note: rng_normal n=%zu: %zu values 1 ulp off\n", n, inexact);
    free(h);

    uint64_t *dS = dev_alloc(sizeof stream);
    gpu->copy_to_device(gpu->ctx, dS, &stream, sizeof stream);
    gpu->mem_set(gpu->ctx, d, 0xFF, n * sizeof *d);
    gpu->rng_normal_dev(gpu->ctx, seed, dS, d, n);
    h = dev_download(d, n);
    float *again = malloc(n * sizeof *again);
    if (!again) abort();
    gpu->rng_normal(gpu->ctx, seed, stream, d, n);
    CHECK_OK(gpu->copy_to_host(gpu->ctx, again, d, n * sizeof *again));
    CHECK_MSG(memcmp(h, again, n * sizeof *h) == 0, "rng_normal_dev differs from rng_normal");
    free(again);
    free(h);
    free(ref);
    gpu->mem_free(gpu->ctx, d);
    gpu->mem_free(gpu->ctx, dS);
}

/* ------------------------------------------------------- memory, errors */

static void test_memory(void) {
    void *p = NULL;
    CHECK_OK(gpu->mem_alloc(gpu->ctx, &p, 1000));
    CHECK(p != NULL && (uintptr_t)p % 256 == 0);
    unsigned char *h = malloc(1000);
    if (!h) abort();
    CHECK_OK(gpu->copy_to_host(gpu->ctx, h, p, 1000));
    size_t nonzero = 0;
    for (int i = 0; i < 1000; i++) nonzero += h[i] != 0;
    CHECK_MSG(nonzero == 0, "mem_alloc: %zu bytes not zeroed", nonzero);

    void *q = NULL;
    CHECK_OK(gpu->mem_alloc(gpu->ctx, &q, 1000));
    gpu->mem_set(gpu->ctx, p, 0x5A, 1000);
    gpu->copy(gpu->ctx, q, p, 600);
    CHECK_OK(gpu->copy_to_host(gpu->ctx, h, q, 1000));
    CHECK(h[0] == 0x5A && h[599] == 0x5A && h[600] == 0 && h[999] == 0);
    gpu->mem_free(gpu->ctx, p);
    gpu->mem_free(gpu->ctx, q);
    free(h);

    CHECK_OK(gpu->mem_alloc(gpu->ctx, &p, 0));
    CHECK(p == NULL);
    gpu->mem_free(gpu->ctx, NULL);

    /* out of memory: reported with the size, and the backend goes on */
    size_t huge = (size_t)1 << 50;
    gan_status s = gpu->mem_alloc(gpu->ctx, &p, huge);
    CHECK(s == GAN_ERR_OUT_OF_MEMORY && p == NULL);
    CHECK_MSG(strstr(gan_last_error(), "1125899906842624") != NULL, "message: %s",
              gan_last_error());
    CHECK_OK(gpu->mem_alloc(gpu->ctx, &p, 64));
    CHECK_OK(gpu->synchronize(gpu->ctx));
    gpu->mem_free(gpu->ctx, p);

    /* an unknown device fails cleanly and leaves this one working */
    CHECK(gan_backend_cuda_init(1 << 20) == GAN_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(gan_last_error(), "no CUDA device 1048576") != NULL, "message: %s",
              gan_last_error());
    CHECK_OK(gpu->mem_alloc(gpu->ctx, &p, 64));
    gpu->mem_set(gpu->ctx, p, 1, 64);
    CHECK_OK(gpu->synchronize(gpu->ctx));
    gpu->mem_free(gpu->ctx, p);
}

/* ------------------------------------------------------------------ graph */

/* One "step": noise, a product, bias, loss into a device sum, Adam with a
 * device schedule. Captured once and replayed; must equal direct calls. */
struct step_bufs {
    float *z, *w, *b, *y, *t, *dl, *sums, *lr_t, *m, *v;
    int64_t *step;
    uint64_t *stream;
};

enum { GB = 64, GK = 33, GN = 7 };

static void run_step(const gan_backend *be, struct step_bufs *s) {
    be->rng_normal_dev(be->ctx, 7, s->stream, s->z, (size_t)GB * GK);
    be->gemm(be->ctx, false, false, GB, GN, GK, 1.0f, s->z, GK, s->w, GN, 0.0f, s->y, GN);
    be->bias_forward(be->ctx, s->y, s->b, GB, GN);
    be->bce_logits_acc(s->dl, s->y, s->t, (size_t)GB * GN, 1.0f / GB, s->sums);
    be->adam_schedule(be->ctx, s->step, s->lr_t, 1e-3f, 0.5f, 0.999f);
    be->adam_device_lr(be->ctx, s->w, s->m, s->v, s->dl, (size_t)GK * GN, s->lr_t, 0.5f, 0.999f, 1e-7f);
}

static void alloc_step(const gan_backend *be, struct step_bufs *s, const float *w0,
                       const float *t0) {
    const size_t sizes[] = {GB * GK, GK * GN, GN, GB * GN, GB * GN, GB * GN, 2, 1, GK * GN, GK * GN};
    float **slots[] = {&s->z, &s->w, &s->b, &s->y, &s->t, &s->dl, &s->sums, &s->lr_t, &s->m, &s->v};
    for (int i = 0; i < 10; i++) {
        void *p = NULL;
        CHECK_OK(be->mem_alloc(be->ctx, &p, sizes[i] * sizeof(float)));
        *slots[i] = p;
    }
    void *p = NULL;
    CHECK_OK(be->mem_alloc(be->ctx, &p, sizeof(int64_t)));
    s->step = p;
    CHECK_OK(be->mem_alloc(be->ctx, &p, sizeof(uint64_t)));
    s->stream = p;
    be->copy_to_device(be->ctx, s->w, w0, GK * GN * sizeof(float));
    be->copy_to_device(be->ctx, s->t, t0, GB * GN * sizeof(float));
}

static void free_step(const gan_backend *be, struct step_bufs *s) {
    void *all[] = {s->z, s->w, s->b, s->y, s->t, s->dl, s->sums, s->lr_t, s->m, s->v, s->step,
                   s->stream};
    for (int i = 0; i < 12; i++) be->mem_free(be->ctx, all[i]);
}

static void test_graph(void) {
    float *w0 = host_random(GK * GN, -0.3f, 0.3f), *t0 = host_random(GB * GN, 0, 1);
    struct step_bufs c, g;
    alloc_step(cpu, &c, w0, t0);
    alloc_step(gpu, &g, w0, t0);
    /* warm up: the first call of a cuBLAS kernel may load it, which should
     * happen outside the capture (y is overwritten by the step) */
    gpu->gemm(gpu->ctx, false, false, GB, GN, GK, 1.0f, g.z, GK, g.w, GN, 0.0f, g.y, GN);
    CHECK_OK(gpu->synchronize(gpu->ctx));

    gan_graph *graph = NULL;
    CHECK_OK(gpu->graph_begin(gpu->ctx));
    run_step(gpu, &g);
    CHECK_OK(gpu->graph_end(gpu->ctx, &graph));
    CHECK(graph != NULL);
    CHECK(cpu->graph_begin(cpu->ctx) == GAN_ERR_UNSUPPORTED);

    for (uint64_t k = 0; k < 4; k++) {
        uint64_t stream = gan_rng_stream(GAN_RNG_NOISE, k);
        *c.stream = stream;
        run_step(cpu, &c);
        gpu->copy_to_device(gpu->ctx, g.stream, &stream, sizeof stream);
        CHECK_OK(gpu->graph_replay(gpu->ctx, graph));
        CHECK_OK(gpu->synchronize(gpu->ctx)); /* `stream` must outlive the queued copy */
    }
    int64_t steps = 0;
    CHECK_OK(gpu->copy_to_host(gpu->ctx, &steps, g.step, sizeof steps));
    CHECK_MSG(steps == 4, "graph replays advanced the step to %lld", (long long)steps);
    expect_close("graph: weights after 4 replays", g.w, c.w, GK * GN, 1e-5, 1e-4);
    expect_close("graph: loss sums", g.sums, c.sums, 2, 1e-3, 1e-4);
    expect_close("graph: last noise", g.z, c.z, GB * GK, 0, 1.2e-7);
    gpu->graph_free(gpu->ctx, graph);
    gpu->graph_free(gpu->ctx, NULL);
    CHECK_OK(gpu->synchronize(gpu->ctx));
    free_step(cpu, &c);
    free_step(gpu, &g);
    free(w0);
    free(t0);
}

int main(void) {
    gan_status s = gan_backend_cuda_init(0);
    if (s != GAN_OK) {
        const char *req = getenv("GAN_TEST_REQUIRE_CUDA");
        if (req && *req && strcmp(req, "0") != 0) {
            fprintf(stderr, "FAILED: GAN_TEST_REQUIRE_CUDA is set but: %s\n", gan_last_error());
            return 1;
        }
        fprintf(stderr, "skipped: %s\n", gan_last_error());
        return 77;
    }
    cpu = gan_backend_cpu();
    gpu = gan_backend_cuda();
    gan_backend_cpu_set_threads(0);
    CHECK(gpu != NULL && strcmp(gpu->name, "cuda") == 0);

    test_memory();
    test_gemm();
    for (int i = 0; i < N_ROWS; i++)
        for (int j = 0; j < N_FEATS; j++) {
            test_bias(rows_list[i], feats_list[j]);
            test_batchnorm(rows_list[i], feats_list[j]);
        }
    for (int i = 0; i < N_ELEM; i++) {
        test_elementwise(elem_sizes[i]);
        test_adam(elem_sizes[i]);
    }
    const size_t bce_sizes[] = {1, 7, 64, 129, 1024, 5000};
    for (size_t i = 0; i < sizeof bce_sizes / sizeof bce_sizes[0]; i++) {
        test_bce(bce_sizes[i]);
        test_loss_terms(bce_sizes[i]);
    }
    for (int i = 0; i < N_ELEM; i++) test_ema_clamp(elem_sizes[i]);
    const size_t rng_sizes[] = {1, 2, 3, 4, 5, 1001, ((size_t)1 << 20) + 1};
    for (size_t i = 0; i < sizeof rng_sizes / sizeof rng_sizes[0]; i++) {
        test_rng(1, gan_rng_stream(GAN_RNG_NOISE, i), rng_sizes[i]);
        test_rng(0xDEADBEEFCAFEF00Dull, gan_rng_stream(GAN_RNG_INIT, (3u << 16) | i),
                 rng_sizes[i]);
    }
    test_graph();
    CHECK_OK(gpu->synchronize(gpu->ctx));
    gan_backend_cuda_shutdown();
    return test_report();
}
