/*
 * test_conv_kernels.c - the CPU backend's convolution and matrix-product
 * kernels against plain double-precision loops, over shapes that reach
 * every code path: direct convolutions (forward, backward data, backward
 * weights) with 1 to 80 channels (one, two or four zmm of channels, partial
 * blocks, the narrow paths), kernels 1-5, strides 1-3, paddings 0-2, odd
 * and even sizes; the gemm in its four transpose cases with edge tiles.
 * Each result must match to 1e-5 of the
 * largest reference value and be bit-identical at 1 and 2 threads.
 */
#include "backend.h"
#include "cpu/cpu_common.h"
#include "rng.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float *rand_buf(size_t n, uint64_t stream) {
    float *v = malloc((n ? n : 1) * sizeof *v);
    gan_rng_uniform(3, stream, v, n);
    for (size_t i = 0; i < n; i++) v[i] = 2.0f * v[i] - 1.0f;
    return v;
}

static void check_close(const char *what, const float *got, const double *want, size_t n) {
    double amax = 0, worst = 0;
    for (size_t i = 0; i < n; i++) amax = fmax(amax, fabs(want[i]));
    for (size_t i = 0; i < n; i++) {
        double e = fabs(got[i] - want[i]);
        if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
    }
    CHECK_MSG(worst <= 1e-5 * amax + 1e-6, "%s: max error %.3g (max |ref| %.3g)", what, worst,
              amax);
}

typedef struct conv_case {
    int N, C, H, W, Cout, k, s, p;
} conv_case;

static int out_size(int in, int k, int s, int p) {
    return (in + 2 * p - k) / s + 1;
}

/* 0: forward, 1: backward data, 2: backward weights; at `threads`. */
static float *run_conv(int op, const conv_case *c, const gan_conv_shape *cs, const float *x,
                       const float *w, const float *b, const float *dy, const float *dw0,
                       int threads) {
    gan_backend_cpu_set_threads(threads);
    size_t nx = (size_t)c->N * c->C * c->H * c->W, ny = (size_t)c->N * c->Cout * cs->OH * cs->OW;
    size_t nw = (size_t)c->Cout * c->C * c->k * c->k;
    float *out;
    if (op == 0) {
        out = malloc(ny * sizeof *out);
        gan_cpu_conv2d_forward(NULL, out, x, w, b, c->N, cs, c->Cout);
    } else if (op == 1) {
        out = malloc(nx * sizeof *out);
        gan_cpu_conv2d_backward_data(NULL, out, dy, w, c->N, cs, c->Cout);
    } else {
        out = malloc(nw * sizeof *out);
        memcpy(out, dw0, nw * sizeof *out);
        gan_cpu_conv2d_backward_weight(NULL, out, x, dy, c->N, cs, c->Cout, 1.0f);
    }
    return out;
}

static void check_conv(const conv_case *c) {
    int OH = out_size(c->H, c->k, c->s, c->p), OW = out_size(c->W, c->k, c->s, c->p);
    gan_conv_shape cs = {c->C, c->H, c->W, c->k, c->s, c->p, OH, OW};
    size_t nx = (size_t)c->N * c->C * c->H * c->W, ny = (size_t)c->N * c->Cout * OH * OW;
    size_t nw = (size_t)c->Cout * c->C * c->k * c->k;
    float *x = rand_buf(nx, 1), *w = rand_buf(nw, 2), *b = rand_buf(c->Cout, 3);
    float *dy = rand_buf(ny, 4), *dw0 = rand_buf(nw, 5);
    double *y = calloc(ny, sizeof *y), *dx = calloc(nx, sizeof *dx), *dw = calloc(nw, sizeof *dw);
    for (size_t i = 0; i < nw; i++) dw[i] = dw0[i];
    for (int n = 0; n < c->N; n++)
        for (int co = 0; co < c->Cout; co++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    size_t yi = (((size_t)n * c->Cout + co) * OH + oh) * OW + ow;
                    double acc = b[co];
                    for (int ci = 0; ci < c->C; ci++)
                        for (int i = 0; i < c->k; i++)
                            for (int j = 0; j < c->k; j++) {
                                int ih = oh * c->s - c->p + i, iw = ow * c->s - c->p + j;
                                if (ih < 0 || ih >= c->H || iw < 0 || iw >= c->W) continue;
                                size_t xi = (((size_t)n * c->C + ci) * c->H + ih) * c->W + iw;
                                size_t wi = (((size_t)co * c->C + ci) * c->k + i) * c->k + j;
                                acc += (double)w[wi] * x[xi];
                                dx[xi] += (double)w[wi] * dy[yi];
                                dw[wi] += (double)dy[yi] * x[xi];
                            }
                    y[yi] = acc;
                }
    char what[160];
    static const char *ops[3] = {"forward", "backward data", "backward weights"};
    for (int op = 0; op < 3; op++) {
        float *r1 = run_conv(op, c, &cs, x, w, b, dy, dw0, 1);
        float *r2 = run_conv(op, c, &cs, x, w, b, dy, dw0, 2);
        size_t n = op == 0 ? ny : op == 1 ? nx : nw;
        snprintf(what, sizeof what, "conv %s N%d C%d %dx%d -> Cout%d k%d s%d p%d", ops[op], c->N,
                 c->C, c->H, c->W, c->Cout, c->k, c->s, c->p);
        check_close(what, r1, op == 0 ? y : op == 1 ? dx : dw, n);
        CHECK_MSG(memcmp(r1, r2, n * sizeof *r1) == 0, "%s: 1 and 2 threads differ", what);
        free(r1), free(r2);
    }
    /* forward without bias */
    gan_backend_cpu_set_threads(2);
    float *y0 = malloc(ny * sizeof *y0);
    gan_cpu_conv2d_forward(NULL, y0, x, w, NULL, c->N, &cs, c->Cout);
    for (size_t i = 0; i < ny; i++) y[i] -= b[(i / ((size_t)OH * OW)) % c->Cout];
    snprintf(what, sizeof what, "conv forward without bias N%d C%d Cout%d k%d s%d p%d", c->N, c->C,
             c->Cout, c->k, c->s, c->p);
    check_close(what, y0, y, ny);
    free(y0);
    free(x), free(w), free(b), free(dy), free(dw0), free(y), free(dx), free(dw);
}

static void check_gemm(bool ta, bool tb, int M, int N, int K, float beta) {
    float *A = rand_buf((size_t)M * K, 6), *B = rand_buf((size_t)K * N, 7);
    float *C0 = rand_buf((size_t)M * N, 8);
    double *want = malloc((size_t)M * N * sizeof *want);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++)
            want[(size_t)m * N + n] =
                test_gemm_dot(ta, tb, A, ta ? M : K, B, tb ? K : N, m, n, K) + beta * C0[(size_t)m * N + n];
    float *got[2];
    for (int t = 0; t < 2; t++) {
        gan_backend_cpu_set_threads(t + 1);
        got[t] = malloc((size_t)M * N * sizeof *got[t]);
        memcpy(got[t], C0, (size_t)M * N * sizeof *C0);
        gan_cpu_gemm(NULL, ta, tb, M, N, K, 1.0f, A, ta ? M : K, B, tb ? K : N, beta, got[t], N);
    }
    char what[96];
    snprintf(what, sizeof what, "gemm %c%c M%d N%d K%d beta %g", ta ? 'T' : 'N', tb ? 'T' : 'N',
             M, N, K, beta);
    check_close(what, got[0], want, (size_t)M * N);
    CHECK_MSG(memcmp(got[0], got[1], (size_t)M * N * sizeof *got[0]) == 0,
              "%s: 1 and 2 threads differ", what);
    free(A), free(B), free(C0), free(want), free(got[0]), free(got[1]);
}

int main(void) {
    static const conv_case cases[] = {
        /* the dcgan shapes, small batches */
        {3, 64, 14, 14, 128, 4, 2, 1}, /* D conv 2; G convT 4 as its transpose */
        {3, 1, 28, 28, 64, 4, 2, 1},   /* D conv 0; G convT 7 */
        {2, 128, 7, 7, 64, 4, 2, 1},
        /* channel blocks: 1, 2, 4 zmm, partial */
        {2, 16, 9, 8, 20, 3, 1, 1},
        {2, 33, 6, 7, 17, 3, 2, 0},
        {2, 8, 11, 13, 80, 5, 3, 2},
        {2, 40, 5, 5, 3, 3, 1, 2},
        {1, 24, 10, 12, 33, 2, 2, 0},
        {2, 12, 8, 30, 16, 3, 1, 1},   /* rows longer than one tile */
        {2, 20, 15, 29, 5, 4, 2, 1},
        {1, 9, 6, 6, 50, 1, 1, 0},
        {2, 3, 7, 9, 40, 3, 3, 1},     /* narrow input */
        {2, 70, 4, 4, 2, 3, 1, 1},     /* narrow output */
        {1, 16, 3, 3, 16, 5, 2, 2},    /* kernel larger than the image */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_conv(&cases[i]);
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        check_gemm(ta, tb, 37, 70, 29, 0.0f);
        check_gemm(ta, tb, 8, 32, 256, 1.0f);
        check_gemm(ta, tb, 130, 600, 300, 1.0f);
        check_gemm(ta, tb, 5, 17, 4, 0.5f);
    }
    gan_backend_cpu_set_threads(2);
    return test_report();
}
