/*
 * test_backend_cpu.c - the CPU backend's device-resident, random-number,
 * memory and graph entries (the ones the CUDA backend is checked against in
 * tests/cuda/): each must agree with the host-returning kernel or library
 * function it mirrors, bit for bit. And the gemm's rows do not depend on the
 * call's number of rows (a sample does not depend on its batch).
 */
#include "backend.h"
#include "rng.h"
#include "test_util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N 1003

/* loss_acc's BCE term (device-resident sums) against the host-returning
 * bce_logits, for targets 1 and 0. */
static void test_loss_acc_bce(const gan_backend *be) {
    float l[N], t[N], dl_a[N], dl_b[N];
    gan_rng_uniform(3, 1, l, N);
    for (int i = 0; i < N; i++) l[i] = 30.0f * l[i] - 15.0f;
    for (int target = 0; target <= 1; target++) {
        for (int i = 0; i < N; i++) t[i] = (float)target;
        double probs = 0;
        double loss = be->bce_logits(be->ctx, dl_a, l, t, N, 0.25f, &probs);
        float sums[2] = {1.0f, -2.0f};
        be->loss_acc(be->ctx, dl_b, l, N, GAN_LOSS_TERM_BCE, (float)target, 0.25f, sums);
        CHECK(memcmp(dl_a, dl_b, sizeof dl_a) == 0);
        CHECK(sums[0] == 1.0f + (float)loss);
        CHECK(sums[1] == -2.0f + (float)probs);
        be->loss_acc(be->ctx, NULL, l, N, GAN_LOSS_TERM_BCE, (float)target, 0.25f,
                     sums); /* dl may be NULL */
        CHECK(fabsf(sums[0] - (1.0f + 2.0f * (float)loss)) <= 1e-6f * fabsf(sums[0]));
    }
}

/* adam_dev (the step count in memory) against adam with the host's lr_t,
 * bit for bit, both leaving g zero */
static void test_adam_dev(const gan_backend *be) {
    const float lr = 2e-4f, b1 = 0.5f, b2 = 0.999f, eps = 1e-7f;
    float p_a[N], m_a[N], v_a[N], g0[N], g_a[N], g_b[N];
    gan_rng_uniform(4, 1, p_a, N);
    gan_rng_uniform(4, 2, g0, N);
    memset(m_a, 0, sizeof m_a);
    memset(v_a, 0, sizeof v_a);
    float p_b[N], m_b[N], v_b[N];
    memcpy(p_b, p_a, sizeof p_a);
    memcpy(m_b, m_a, sizeof m_a);
    memcpy(v_b, v_a, sizeof v_a);
    int64_t t = 0;
    uint32_t ticket = 0;
    for (int step = 1; step <= 4; step++) {
        /* the formula of gan_model_adam_step */
        double td = (double)step;
        float expect = (float)(lr * sqrt(1.0 - pow(b2, td)) / (1.0 - pow(b1, td)));
        memcpy(g_a, g0, sizeof g0);
        memcpy(g_b, g0, sizeof g0);
        be->adam(be->ctx, p_a, m_a, v_a, g_a, N, expect, b1, b2, eps, true);
        be->adam_dev(be->ctx, p_b, m_b, v_b, g_b, N, &t, &ticket, lr, b1, b2, eps, true);
        CHECK(t == step);
        CHECK(ticket == 0);
        for (int i = 0; i < N; i++) CHECK(g_a[i] == 0.0f && g_b[i] == 0.0f);
    }
    CHECK(memcmp(p_a, p_b, sizeof p_a) == 0);
    CHECK(memcmp(m_a, m_b, sizeof m_a) == 0);
    CHECK(memcmp(v_a, v_b, sizeof v_a) == 0);
}

static void test_rng(const gan_backend *be) {
    float a[N], b[N];
    uint64_t stream = gan_rng_stream(GAN_RNG_NOISE, 17);
    gan_rng_uniform(9, stream, a, N);
    be->rng_uniform(be->ctx, 9, stream, b, N);
    CHECK(memcmp(a, b, sizeof a) == 0);
    gan_rng_normal(9, stream, a, N);
    be->rng_normal(be->ctx, 9, stream, b, N);
    CHECK(memcmp(a, b, sizeof a) == 0);
    memset(b, 0, sizeof b);
    be->rng_normal_dev(be->ctx, 9, &stream, 0, b, N);
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* a slice from any offset (odd ones split a Box-Muller pair) is the same
     * elements of the stream: what a rank draws for its rows of a batch */
    const size_t offsets[] = {1, 2, 7, N / 2, N - 3};
    for (size_t i = 0; i < sizeof offsets / sizeof *offsets; i++) {
        size_t off = offsets[i], n = N - off - (off & 1);
        memset(b, 0, sizeof b);
        be->rng_normal_dev(be->ctx, 9, &stream, off, b, n);
        CHECK_MSG(memcmp(a + off, b, n * sizeof *b) == 0, "offset %zu", off);
        CHECK(b[n] == 0.0f); /* nothing written past n */
    }
}

static void test_memory(const gan_backend *be) {
    void *p = NULL, *q = NULL;
    CHECK_OK(be->mem_alloc(be->ctx, &p, 1000));
    CHECK(p != NULL && (uintptr_t)p % 64 == 0);
    unsigned char host[1000];
    memset(host, 7, sizeof host);
    CHECK_OK(be->copy_to_host(be->ctx, host, p, sizeof host));
    int zero = 1;
    for (int i = 0; i < 1000; i++) zero &= host[i] == 0;
    CHECK(zero);
    CHECK_OK(be->mem_alloc(be->ctx, &q, 1000));
    be->mem_set(be->ctx, p, 0x5A, 1000);
    be->copy(be->ctx, q, p, 600);
    CHECK_OK(be->copy_to_host(be->ctx, host, q, 1000));
    CHECK(host[0] == 0x5A && host[599] == 0x5A && host[600] == 0 && host[999] == 0);
    memset(host, 3, sizeof host);
    be->copy_to_device(be->ctx, p, host, 10);
    CHECK_OK(be->synchronize(be->ctx));
    CHECK(((unsigned char *)p)[9] == 3 && ((unsigned char *)p)[10] == 0x5A);
    be->mem_free(be->ctx, p);
    be->mem_free(be->ctx, q);
    be->mem_free(be->ctx, NULL);
    CHECK_OK(be->mem_alloc(be->ctx, &p, 0));
    CHECK(p == NULL);
}

static void test_graph(const gan_backend *be) {
    gan_graph *g = (gan_graph *)1;
    CHECK(be->graph_begin(be->ctx) == GAN_ERR_UNSUPPORTED);
    CHECK(be->graph_end(be->ctx, &g) == GAN_ERR_UNSUPPORTED && g == NULL);
    CHECK(be->graph_replay(be->ctx, NULL) == GAN_ERR_UNSUPPORTED);
    be->graph_free(be->ctx, NULL);
}

/* C = alpha A B^T + beta C: each row of a 64-row call (the few-rows path on
 * AVX-512) has the bits of the same row in a 200-row call (the packed path),
 * for a dense layer's shapes, with and without alpha and beta. Only the own
 * AVX-512 gemm promises this: OpenBLAS (builds without AVX-512, e.g. the
 * sanitizer build's -march baseline) blocks by the number of rows too. */
static void test_gemm_rows(const gan_backend *be) {
#if defined(__AVX512F__)
    static const int shapes[][2] = {{1024, 784}, {784, 1024}, {512, 256}, {256, 100}};
    int rows = 200, few = 64;
    for (int s = 0; s < 4; s++)
        for (int v = 0; v < 2; v++) {
            int n = shapes[s][0], k = shapes[s][1];
            float alpha = v ? 0.75f : 1.0f, beta = v ? 1.0f : 0.0f;
            float *a = malloc((size_t)rows * k * 4), *b = malloc((size_t)n * k * 4);
            float *c1 = malloc((size_t)rows * n * 4), *c2 = malloc((size_t)few * n * 4);
            if (!a || !b || !c1 || !c2) abort();
            uint32_t x = 12345u + (uint32_t)s;
            for (size_t i = 0; i < (size_t)rows * k; i++)
                a[i] = (float)((x = x * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
            for (size_t i = 0; i < (size_t)n * k; i++)
                b[i] = (float)((x = x * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
            for (size_t i = 0; i < (size_t)rows * n; i++) c1[i] = (float)(i % 7) - 3.0f;
            memcpy(c2, c1, (size_t)few * n * 4);
            be->gemm(be->ctx, false, true, rows, n, k, alpha, a, k, b, k, beta, c1, n);
            be->gemm(be->ctx, false, true, few, n, k, alpha, a, k, b, k, beta, c2, n);
            CHECK_MSG(memcmp(c1, c2, (size_t)few * n * 4) == 0,
                      "gemm %dx%dx%d alpha %g beta %g: the first %d rows differ from a %d-row "
                      "call's", few, n, k, alpha, beta, few, rows);
            free(a), free(b), free(c1), free(c2);
        }
#else
    (void)be;
#endif
}

int main(void) {
    const gan_backend *be = gan_backend_cpu();
    gan_backend_cpu_set_threads(0);
    test_loss_acc_bce(be);
    test_adam_dev(be);
    test_rng(be);
    test_memory(be);
    test_graph(be);
    test_gemm_rows(be);
#ifndef GAN_HAVE_CUDA
    /* a build without CUDA says so instead of failing to link */
    CHECK(gan_backend_cuda_init(0) == GAN_ERR_UNSUPPORTED);
    CHECK(strstr(gan_last_error(), "GAN_CUDA=ON") != NULL);
    CHECK(gan_backend_cuda() == NULL);
#endif
    return test_report();
}
