/*
 * test_cuda_kernels.c - what the table-driven tests/test_backend_ops.c does
 * not cover on the CUDA backend: the matrix-product math modes (TF32,
 * pedantic), random numbers over many streams and seeds against rng.c,
 * memory (zeroing, alignment, out of memory, a bad device) and the replay
 * of a captured graph of a training-like step. Each kernel against the CPU,
 * over awkward sizes, is in tests/test_backend_ops.c.
 *
 * Exits 77 (CTest: skipped) when there is no usable GPU, unless
 * GAN_TEST_REQUIRE_CUDA=1 is set, which turns that into a failure (use it on
 * GPU machines so a broken driver cannot pass as "skipped").
 *
 * Tolerances, as |gpu - cpu| <= atol + rtol |cpu| (test_max_rel_err <= 1):
 *   gemm (FP32, pedantic)  atol = K 2^-21, rtol 1e-5 (sums of K products)
 *   gemm (TF32)            atol = K 2^-9,  rtol 1e-2
 *   rng                    uniform exact; normal <= 1 ulp of float
 */
#include "cuda_test_util.h"
#include "rng.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------- gemm */

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

/* The math modes: TF32 takes effect (looser), pedantic FP32, and back (the
 * FP32 sweep over sizes is in tests/test_backend_ops.c). */
static void test_gemm_math(void) {
    CHECK_OK(gan_backend_cuda_set_math(GAN_CUDA_MATH_TF32));
    gemm_case(false, false, 127, 1025, 784, 0, 1.0f, 0.0f, 0x1.0p-9, 1e-2);
    gemm_case(true, true, 784, 33, 1025, 0, 1.0f, 1.0f, 0x1.0p-9, 1e-2);
    CHECK_OK(gan_backend_cuda_set_math(GAN_CUDA_MATH_PEDANTIC));
    gemm_case(false, true, 129, 784, 1025, 0, 1.0f, 0.5f, 0x1.0p-21, 1e-5);
    CHECK_OK(gan_backend_cuda_set_math(GAN_CUDA_MATH_FP32));
    gemm_case(true, false, 33, 127, 1025, 3, -0.75f, 0.5f, 0x1.0p-21, 1e-5);
    CHECK_OK(gpu->synchronize(gpu->ctx));
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
    gpu->rng_normal_dev(gpu->ctx, seed, dS, 0, d, n);
    h = dev_download(d, n);
    float *again = malloc(n * sizeof *again);
    if (!again) abort();
    gpu->rng_normal(gpu->ctx, seed, stream, d, n);
    CHECK_OK(gpu->copy_to_host(gpu->ctx, again, d, n * sizeof *again));
    CHECK_MSG(memcmp(h, again, n * sizeof *h) == 0, "rng_normal_dev differs from rng_normal");
    if (n > 8) { /* a slice from an odd offset: the same elements of the stream (a rank's rows) */
        size_t off = n / 2 | 1, len = n - off - 1;
        gpu->mem_set(gpu->ctx, d, 0, n * sizeof *d);
        gpu->rng_normal_dev(gpu->ctx, seed, dS, off, d, len);
        CHECK_OK(gpu->copy_to_host(gpu->ctx, again, d, n * sizeof *again));
        CHECK_MSG(memcmp(h + off, again, len * sizeof *h) == 0 && again[len] == 0.0f,
                  "rng_normal_dev from offset %zu differs from the stream's elements", off);
    }
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

/* One "step": noise, a product, bias, loss into a device sum, Adam with its
 * schedule in device memory (adam_dev), then a moving average of the weights whose warm-up decay
 * comes from the device step count (different at each replay). Captured
 * once and replayed; must equal direct calls. */
struct step_bufs {
    float *z, *w, *b, *y, *dl, *sums, *ticket, *m, *v, *avg;
    int64_t *step;
    uint64_t *stream;
};

enum { GB = 64, GK = 33, GN = 7 };

static void run_step(const gan_backend *be, struct step_bufs *s) {
    be->rng_normal_dev(be->ctx, 7, s->stream, 0, s->z, (size_t)GB * GK);
    be->gemm(be->ctx, false, false, GB, GN, GK, 1.0f, s->z, GK, s->w, GN, 0.0f, s->y, GN);
    be->bias_forward(be->ctx, s->y, s->b, GB, GN);
    be->loss_acc(be->ctx, s->dl, s->y, (size_t)GB * GN, GAN_LOSS_TERM_BCE, 1.0f, 1.0f / GB,
                 s->sums);
    be->adam_dev(be->ctx, s->w, s->m, s->v, s->dl, (size_t)GK * GN, s->step,
                 (uint32_t *)s->ticket, 1e-3f, 0.5f, 0.999f, 1e-7f, true);
    be->ema_update(be->ctx, s->avg, s->w, (size_t)GK * GN, 0.999f, s->step);
}

static void alloc_step(const gan_backend *be, struct step_bufs *s, const float *w0) {
    const size_t sizes[] = {GB * GK, GK * GN, GN, GB * GN, GB * GN, 2, 1, GK * GN, GK * GN,
                            GK * GN};
    float **slots[] = {&s->z, &s->w, &s->b, &s->y, &s->dl, &s->sums, &s->ticket, &s->m, &s->v,
                       &s->avg};
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
    be->copy_to_device(be->ctx, s->avg, w0, GK * GN * sizeof(float));
}

static void free_step(const gan_backend *be, struct step_bufs *s) {
    void *all[] = {s->z,    s->w,    s->b, s->y, s->dl,   s->sums,
                   s->ticket, s->m,    s->v, s->avg, s->step, s->stream};
    for (int i = 0; i < 12; i++) be->mem_free(be->ctx, all[i]);
}

static void test_graph(void) {
    float *w0 = host_random(GK * GN, -0.3f, 0.3f);
    struct step_bufs c, g;
    alloc_step(cpu, &c, w0);
    alloc_step(gpu, &g, w0);
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
    expect_close("graph: EMA with warm-up after 4 replays", g.avg, c.avg, GK * GN, 1e-5, 1e-4);
    expect_close("graph: loss sums", g.sums, c.sums, 2, 1e-3, 1e-4);
    expect_close("graph: last noise", g.z, c.z, GB * GK, 0, 1.2e-7);
    gpu->graph_free(gpu->ctx, graph);
    gpu->graph_free(gpu->ctx, NULL);
    CHECK_OK(gpu->synchronize(gpu->ctx));
    free_step(cpu, &c);
    free_step(gpu, &g);
    free(w0);
}

int main(void) {
    int rc = cuda_test_open();
    if (rc != 0) return rc;
    CHECK(gpu != NULL && strcmp(gpu->name, "cuda") == 0);

    test_memory();
    test_gemm_math();
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
