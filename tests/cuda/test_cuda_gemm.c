/*
 * test_cuda_gemm.c - the CUDA backend's matrix-product paths
 * (src/cuda/gemm_lt.cu, GAN_CUDA_GEMM) against a double-precision
 * reference (label cuda; 77 = no GPU, see cuda_test_util.h), over the
 * products of the seed MLP step at batch 64 (all 30 shapes, as the CPU step
 * calls gemm) and of the dcgan step at batch 64 on the im2col path (the
 * convolution layers' forward, data-gradient and weight-gradient products),
 * in each precision (fp32, tf32, bf16) and on each path: blas (cuBLAS), lt
 * (cuBLASLt forced) and auto (timed per shape):
 *   - each result within tol S + 1e-6 of the reference per element, S =
 *     |alpha| sum |a||b| + |beta c|, tol 1e-5 (fp32), 2e-3 (tf32), 1.6e-2
 *     (bf16): docs/cuda.md's per-precision tolerances; C is NaN when beta
 *     is 0 (it must not be read), and auto's timing runs on a beta-1 C must
 *     leave it as it was (the result is the reference's);
 *   - lt against blas within 2 tol S + 1e-6;
 *   - the same product run again gives the same bits, on every path;
 *   - forced lt plans report lt for every one of these shapes (cuBLASLt
 *     has an algorithm for each), auto plans report a timed choice, and
 *     auto leaves fp32 products on fp32 operands to cuBLAS (no plan);
 *   - graph capture (auto, tf32): a product planned before the capture and
 *     one first seen during it (which takes cuBLAS, untimed) replay equal
 *     to direct calls bit for bit;
 *   - GAN_CUDA_GEMM=bogus is refused by set_math, naming the value.
 * The bf16-operand products of the direct convolutions' GEMM path go
 * through the same plans (test_cuda_precision.c runs that path).
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "cuda_test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gemm_shape {
    int ta, tb, M, N, K;
    float beta;
} gemm_shape;

/* the seed MLP at batch 64: forward (G at 64 rows, D at 128), data and
 * weight gradients (beta 1: gradients accumulate), the noise and bias
 * products (K = 1) */
static const gemm_shape mlp_shapes[] = {
    {0, 0, 128, 1024, 512, 0}, {0, 0, 128, 256, 1, 0},   {0, 0, 128, 512, 256, 0},
    {0, 0, 64, 1024, 512, 0},  {0, 0, 64, 1024, 784, 0}, {0, 0, 64, 256, 1, 0},
    {0, 0, 64, 256, 512, 0},   {0, 0, 64, 512, 1024, 0}, {0, 0, 64, 512, 256, 0},
    {0, 0, 64, 784, 1024, 0},  {0, 1, 128, 1, 256, 0},   {0, 1, 128, 1024, 784, 0},
    {0, 1, 128, 256, 512, 0},  {0, 1, 128, 512, 1024, 0}, {0, 1, 64, 1, 256, 0},
    {0, 1, 64, 1024, 512, 0},  {0, 1, 64, 1024, 784, 0}, {0, 1, 64, 256, 100, 0},
    {0, 1, 64, 256, 512, 0},   {0, 1, 64, 512, 1024, 0}, {0, 1, 64, 512, 256, 0},
    {0, 1, 64, 784, 1024, 0},  {1, 0, 1, 256, 128, 1},   {1, 0, 1024, 512, 64, 1},
    {1, 0, 1024, 784, 128, 1}, {1, 0, 256, 100, 64, 1},  {1, 0, 256, 512, 128, 1},
    {1, 0, 512, 1024, 128, 1}, {1, 0, 512, 256, 64, 1},  {1, 0, 784, 1024, 64, 1},
};

/* dcgan at 28x28, batch 64 (one group of 64 images; conv2d.c,
 * conv_transpose2d.c): G's transposed convolutions 100 -> 128x7x7 ->
 * 64x14x14 -> 1x28x28 and D's convolutions 1x28x28 -> 64x14x14 -> 128x7x7
 * -> 1 mirror each other (G's forward is D's data gradient and so on), so
 * these are all of them: */
static const gemm_shape dcgan_shapes[] = {
    {1, 0, 6272, 64, 100, 0},   {0, 1, 100, 6272, 64, 1},  /* G 1: forward, weight */
    {1, 0, 1024, 3136, 128, 0}, {0, 1, 128, 1024, 3136, 1}, /* G 2 (D 2 data, weight) */
    {0, 0, 128, 3136, 1024, 0},                             /* G 2 data (D 2 forward) */
    {1, 0, 16, 12544, 64, 0},   {0, 1, 64, 16, 12544, 1},   /* G 3 (D 1 data, weight) */
    {0, 0, 64, 12544, 16, 0},                               /* G 3 data (D 1 forward) */
    {0, 0, 1, 64, 6272, 0},     {0, 1, 1, 6272, 64, 1},     /* D 3: forward, weight */
    {1, 0, 6272, 64, 1, 0},                                 /* D 3: data */
};

enum { PATH_BLAS, PATH_LT, PATH_AUTO, N_PATHS };
static const char *const path_names[N_PATHS] = {"blas", "lt", "auto"};
static const gan_cuda_math maths[] = {GAN_CUDA_MATH_FP32, GAN_CUDA_MATH_TF32,
                                      GAN_CUDA_MATH_BF16};
static const char *const math_names[] = {"fp32", "tf32", "bf16"};
static const double tols[] = {1e-5, 2e-3, 1.6e-2};

static void use(int path, gan_cuda_math m) {
    setenv("GAN_CUDA_GEMM", path_names[path], 1);
    CHECK_OK(gan_backend_cuda_set_math(m));
}

/* Row-major stored sizes and leading dimensions (no padding: as the layers call it). */
static void dims(const gemm_shape *s, int *lda, int *ldb, size_t *na, size_t *nb, size_t *nc) {
    *lda = s->ta ? s->M : s->K, *ldb = s->tb ? s->K : s->N;
    *na = (size_t)s->M * s->K, *nb = (size_t)s->K * s->N, *nc = (size_t)s->M * s->N;
}

static double at(const float *X, int trans, int ld, int r, int c) {
    return trans ? X[(size_t)c * ld + r] : X[(size_t)r * ld + c];
}

/* ref = alpha op(A) op(B) + beta C and S (the sum of magnitudes), in double. */
static void reference(const gemm_shape *s, float alpha, const float *A, const float *B,
                      const float *C, double *ref, double *S) {
    int lda, ldb;
    size_t na, nb, nc;
    dims(s, &lda, &ldb, &na, &nb, &nc);
    for (int m = 0; m < s->M; m++)
        for (int n = 0; n < s->N; n++) {
            double sum = 0, mag = 0;
            for (int k = 0; k < s->K; k++) {
                double p = at(A, s->ta, lda, m, k) * at(B, s->tb, ldb, k, n);
                sum += p, mag += fabs(p);
            }
            size_t i = (size_t)m * s->N + n;
            double c = s->beta != 0 ? (double)s->beta * C[i] : 0;
            ref[i] = alpha * sum + c;
            S[i] = fabs(alpha) * mag + fabs(c);
        }
}

/* The worst |got - want| / (tol S + 1e-6) (NaN counts as infinite). */
static double worst(const float *got, const double *want, const double *S, size_t n, double tol,
                    double scale) {
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]) / (scale * tol * S[i] + 1e-6);
        if (!(e <= w)) w = isnan(e) ? INFINITY : e;
    }
    return w;
}

/* One product on the GPU into dC (reset from C0 first); the result downloaded. */
static float *run(const gemm_shape *s, float alpha, const float *dA, const float *dB,
                  const float *dC0, float *dC) {
    int lda, ldb;
    size_t na, nb, nc;
    dims(s, &lda, &ldb, &na, &nb, &nc);
    gpu->copy(gpu->ctx, dC, dC0, nc * sizeof(float));
    gpu->gemm(gpu->ctx, s->ta, s->tb, s->M, s->N, s->K, alpha, dA, lda, dB, ldb, s->beta, dC,
              s->N);
    CHECK_OK(gpu->synchronize(gpu->ctx));
    return dev_download(dC, nc);
}

static int n_checked;

static void test_shape(const char *model, const gemm_shape *s) {
    int lda, ldb;
    size_t na, nb, nc;
    dims(s, &lda, &ldb, &na, &nb, &nc);
    float alpha = 1.0f;
    float *A = host_random(na, -1, 1), *B = host_random(nb, -1, 1), *C = host_random(nc, -1, 1);
    if (s->beta == 0)
        for (size_t i = 0; i < nc; i++) C[i] = NAN; /* beta = 0 must not read C */
    double *ref = malloc(nc * sizeof *ref), *S = malloc(nc * sizeof *S);
    if (!ref || !S) abort();
    reference(s, alpha, A, B, C, ref, S);
    float *dA = dev_upload(A, na), *dB = dev_upload(B, nb), *dC0 = dev_upload(C, nc);
    float *dC = dev_alloc(nc * sizeof(float));
    char what[160];
    for (int mi = 0; mi < 3; mi++) {
        float *got[N_PATHS];
        for (int p = 0; p < N_PATHS; p++) {
            use(p, maths[mi]);
            snprintf(what, sizeof what, "%s ta=%d tb=%d M=%d N=%d K=%d beta=%g, %s, %s", model,
                     s->ta, s->tb, s->M, s->N, s->K, s->beta, math_names[mi], path_names[p]);
            got[p] = run(s, alpha, dA, dB, dC0, dC); /* the plan's call (timed on auto) */
            double e = worst(got[p], ref, S, nc, tols[mi], 1.0);
            CHECK_MSG(e <= 1.0, "%s: error %.3g of the tolerance", what, e);
            float *again = run(s, alpha, dA, dB, dC0, dC);
            CHECK_MSG(memcmp(again, got[p], nc * sizeof(float)) == 0,
                      "%s: a second run differs (max %lld ulps)", what,
                      (long long)max_ulp(again, got[p], nc));
            free(again);
            n_checked++;
        }
        double *blas = malloc(nc * sizeof *blas);
        if (!blas) abort();
        for (size_t i = 0; i < nc; i++) blas[i] = got[PATH_BLAS][i];
        double e = worst(got[PATH_LT], blas, S, nc, tols[mi], 2.0);
        CHECK_MSG(e <= 1.0, "%s ta=%d tb=%d M=%d N=%d K=%d, %s: lt against blas: %.3g of 2 tol",
                  model, s->ta, s->tb, s->M, s->N, s->K, math_names[mi], e);
        free(blas);
        for (int p = 0; p < N_PATHS; p++) free(got[p]);
    }
    gpu->mem_free(gpu->ctx, dA);
    gpu->mem_free(gpu->ctx, dB);
    gpu->mem_free(gpu->ctx, dC0);
    gpu->mem_free(gpu->ctx, dC);
    free(A);
    free(B);
    free(C);
    free(ref);
    free(S);
}

/* Every plan so far: forced lt ones take lt, auto ones were timed, and auto
 * made none for fp32 math on fp32 operands. */
static void check_report(void) {
    static char report[1 << 20];
    size_t n = gan_backend_cuda_gemm_report(report, sizeof report);
    CHECK_MSG(n > 0, "no product plans reported");
    int lt_plans = 0, auto_plans = 0;
    for (char *line = report; *line;) {
        char *end = strchr(line, '\n');
        if (!end) break;
        *end = '\0';
        if (strstr(line, " lt: ")) {
            lt_plans++;
            CHECK_MSG(strstr(line, ": lt ") != NULL, "a forced lt plan took cuBLAS: %s", line);
        }
        CHECK_MSG(!strstr(line, " fp32 auto: "), "auto planned an fp32 product (it stays on "
                  "cuBLAS, bit for bit across processes): %s", line);
        if (strstr(line, " auto: ")) {
            auto_plans++;
            CHECK_MSG(strstr(line, " ms ") != NULL, "an auto plan was not timed: %s", line);
        }
        line = end + 1;
    }
    CHECK_MSG(lt_plans > 0 && auto_plans > 0, "plans: %d forced lt, %d auto", lt_plans,
              auto_plans);
    printf("gemm plans: %zu (%d forced lt, %d auto); the auto ones:\n", n, lt_plans,
           auto_plans);
    for (char *line = report; line < report + sizeof report && *line; line += strlen(line) + 1)
        if (strstr(line, " auto: ")) printf("  %s\n", line);
}

/* A product planned before a capture and one first seen during it replay
 * equal to direct calls, bit for bit (auto, tf32: auto plans no fp32
 * product). */
static void test_graph(void) {
    use(PATH_AUTO, GAN_CUDA_MATH_TF32);
    const gemm_shape planned = {1, 0, 512, 256, 64, 1}, fresh = {0, 1, 37, 301, 77, 0};
    const gemm_shape *sh[2] = {&planned, &fresh};
    float *dA[2], *dB[2], *dC0[2], *dC[2], *direct[2];
    for (int i = 0; i < 2; i++) {
        int lda, ldb;
        size_t na, nb, nc;
        dims(sh[i], &lda, &ldb, &na, &nb, &nc);
        float *A = host_random(na, -1, 1), *B = host_random(nb, -1, 1);
        float *C = host_random(nc, -1, 1);
        dA[i] = dev_upload(A, na), dB[i] = dev_upload(B, nb), dC0[i] = dev_upload(C, nc);
        dC[i] = dev_alloc(nc * sizeof(float));
        free(A), free(B), free(C);
    }
    free(run(&planned, 1.0f, dA[0], dB[0], dC0[0], dC[0])); /* plans it (timed) */

    gan_graph *graph = NULL;
    CHECK_OK(gpu->graph_begin(gpu->ctx));
    for (int i = 0; i < 2; i++) {
        int lda, ldb;
        size_t na, nb, nc;
        dims(sh[i], &lda, &ldb, &na, &nb, &nc);
        gpu->copy(gpu->ctx, dC[i], dC0[i], nc * sizeof(float));
        gpu->gemm(gpu->ctx, sh[i]->ta, sh[i]->tb, sh[i]->M, sh[i]->N, sh[i]->K, 1.0f, dA[i], lda,
                  dB[i], ldb, sh[i]->beta, dC[i], sh[i]->N);
    }
    CHECK_OK(gpu->graph_end(gpu->ctx, &graph));
    for (int i = 0; i < 2; i++) direct[i] = run(sh[i], 1.0f, dA[i], dB[i], dC0[i], dC[i]);
    for (int r = 0; r < 3; r++) {
        CHECK_OK(gpu->graph_replay(gpu->ctx, graph));
        CHECK_OK(gpu->synchronize(gpu->ctx));
        for (int i = 0; i < 2; i++) {
            float *h = dev_download(dC[i], (size_t)sh[i]->M * sh[i]->N);
            CHECK_MSG(memcmp(h, direct[i], (size_t)sh[i]->M * sh[i]->N * sizeof(float)) == 0,
                      "graph replay %d of product %d differs from a direct call", r, i);
            free(h);
        }
    }
    gpu->graph_free(gpu->ctx, graph);
    static char report[1 << 20];
    gan_backend_cuda_gemm_report(report, sizeof report);
    CHECK_MSG(strstr(report, "M37 N301 K77") &&
                  strstr(strstr(report, "M37 N301 K77"), "first seen in a capture"),
              "the product first seen in a capture: %s", report);
    for (int i = 0; i < 2; i++) {
        gpu->mem_free(gpu->ctx, dA[i]);
        gpu->mem_free(gpu->ctx, dB[i]);
        gpu->mem_free(gpu->ctx, dC0[i]);
        gpu->mem_free(gpu->ctx, dC[i]);
        free(direct[i]);
    }
}

int main(void) {
    int rc = cuda_test_open();
    if (rc != 0) return rc;
    setenv("GAN_CUDA_GEMM", "bogus", 1);
    CHECK(gan_backend_cuda_set_math(GAN_CUDA_MATH_FP32) == GAN_ERR_INVALID_ARGUMENT);
    CHECK_MSG(strstr(gan_last_error(), "GAN_CUDA_GEMM=bogus") != NULL, "message: %s",
              gan_last_error());
    for (size_t i = 0; i < sizeof mlp_shapes / sizeof mlp_shapes[0]; i++)
        test_shape("mlp", &mlp_shapes[i]);
    for (size_t i = 0; i < sizeof dcgan_shapes / sizeof dcgan_shapes[0]; i++)
        test_shape("dcgan", &dcgan_shapes[i]);
    check_report();
    test_graph();
    printf("%d products checked (shape x precision x path)\n", n_checked);
    unsetenv("GAN_CUDA_GEMM");
    CHECK_OK(gan_backend_cuda_set_math(GAN_CUDA_MATH_FP32));
    CHECK_OK(gpu->synchronize(gpu->ctx));
    gan_backend_cuda_shutdown();
    return test_report();
}
