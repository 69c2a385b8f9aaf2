/*
 * test_backend_ops.c - one table-driven test of every kernel of every
 * available backend (ggml's test-backend-ops is the model).
 *
 * A case is one call (or a short sequence) of one kernel of
 * backend_kernels.def on inputs of an awkward size: its buffers (inputs,
 * outputs, in-place buffers, with initial values drawn from a fixed stream),
 * a run function that calls the kernel through a backend table, and a naive
 * reference that computes the same outputs in double on the host. Each case
 * runs:
 *   - on the CPU backend (the reference backend), compared with the naive
 *     double-precision reference (so the test means something on a machine
 *     without a GPU);
 *   - on every other backend that has the kernel (CUDA when a GPU is there),
 *     compared with the CPU backend's result (or the naive reference where
 *     the CPU lacks the kernel), with the tolerances of the former
 *     hand-written CUDA tests.
 * "big" cases (too slow for the naive reference on a CPU-only machine) run
 * only when another backend is present, against the CPU backend.
 * The random-number kernels' reference is rng.c itself (the CPU backend
 * calls it; the check there is that the table entry returns its values).
 *
 * Coverage: every kernel outside the MEMORY group must have a case (the
 * MEMORY entries move every buffer of every case, and test_backend_cpu.c and
 * tests/cuda/test_cuda_kernels.c test them directly), and a backend must
 * have every kernel of the NETWORK and TRAINER groups.
 *
 * Tolerances are |got - want| <= atol + rtol |want| per element, written at
 * each case: "be" (another backend against the CPU) and "ref" (the CPU
 * against the double reference). Integer buffers must match exactly.
 *
 * With GAN_TEST_REQUIRE_CUDA=1, a build with CUDA fails when no GPU opens.
 */
#include "augment.h"
#include "backend.h"
#include "layers/layer.h"
#include "minibatch_std.h"
#include "model.h"
#include "rng.h"
#include "test_util.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T_F32, T_I32, T_U8, T_U32, T_I64, T_U64 };
enum { IN, OUT, INOUT };

static const size_t type_size[] = {4, 4, 1, 4, 8, 8};

typedef struct tbuf {
    int type, role;
    size_t n;
    double lo, hi;             /* initial values uniform in [lo, hi) (lo NAN: all NaN) */
    double atol, rtol;         /* another backend against the CPU */
    double ref_atol, ref_rtol; /* the CPU against the double reference */
    bool null;                 /* the kernel gets NULL here */
} tbuf;

typedef struct op_case op_case;
/* Run the kernel on backend be with buffers d (be's memory); host scalars
 * the kernel returns go to ret. */
typedef void (*run_fn)(const gan_backend *be, void **d, const op_case *c, double *ret);
/* The same outputs from host buffers h, in double. */
typedef void (*ref_fn)(void **h, const op_case *c, double *ret);
/* Adjust the initial values (special inputs, consistent indices). */
typedef void (*prep_fn)(void **h, const op_case *c);

#define MAX_BUFS 12

struct op_case {
    char name[112];
    gan_kernel k;
    int i[10];   /* shapes and integer arguments, per kernel (see its run function) */
    double f[6]; /* scalar arguments */
    int nb;
    tbuf b[MAX_BUFS];
    int nret;
    double ret_atol, ret_rtol, ret_ref_atol, ret_ref_rtol;
    bool big;
    run_fn run;
    ref_fn ref;
    prep_fn prep;
};

static op_case *cases;
static size_t n_cases, cap_cases;

static op_case *add_case(gan_kernel k, run_fn run, ref_fn ref, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static op_case *add_case(gan_kernel k, run_fn run, ref_fn ref, const char *fmt, ...) {
    if (n_cases == cap_cases) {
        cap_cases = cap_cases ? 2 * cap_cases : 256;
        cases = realloc(cases, cap_cases * sizeof *cases);
        if (!cases) abort();
    }
    op_case *c = &cases[n_cases++];
    memset(c, 0, sizeof *c);
    c->k = k;
    c->run = run;
    c->ref = ref;
    va_list ap;
    va_start(ap, fmt);
    int used = snprintf(c->name, sizeof c->name, "%s ", gan_kernel_name(k));
    vsnprintf(c->name + used, sizeof c->name - (size_t)used, fmt, ap);
    va_end(ap);
    return c;
}

static void add_buf(op_case *c, tbuf b) {
    if (c->nb == MAX_BUFS) abort();
    c->b[c->nb++] = b;
}

/* float buffers: input; output (tolerances be, ref); in-place */
static void in_f(op_case *c, size_t n, double lo, double hi) {
    add_buf(c, (tbuf){T_F32, IN, n, lo, hi, 0, 0, 0, 0, false});
}
static void out_f(op_case *c, size_t n, double at, double rt, double rat, double rrt) {
    add_buf(c, (tbuf){T_F32, OUT, n, -1, 1, at, rt, rat, rrt, false});
}
static void io_f(op_case *c, size_t n, double lo, double hi, double at, double rt, double rat,
                 double rrt) {
    add_buf(c, (tbuf){T_F32, INOUT, n, lo, hi, at, rt, rat, rrt, false});
}
/* integer buffers (exact) */
static void buf_t(op_case *c, int type, int role, size_t n, double lo, double hi) {
    add_buf(c, (tbuf){type, role, n, lo, hi, 0, 0, 0, 0, false});
}
/* a NULL argument in slot order */
static void null_buf(op_case *c) {
    add_buf(c, (tbuf){T_F32, IN, 0, 0, 0, 0, 0, 0, 0, true});
}

static void set_ret(op_case *c, int n, double at, double rt, double rat, double rrt) {
    c->nret = n;
    c->ret_atol = at, c->ret_rtol = rt, c->ret_ref_atol = rat, c->ret_ref_rtol = rrt;
}

#define F(j) ((float *)d[j])
#define CF(j) ((const float *)d[j])
#define HD(j) ((float *)h[j])

static gan_conv_shape conv_shape(int C, int H, int W, int k, int s, int p) {
    return (gan_conv_shape){C, H, W, k, s, p, (H + 2 * p - k) / s + 1, (W + 2 * p - k) / s + 1};
}
static gan_conv_shape case_shape(const op_case *c) { /* i[1..6] = C H W k s p */
    return conv_shape(c->i[1], c->i[2], c->i[3], c->i[4], c->i[5], c->i[6]);
}

/* ================================================================= gemm */
/* i: M N K trans_a trans_b pad; f: alpha beta. Buffers A, B, C. */

static void gemm_dims(const op_case *c, int *lda, int *ldb, int *ldc) {
    int M = c->i[0], N = c->i[1], K = c->i[2], ta = c->i[3], tb = c->i[4], pad = c->i[5];
    *lda = (ta ? M : K) + pad, *ldb = (tb ? K : N) + pad, *ldc = N + pad;
}

static void run_gemm(const gan_backend *be, void **d, const op_case *c, double *ret) {
    int lda, ldb, ldc;
    gemm_dims(c, &lda, &ldb, &ldc);
    be->gemm(be->ctx, c->i[3], c->i[4], c->i[0], c->i[1], c->i[2], (float)c->f[0], CF(0), lda,
             CF(1), ldb, (float)c->f[1], F(2), ldc);
}

static void ref_gemm(void **h, const op_case *c, double *ret) {
    int M = c->i[0], N = c->i[1], K = c->i[2], ta = c->i[3], tb = c->i[4], lda, ldb, ldc;
    gemm_dims(c, &lda, &ldb, &ldc);
    const float *A = HD(0), *B = HD(1);
    float *C = HD(2);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double s = test_gemm_dot(ta, tb, A, lda, B, ldb, m, n, K);
            double old = c->f[1] == 0 ? 0 : c->f[1] * C[(size_t)m * ldc + n];
            C[(size_t)m * ldc + n] = (float)(c->f[0] * s + old);
        }
}

/* One case: random A and B, C random (beta != 0) or NaN (beta = 0 must not
 * read C). */
static op_case *add_gemm_case(int M, int N, int K, int ta, int tb, int pad, double alpha,
                              double beta) {
    op_case *c = add_case(GAN_K_gemm, run_gemm, ref_gemm,
                          "ta=%d tb=%d M=%d N=%d K=%d pad=%d beta=%g", ta, tb, M, N, K, pad, beta);
    memcpy(c->i, (int[]){M, N, K, ta, tb, pad}, 6 * sizeof(int));
    c->f[0] = alpha, c->f[1] = beta;
    int lda, ldb, ldc;
    gemm_dims(c, &lda, &ldb, &ldc);
    in_f(c, (size_t)(ta ? K : M) * lda, -1, 1);
    in_f(c, (size_t)(tb ? N : K) * ldb, -1, 1);
    io_f(c, (size_t)M * ldc, beta == 0 ? NAN : -1, 1, K * 0x1.0p-21, 1e-5, K * 2e-7 + 1e-6,
         1e-5);
    return c;
}

static void gen_gemm(bool big_machine) {
    static const int sizes[] = {1, 7, 33, 127, 784, 1025};
    int k = 0;
    for (int t = 0; t < 4; t++)
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++)
                for (int l = 0; l < 6; l++, k++) {
                    int M = sizes[a], N = sizes[b], K = sizes[l];
                    bool big = (double)M * N * K > 2e6;
                    if (big && !big_machine) continue;
                    int pad = (k % 5 == 0) ? 3 : 0, ta = t & 1, tb = (t >> 1) & 1;
                    double beta = (k % 3 == 0) ? 0.0 : (k % 3 == 1 ? 1.0 : 0.5);
                    double alpha = (k % 2) ? 1.0 : -0.75;
                    add_gemm_case(M, N, K, ta, tb, pad, alpha, beta)->big = big;
                }
    /* a batch times a weight^T (the CPU's few-rows path: M <= 128, N >= 4 M, K >= 128),
     * with partial tiles in M (32) and N (8); and its neighbours in the other paths */
    static const int few[][3] = {{40, 170, 290}, {7, 300, 700}, {33, 141, 300}, {1, 9, 2000}};
    for (int s = 0; s < 4; s++)
        for (int t = 0; t < 4; t++, k++) {
            int M = few[s][0], N = few[s][1], K = few[s][2], pad = (t == 3) ? 3 : 0;
            int ta = t == 1, tb = t != 2;
            double beta = t == 0 ? 0.0 : t == 1 ? 1.0 : 0.5, alpha = t == 3 ? -0.75 : 1.0;
            add_gemm_case(M, N, K, ta, tb, pad, alpha, beta);
        }
}

/* ====================================================== (N, F) kernels */
/* i: N F; f: momentum eps; i[2]: which outputs of a backward (0 all, 1 dx, 2 params) */

static void run_bias_forward(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->bias_forward(be->ctx, F(0), CF(1), c->i[0], c->i[1]);
}
static void ref_bias_forward(void **h, const op_case *c, double *r) {
    for (int n = 0; n < c->i[0]; n++)
        for (int f = 0; f < c->i[1]; f++)
            HD(0)[(size_t)n * c->i[1] + f] =
                (float)((double)HD(0)[(size_t)n * c->i[1] + f] + HD(1)[f]);
}
static void run_bias_backward(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->bias_backward(be->ctx, F(0), CF(1), c->i[0], c->i[1]);
}
static void ref_bias_backward(void **h, const op_case *c, double *r) {
    for (int f = 0; f < c->i[1]; f++) {
        double s = HD(0)[f];
        for (int n = 0; n < c->i[0]; n++) s += HD(1)[(size_t)n * c->i[1] + f];
        HD(0)[f] = (float)s;
    }
}

/* bias with a fused activation: i[2] the activation (0 none, 1 leaky_relu
 * 0.2, 2 relu, 3 tanh), f[0] its slope; forward buffers y b; backward dz
 * db dy y (db NULL: i[3]) */
static gan_act case_act(const op_case *c) {
    return (gan_act){.on = c->i[2] != 0, .slope = (float)c->f[0], .tanh = c->i[2] == 3};
}
static void run_bias_act_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->bias_act_forward(be->ctx, F(0), CF(1), c->i[0], c->i[1], case_act(c));
}
/* The references of bias_act_* (rows: C = F, P = 1) and channel_bias_act_*:
 * y (G, C, P), the bias per channel; act as case_act's i[2] (0 none, 3 tanh,
 * else leaky ReLU with `slope`). Forward buffers y b; backward dz db dy y. */
static void ref_bias_act_forward(void **h, size_t G, size_t C, size_t P, int act, float slope) {
    for (size_t i = 0; i < G * C * P; i++) {
        float z = HD(0)[i] + HD(1)[(i / P) % C]; /* one rounding, as in double */
        HD(0)[i] = act == 3 ? (float)tanh((double)z)
                   : act && z <= 0 ? (float)(slope * (double)z)
                                   : z;
    }
}
static void ref_bias_act_backward(void **h, size_t G, size_t C, size_t P, int act, float slope) {
    for (size_t ch = 0; ch < C; ch++) {
        double s = h[1] ? HD(1)[ch] : 0;
        for (size_t g = 0; g < G; g++)
            for (size_t p = 0; p < P; p++) {
                size_t i = (g * C + ch) * P + p;
                double dy = HD(2)[i], y = HD(3)[i];
                HD(0)[i] = (float)(act == 3 ? dy * (1.0 - y * y) : act && y <= 0 ? slope * dy : dy);
                s += HD(0)[i];
            }
        if (h[1]) HD(1)[ch] = (float)s;
    }
}

static void ref_bias_act_fwd(void **h, const op_case *c, double *r) {
    ref_bias_act_forward(h, (size_t)c->i[0], (size_t)c->i[1], 1, c->i[2], (float)c->f[0]);
}
static void run_bias_act_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->bias_act_backward(be->ctx, F(0), F(1), CF(2), CF(3), c->i[0], c->i[1], case_act(c));
}
static void ref_bias_act_bwd(void **h, const op_case *c, double *r) {
    ref_bias_act_backward(h, (size_t)c->i[0], (size_t)c->i[1], 1, c->i[2], (float)c->f[0]);
}

/* batch norm over groups: G groups (features or channels) of `count` values;
 * value j of group g at x[idx(g, j)]. (N, F): idx = n F + f; (N, C, P):
 * idx = (n C + c) P + p. */
static size_t bn_idx(const op_case *c, int g, size_t j) {
    if (c->i[9] == 0) return j * (size_t)c->i[1] + (size_t)g; /* (N, F) */
    size_t P = (size_t)c->i[2], n = j / P, p = j % P;
    return (n * (size_t)c->i[1] + (size_t)g) * P + p;
}
static size_t bn_count(const op_case *c) {
    return c->i[9] == 0 ? (size_t)c->i[0] : (size_t)c->i[0] * c->i[2];
}

/* gamma and beta of group g from buffer j; NULL buffers mean 1 and 0 */
static double bn_gamma(void **h, int j, int g) {
    return h[j] ? (double)HD(j)[g] : 1.0;
}
static double bn_beta(void **h, int j, int g) {
    return h[j] ? (double)HD(j)[g] : 0.0;
}

/* The fused activation of a (N, C, P) case: i[8] on, f[2] its slope. */
static gan_act bn_act(const op_case *c) {
    return (gan_act){.on = c->i[8] != 0, .slope = (float)c->f[2]};
}
static double bn_act_ref(const op_case *c, double z) {
    return !c->i[8] || z > 0 ? z : (float)c->f[2] * z;
}

/* The normalised value whose sign the backward kernels test, in their float
 * operations (in double, a value within rounding of 0 could take the other
 * sign and the other slope). */
static float bn_z(float x, float mean, float rstd, float gamma, float beta) {
    return (x - mean) * (gamma * rstd) + beta;
}

/* buffers: y mean rstd running_mean running_var x gamma beta */
static void run_bn_train(const gan_backend *be, void **d, const op_case *c, double *r) {
    if (c->i[9] == 0)
        be->batchnorm_forward_train(be->ctx, F(0), F(1), F(2), F(3), F(4), CF(5), CF(6), CF(7),
                                    c->i[0], c->i[1], (float)c->f[0], (float)c->f[1], bn_act(c));
    else
        be->batchnorm2d_forward_train(be->ctx, F(0), F(1), F(2), F(3), F(4), CF(5), CF(6), CF(7),
                                      c->i[0], c->i[1], c->i[2], (float)c->f[0], (float)c->f[1],
                                      bn_act(c));
}
static void ref_bn_train(void **h, const op_case *c, double *r) {
    size_t cnt = bn_count(c);
    double mom = (float)c->f[0], eps = (float)c->f[1];
    for (int g = 0; g < c->i[1]; g++) {
        double mu = 0, var = 0;
        for (size_t j = 0; j < cnt; j++) mu += HD(5)[bn_idx(c, g, j)];
        mu /= (double)cnt;
        for (size_t j = 0; j < cnt; j++) {
            double dd = HD(5)[bn_idx(c, g, j)] - mu;
            var += dd * dd;
        }
        var /= (double)cnt;
        double rstd = 1.0 / sqrt(var + eps);
        HD(1)[g] = (float)mu, HD(2)[g] = (float)rstd;
        HD(3)[g] = (float)(mom * HD(3)[g] + (1 - mom) * mu);
        HD(4)[g] = (float)(mom * HD(4)[g] + (1 - mom) * var);
        for (size_t j = 0; j < cnt; j++) {
            size_t q = bn_idx(c, g, j);
            HD(0)[q] = (float)bn_act_ref(
                c, bn_gamma(h, 6, g) * (HD(5)[q] - mu) * rstd + bn_beta(h, 7, g));
        }
    }
}
/* buffers: y x running_mean running_var gamma beta */
static void run_bn_infer(const gan_backend *be, void **d, const op_case *c, double *r) {
    if (c->i[9] == 0)
        be->batchnorm_forward_infer(be->ctx, F(0), CF(1), CF(2), CF(3), CF(4), CF(5), c->i[0],
                                    c->i[1], (float)c->f[1], bn_act(c));
    else
        be->batchnorm2d_forward_infer(be->ctx, F(0), CF(1), CF(2), CF(3), CF(4), CF(5), c->i[0],
                                      c->i[1], c->i[2], (float)c->f[1], bn_act(c));
}
static void ref_bn_infer(void **h, const op_case *c, double *r) {
    size_t cnt = bn_count(c);
    for (int g = 0; g < c->i[1]; g++)
        for (size_t j = 0; j < cnt; j++) {
            size_t q = bn_idx(c, g, j);
            HD(0)[q] = (float)bn_act_ref(c, (HD(1)[q] - (double)HD(2)[g]) * bn_gamma(h, 4, g) /
                                                    sqrt((double)HD(3)[g] + (float)c->f[1]) +
                                                bn_beta(h, 5, g));
        }
}
/* buffers: dx dgamma dbeta dy x mean rstd gamma beta */
static void run_bn_backward(const gan_backend *be, void **d, const op_case *c, double *r) {
    if (c->i[9] == 0)
        be->batchnorm_backward(be->ctx, F(0), F(1), F(2), CF(3), CF(4), CF(5), CF(6), CF(7),
                               CF(8), c->i[0], c->i[1], bn_act(c));
    else
        be->batchnorm2d_backward(be->ctx, F(0), F(1), F(2), CF(3), CF(4), CF(5), CF(6), CF(7),
                                 CF(8), c->i[0], c->i[1], c->i[2], bn_act(c));
}
static void ref_bn_backward(void **h, const op_case *c, double *r) {
    size_t cnt = bn_count(c);
    double *dz = malloc(cnt * sizeof *dz); /* dy through the fused activation */
    if (!dz) abort();
    for (int g = 0; g < c->i[1]; g++) {
        double sdy = 0, sdyx = 0, mean = HD(5)[g], rstd = HD(6)[g];
        for (size_t j = 0; j < cnt; j++) {
            size_t q = bn_idx(c, g, j);
            double xhat = (HD(4)[q] - mean) * rstd;
            float z = bn_z(HD(4)[q], HD(5)[g], HD(6)[g], (float)bn_gamma(h, 7, g),
                           (float)bn_beta(h, 8, g));
            dz[j] = !c->i[8] || z > 0 ? HD(3)[q] : (float)c->f[2] * (double)HD(3)[q];
            sdy += dz[j];
            sdyx += dz[j] * xhat;
        }
        if (h[1]) HD(1)[g] = (float)(HD(1)[g] + sdyx);
        if (h[2]) HD(2)[g] = (float)(HD(2)[g] + sdy);
        if (!h[0]) continue;
        for (size_t j = 0; j < cnt; j++) {
            size_t q = bn_idx(c, g, j);
            double xhat = (HD(4)[q] - mean) * rstd;
            HD(0)[q] = (float)(bn_gamma(h, 7, g) * rstd * (dz[j] - sdy / cnt - xhat * sdyx / cnt));
        }
    }
    free(dz);
}

/* =================== batch norm with statistics summed over ranks
 * (SYNC_NORM); x (N, C, P) (i[9] = 1 for bn_idx), one rank: count = N P. */

/* out (2C) = per channel, the sums of a and of a b (b NULL: a a), in double */
static void sync_sums(const op_case *c, const float *a, const float *b, float *out) {
    for (int g = 0; g < c->i[1]; g++) {
        double s = 0, s2 = 0;
        for (size_t j = 0; j < bn_count(c); j++) {
            size_t q = bn_idx(c, g, j);
            s += a[q];
            s2 += (double)a[q] * (b ? b[q] : a[q]);
        }
        out[g] = (float)s, out[c->i[1] + g] = (float)s2;
    }
}

/* buffers: sums x */
static void run_bn_sums(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->batchnorm_sums(be->ctx, F(0), CF(1), c->i[0], c->i[1], c->i[2]);
}
static void ref_bn_sums(void **h, const op_case *c, double *r) {
    sync_sums(c, HD(1), NULL, HD(0));
}

/* buffers: y mean rstd running_mean running_var x sums gamma beta; the sums of x */
static void prep_bn_fwd_sums(void **h, const op_case *c) {
    sync_sums(c, HD(5), NULL, HD(6));
}
static void run_bn_fwd_sums(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->batchnorm_forward_sums(be->ctx, F(0), F(1), F(2), F(3), F(4), CF(5), CF(6),
                               (double)bn_count(c), CF(7), CF(8), c->i[0], c->i[1], c->i[2],
                               (float)c->f[0], (float)c->f[1], bn_act(c));
}
/* the two-pass statistics of one process's batch norm (ref_bn_train) */
static void ref_bn_fwd_sums(void **h, const op_case *c, double *r) {
    void *as_train[8] = {h[0], h[1], h[2], h[3], h[4], h[5], h[7], h[8]};
    ref_bn_train(as_train, c, r);
}

/* dy at q of channel g through the fused activation: z from x, mean, rstd,
 * gamma, beta (buffers jx, jm, jr, jg, jb) */
static double bn_dz(void **h, const op_case *c, double dy, int jx, int jm, int jr, int jg, int jb,
                    int g, size_t q) {
    float z = bn_z(HD(jx)[q], HD(jm)[g], HD(jr)[g], HD(jg)[g], HD(jb)[g]);
    return !c->i[8] || z > 0 ? dy : (float)c->f[2] * dy;
}

/* buffers: sums dgamma dbeta dy x mean rstd gamma beta */
static void run_bn_bwd_sums(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->batchnorm_backward_sums(be->ctx, F(0), F(1), F(2), CF(3), CF(4), CF(5), CF(6), CF(7),
                                CF(8), c->i[0], c->i[1], c->i[2], bn_act(c));
}
static void ref_bn_bwd_sums(void **h, const op_case *c, double *r) {
    for (int g = 0; g < c->i[1]; g++) {
        double sdy = 0, sdyx = 0;
        for (size_t j = 0; j < bn_count(c); j++) {
            size_t q = bn_idx(c, g, j);
            double dz = bn_dz(h, c, HD(3)[q], 4, 5, 6, 7, 8, g, q);
            sdy += dz;
            sdyx += dz * (HD(4)[q] - (double)HD(5)[g]) * HD(6)[g];
        }
        HD(0)[g] = (float)sdy, HD(0)[c->i[1] + g] = (float)sdyx;
        if (h[1]) HD(1)[g] = (float)(HD(1)[g] + sdyx);
        if (h[2]) HD(2)[g] = (float)(HD(2)[g] + sdy);
    }
}

/* buffers: dx dy x mean rstd gamma beta sums; the sums of dz and dz xhat */
static void prep_bn_bwd_from(void **h, const op_case *c) {
    int C = c->i[1];
    for (int g = 0; g < C; g++) {
        double sdy = 0, sdyx = 0;
        for (size_t j = 0; j < bn_count(c); j++) {
            size_t q = bn_idx(c, g, j);
            double dz = bn_dz(h, c, HD(1)[q], 2, 3, 4, 5, 6, g, q);
            sdy += dz;
            sdyx += dz * (HD(2)[q] - (double)HD(3)[g]) * HD(4)[g];
        }
        HD(7)[g] = (float)sdy, HD(7)[C + g] = (float)sdyx;
    }
}
static void run_bn_bwd_from(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->batchnorm_backward_from_sums(be->ctx, F(0), CF(1), CF(2), CF(3), CF(4), CF(5), CF(6),
                                     CF(7), (double)bn_count(c), c->i[0], c->i[1], c->i[2],
                                     bn_act(c));
}
/* one process's dx (ref_bn_backward with no parameter gradients) */
static void ref_bn_bwd_from(void **h, const op_case *c, double *r) {
    void *as_bwd[9] = {h[0], NULL, NULL, h[1], h[2], h[3], h[4], h[5], h[6]};
    ref_bn_backward(as_bwd, c, r);
}

/* slope >= 0: with a fused leaky ReLU of that slope (not batchnorm_sums) */
static void gen_bn_sync(int N, int C, int P, double slope) {
    size_t n = (size_t)N * C * P, g = (size_t)C;
    double count = (double)N * P, stat = 1e-6 + 1e-7 * sqrt(count);
    int act = slope >= 0;
    const char *tag = act ? " act" : "";
    op_case *c;
    if (!act) {
        c = add_case(GAN_K_batchnorm_sums, run_bn_sums, ref_bn_sums, "N=%d C=%d P=%d", N, C, P);
        memcpy(c->i, (int[]){N, C, P}, 3 * sizeof(int));
        c->i[9] = 1;
        out_f(c, 2 * g, 1e-5, 1e-6, 1e-5, 1e-6);
        in_f(c, n, -2, 3);
    }

    c = add_case(GAN_K_batchnorm_forward_sums, run_bn_fwd_sums, ref_bn_fwd_sums,
                 "N=%d C=%d P=%d%s", N, C, P, tag);
    memcpy(c->i, (int[]){N, C, P}, 3 * sizeof(int));
    c->i[9] = 1, c->f[0] = 0.99, c->f[1] = 1e-3;
    c->i[8] = act, c->f[2] = slope;
    c->prep = prep_bn_fwd_sums;
    /* E[x^2] - mean^2 against the two-pass variance: x with mean ~1.5, spread ~0.6 */
    out_f(c, n, 1e-4, 1e-4, 1e-4, 1e-4);
    out_f(c, g, stat, 1e-5, stat, 1e-5);
    out_f(c, g, stat, 1e-4, stat, 1e-4);
    io_f(c, g, -1, 1, stat, 1e-5, stat, 1e-5);
    io_f(c, g, 0.5, 2, stat, 1e-5, stat, 1e-5);
    in_f(c, n, 0.5, 2.5);
    in_f(c, 2 * g, 0, 1); /* replaced by prep */
    in_f(c, g, 0.5, 1.5);
    in_f(c, g, -0.5, 0.5);

    for (int which = 0; which < 2; which++) { /* with and without parameter gradients */
        c = add_case(GAN_K_batchnorm_backward_sums, run_bn_bwd_sums, ref_bn_bwd_sums,
                     "N=%d C=%d P=%d params=%d%s", N, C, P, which == 0, tag);
        memcpy(c->i, (int[]){N, C, P}, 3 * sizeof(int));
        c->i[9] = 1;
        c->i[8] = act, c->f[2] = slope;
        double pg = 1e-6 * sqrt(count) + 1e-5;
        out_f(c, 2 * g, pg, 1e-5, pg, 1e-5);
        if (which == 0) {
            io_f(c, g, -1, 1, pg, 1e-5, pg, 1e-5);
            io_f(c, g, -1, 1, pg, 1e-5, pg, 1e-5);
        } else {
            null_buf(c), null_buf(c);
        }
        in_f(c, n, -1, 1);
        in_f(c, n, 1, 4);
        in_f(c, g, 1, 4);
        in_f(c, g, 0.5, 2);
        in_f(c, g, 0.5, 1.5);  /* gamma */
        in_f(c, g, -0.5, 0.5); /* beta */
    }

    c = add_case(GAN_K_batchnorm_backward_from_sums, run_bn_bwd_from, ref_bn_bwd_from,
                 "N=%d C=%d P=%d%s", N, C, P, tag);
    memcpy(c->i, (int[]){N, C, P}, 3 * sizeof(int));
    c->i[9] = 1;
    c->i[8] = act, c->f[2] = slope;
    c->prep = prep_bn_bwd_from;
    out_f(c, n, 1e-4, 1e-3, 1e-4, 1e-3);
    in_f(c, n, -1, 1);
    in_f(c, n, 1, 4);
    in_f(c, g, 1, 4);
    in_f(c, g, 0.5, 2);
    in_f(c, g, 0.5, 1.5);
    in_f(c, g, -0.5, 0.5);
    in_f(c, 2 * g, 0, 1); /* replaced by prep */
}

/* batch norm cases: twod = 0 (N, F) with P = 1, 1: (N, C, P); slope >= 0:
 * with a fused leaky ReLU of that slope (backend.h: gan_act) */
static void gen_bn(int N, int C, int P, int twod, double slope) {
    int act = slope >= 0;
    size_t n = (size_t)N * C * P, g = (size_t)C;
    double count = twod ? (double)N * P : (double)N;
    /* (N, F): float sums over N rows; (N, C, P): double sums */
    double stat = twod ? 1e-6 + 1e-7 * sqrt(count) : 1e-6 * N + 1e-5;
    double stat_r = twod ? 1e-5 : 1e-4;
    double pg = twod ? 1e-6 * sqrt(count) + 1e-5 : 1e-6 * N + 1e-5;
    gan_kernel kt = twod ? GAN_K_batchnorm2d_forward_train : GAN_K_batchnorm_forward_train;
    gan_kernel ki = twod ? GAN_K_batchnorm2d_forward_infer : GAN_K_batchnorm_forward_infer;
    gan_kernel kb = twod ? GAN_K_batchnorm2d_backward : GAN_K_batchnorm_backward;
    const double momentum = twod ? 0.99 : 0.9, eps = twod ? 1e-3 : 1e-5;

    op_case *c = add_case(kt, run_bn_train, ref_bn_train, "N=%d C=%d P=%d%s", N, C, P,
                          act ? " act" : "");
    memcpy(c->i, (int[]){N, C, P}, 3 * sizeof(int));
    c->i[9] = twod, c->f[0] = momentum, c->f[1] = eps;
    c->i[8] = act, c->f[2] = slope;
    out_f(c, n, 1e-4, 1e-4, 1e-4, 1e-4);
    out_f(c, g, stat, stat_r, stat, 1e-5);
    out_f(c, g, stat, stat_r, stat, 1e-4);
    io_f(c, g, -1, 1, stat, stat_r, stat, 1e-5);
    io_f(c, g, 0.5, 2, stat, stat_r, stat, 1e-5);
    in_f(c, n, 1, 5); /* mean far from 0: checks the two-pass variance */
    in_f(c, g, 0.5, 1.5);
    in_f(c, g, -0.5, 0.5);

    c = add_case(ki, run_bn_infer, ref_bn_infer, "N=%d C=%d P=%d%s", N, C, P, act ? " act" : "");
    memcpy(c->i, (int[]){N, C, P}, 3 * sizeof(int));
    c->i[9] = twod, c->f[1] = eps;
    c->i[8] = act, c->f[2] = slope;
    /* (N, F): atol 1e-6; (N, C, P): identical bits */
    out_f(c, n, twod ? 0 : 1e-6, twod ? 0 : 1e-6, 1e-6, 1e-6);
    in_f(c, n, -3, 3);
    in_f(c, g, -1, 1);
    in_f(c, g, 0.5, 2);
    in_f(c, g, 0.5, 1.5);
    in_f(c, g, -0.5, 0.5);

    for (int which = 0; which < 3; which++) { /* all; dx only; parameter gradients only */
        c = add_case(kb, run_bn_backward, ref_bn_backward, "N=%d C=%d P=%d outputs=%s%s", N, C, P,
                     which == 0 ? "all" : which == 1 ? "dx" : "params", act ? " act" : "");
        memcpy(c->i, (int[]){N, C, P}, 3 * sizeof(int));
        c->i[9] = twod;
        c->i[8] = act, c->f[2] = slope;
        if (which == 2) null_buf(c);
        else io_f(c, n, -1, 1, 1e-4, 1e-3, 1e-4, 1e-3);
        if (which == 1) null_buf(c), null_buf(c);
        else {
            io_f(c, g, -1, 1, pg, 1e-4, pg, 1e-5);
            io_f(c, g, -1, 1, pg, 1e-4, pg, 1e-5);
        }
        in_f(c, n, -1, 1);
        in_f(c, n, 1, 4);
        in_f(c, g, 1, 4);
        in_f(c, g, 0.5, 2);
        in_f(c, g, 0.5, 1.5);
        in_f(c, g, -0.5, 0.5); /* beta: with act, z's sign is read */
    }
}

/* batch norm (N, F) with the bias and activation of the layer before
 * (bias_act_batchnorm_forward_train, batchnorm_backward_bias_act): i[0] N,
 * i[1] F, i[3] the layer before's activation (case_act's codes: 0 none, 1
 * leaky_relu 0.2, 2 relu, 3 tanh), i[8] the batch norm's own (leaky) ReLU,
 * f[2] its slope, f[3] the layer before's slope. */
static gan_act in_act_of(const op_case *c) {
    return (gan_act){.on = c->i[3] != 0, .slope = (float)c->f[3], .tanh = c->i[3] == 3};
}
/* buffers: y mean rstd running_mean running_var x (in place) x_bias gamma beta */
static void run_babn_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->bias_act_batchnorm_forward_train(be->ctx, F(0), F(1), F(2), F(3), F(4), F(5), CF(6),
                                         in_act_of(c), CF(7), CF(8), c->i[0], c->i[1],
                                         (float)c->f[0], (float)c->f[1], bn_act(c));
}
static void ref_babn_fwd(void **h, const op_case *c, double *r) {
    void *xb[2] = {h[5], h[6]};
    ref_bias_act_forward(xb, (size_t)c->i[0], (size_t)c->i[1], 1, c->i[3], (float)c->f[3]);
    void *bn[8] = {h[0], h[1], h[2], h[3], h[4], h[5], h[7], h[8]};
    ref_bn_train(bn, c, r);
}
/* buffers: dx x_db dgamma dbeta dy x mean rstd gamma beta */
static void run_bn_bwd_babn(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->batchnorm_backward_bias_act(be->ctx, F(0), F(1), F(2), F(3), CF(4), CF(5), CF(6), CF(7),
                                    CF(8), CF(9), c->i[0], c->i[1], bn_act(c), in_act_of(c));
}
static void ref_bn_bwd_babn(void **h, const op_case *c, double *r) {
    void *bn[9] = {h[0], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]};
    ref_bn_backward(bn, c, r);
    void *ba[4] = {h[0], h[1], h[0], h[5]}; /* dz over dx, from dx and x */
    ref_bias_act_backward(ba, (size_t)c->i[0], (size_t)c->i[1], 1, c->i[3], (float)c->f[3]);
}

static void gen_bn_in_bias(int N, int F, int in_act, double slope) {
    static const char *names[] = {"none", "leaky_relu 0.2", "relu", "tanh"};
    size_t n = (size_t)N * F, g = (size_t)F;
    double stat = 1e-6 * N + 1e-5, pg = 1e-6 * N + 1e-5, tx = in_act == 3 ? 1e-6 : 0;
    int act = slope >= 0;
    op_case *c = add_case(GAN_K_bias_act_batchnorm_forward_train, run_babn_fwd, ref_babn_fwd,
                          "N=%d F=%d %s%s", N, F, names[in_act], act ? " act" : "");
    c->i[0] = N, c->i[1] = F, c->i[3] = in_act, c->i[8] = act;
    c->f[0] = 0.99, c->f[1] = 1e-3, c->f[2] = slope, c->f[3] = in_act == 1 ? 0.2 : 0.0;
    out_f(c, n, 1e-4, 1e-4, 1e-4, 1e-4);
    out_f(c, g, stat, 1e-4, stat, 1e-5);
    out_f(c, g, stat, 1e-4, stat, 1e-4);
    io_f(c, g, -1, 1, stat, 1e-4, stat, 1e-5);
    io_f(c, g, 0.5, 2, stat, 1e-4, stat, 1e-5);
    io_f(c, n, -2, 3, tx, tx, 1e-6, 1e-6); /* x: the product, then act(x + bias) */
    in_f(c, g, -0.5, 0.5);
    in_f(c, g, 0.5, 1.5);
    in_f(c, g, -0.5, 0.5);
    for (int which = 0; which < 2; which++) { /* all gradients; dx only (the G step's D) */
        c = add_case(GAN_K_batchnorm_backward_bias_act, run_bn_bwd_babn, ref_bn_bwd_babn,
                     "N=%d F=%d %s%s outputs=%s", N, F, names[in_act], act ? " act" : "",
                     which ? "dx" : "all");
        c->i[0] = N, c->i[1] = F, c->i[3] = in_act, c->i[8] = act;
        c->f[2] = slope, c->f[3] = in_act == 1 ? 0.2 : 0.0;
        out_f(c, n, 1e-4, 1e-3, 1e-4, 1e-3);
        if (which) null_buf(c), null_buf(c), null_buf(c);
        else
            for (int k = 0; k < 3; k++) io_f(c, g, -1, 1, pg, 1e-4, pg, 1e-4);
        in_f(c, n, -1, 1);
        in_f(c, n, in_act == 3 ? -0.99 : -1, in_act == 3 ? 0.99 : 1); /* x: the act's output */
        in_f(c, g, -0.5, 0.5);
        in_f(c, g, 0.5, 2);
        in_f(c, g, 0.5, 1.5);
        in_f(c, g, -0.5, 0.5);
    }
}

/* the per-channel kernels without their affine (gamma 1, beta 0: NULL), as
 * conditional batch norm calls them */
static void gen_bn2d_plain(int N, int C, int P) {
    size_t n = (size_t)N * C * P, g = (size_t)C;
    double stat = 1e-6 + 1e-7 * sqrt((double)N * P);
    op_case *c = add_case(GAN_K_batchnorm2d_forward_train, run_bn_train, ref_bn_train,
                          "N=%d C=%d P=%d no affine", N, C, P);
    memcpy(c->i, (int[]){N, C, P}, 3 * sizeof(int));
    c->i[9] = 1, c->f[0] = 0.9, c->f[1] = 1e-5;
    out_f(c, n, 1e-4, 1e-4, 1e-4, 1e-4);
    out_f(c, g, stat, 1e-5, stat, 1e-5);
    out_f(c, g, stat, 1e-5, stat, 1e-4);
    io_f(c, g, -1, 1, stat, 1e-5, stat, 1e-5);
    io_f(c, g, 0.5, 2, stat, 1e-5, stat, 1e-5);
    in_f(c, n, -2, 3);
    null_buf(c), null_buf(c);
    c = add_case(GAN_K_batchnorm2d_forward_infer, run_bn_infer, ref_bn_infer,
                 "N=%d C=%d P=%d no affine", N, C, P);
    memcpy(c->i, (int[]){N, C, P}, 3 * sizeof(int));
    c->i[9] = 1, c->f[1] = 1e-5;
    out_f(c, n, 0, 0, 1e-6, 1e-6);
    in_f(c, n, -3, 3);
    in_f(c, g, -1, 1);
    in_f(c, g, 0.5, 2);
    null_buf(c), null_buf(c);
    c = add_case(GAN_K_batchnorm2d_backward, run_bn_backward, ref_bn_backward,
                 "N=%d C=%d P=%d no affine, dx only", N, C, P);
    memcpy(c->i, (int[]){N, C, P}, 3 * sizeof(int));
    c->i[9] = 1;
    io_f(c, n, -1, 1, 1e-4, 1e-3, 1e-4, 1e-3);
    null_buf(c), null_buf(c);
    in_f(c, n, -1, 1);
    in_f(c, n, 1, 4);
    in_f(c, g, 1, 4);
    in_f(c, g, 0.5, 2);
    null_buf(c), null_buf(c);
}

/* =========================================================== element-wise */
/* i[0]: n (as int); f[0]: alpha */

static void run_leaky_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->leaky_relu_forward(be->ctx, F(0), CF(1), (size_t)c->i[0], (float)c->f[0]);
}
static void ref_leaky_fwd(void **h, const op_case *c, double *r) {
    for (int i = 0; i < c->i[0]; i++)
        HD(0)[i] = HD(1)[i] > 0 ? HD(1)[i] : (float)((float)c->f[0] * (double)HD(1)[i]);
}
static void run_leaky_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->leaky_relu_backward(be->ctx, F(0), CF(1), CF(2), (size_t)c->i[0], (float)c->f[0]);
}
static void ref_leaky_bwd(void **h, const op_case *c, double *r) {
    for (int i = 0; i < c->i[0]; i++)
        HD(0)[i] = HD(1)[i] > 0 ? HD(2)[i] : (float)((float)c->f[0] * (double)HD(2)[i]);
}
static void run_tanh_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->tanh_forward(be->ctx, F(0), CF(1), (size_t)c->i[0]);
}
static void ref_tanh_fwd(void **h, const op_case *c, double *r) {
    for (int i = 0; i < c->i[0]; i++) HD(0)[i] = (float)tanh((double)HD(1)[i]);
}
static void run_tanh_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->tanh_backward(be->ctx, F(0), CF(1), CF(2), (size_t)c->i[0]);
}
static void ref_tanh_bwd(void **h, const op_case *c, double *r) {
    for (int i = 0; i < c->i[0]; i++)
        HD(0)[i] = (float)(HD(2)[i] * (1.0 - (double)HD(1)[i] * HD(1)[i]));
}
static void run_zero(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->zero(be->ctx, F(0), (size_t)c->i[0]);
}
static void ref_zero(void **h, const op_case *c, double *r) {
    memset(h[0], 0, (size_t)c->i[0] * sizeof(float));
}
/* ema_update: buffers avg x, and with warm-up (i[1]) the updates done (int64) */
static void run_ema(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->ema_update(be->ctx, F(0), CF(1), (size_t)c->i[0], (float)c->f[0],
                   c->i[1] ? (const int64_t *)d[2] : NULL);
}
static void ref_ema(void **h, const op_case *c, double *r) {
    double decay = (float)c->f[0];
    if (c->i[1]) { /* update s = done + 1: min(decay, (1 + s) / (10 + s)) */
        double s = (double)*(const int64_t *)h[2] + 1;
        decay = fmin(decay, (1 + s) / (10 + s));
    }
    for (int i = 0; i < c->i[0]; i++)
        HD(0)[i] = (float)(decay * HD(0)[i] + (1 - decay) * HD(1)[i]);
}
static void run_clamp(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->clamp(be->ctx, F(0), (size_t)c->i[0], (float)c->f[0], (float)c->f[1]);
}
static void ref_clamp(void **h, const op_case *c, double *r) {
    for (int i = 0; i < c->i[0]; i++)
        HD(0)[i] = (float)fmin(fmax(HD(0)[i], (float)c->f[0]), (float)c->f[1]);
}

static void gen_elementwise(int n) {
    op_case *c = add_case(GAN_K_leaky_relu_forward, run_leaky_fwd, ref_leaky_fwd, "n=%d", n);
    c->i[0] = n, c->f[0] = 0.2;
    out_f(c, (size_t)n, 0, 0, 0, 0);
    in_f(c, (size_t)n, -6, 6);
    c = add_case(GAN_K_leaky_relu_backward, run_leaky_bwd, ref_leaky_bwd, "n=%d", n);
    c->i[0] = n, c->f[0] = 0.2;
    out_f(c, (size_t)n, 0, 0, 0, 0);
    in_f(c, (size_t)n, -6, 6);
    in_f(c, (size_t)n, -1, 1);
    c = add_case(GAN_K_tanh_forward, run_tanh_fwd, ref_tanh_fwd, "n=%d", n);
    c->i[0] = n;
    out_f(c, (size_t)n, 1e-30, 4.8e-7, 1e-7, 1e-6); /* GPU: <= 4 ulp */
    in_f(c, (size_t)n, -6, 6);
    c = add_case(GAN_K_tanh_backward, run_tanh_bwd, ref_tanh_bwd, "n=%d", n);
    c->i[0] = n;
    out_f(c, (size_t)n, 1e-6, 1e-6, 1e-6, 1e-6);
    in_f(c, (size_t)n, -1, 1);
    in_f(c, (size_t)n, -1, 1);
    c = add_case(GAN_K_zero, run_zero, ref_zero, "n=%d", n);
    c->i[0] = n;
    io_f(c, (size_t)n, -1, 1, 0, 0, 0, 0);
    c = add_case(GAN_K_ema_update, run_ema, ref_ema, "n=%d", n);
    c->i[0] = n, c->f[0] = 0.999;
    io_f(c, (size_t)n, -1, 1, 0, 0, 1e-7, 1e-6);
    in_f(c, (size_t)n, -1, 1);
    /* with warm-up: the decay of update done + 1 from device memory, on both sides of
     * where it reaches 0.999 (s = 8991) and far past it; the GPU matches the CPU bit for
     * bit (the float decay expression of src/ema.h, correctly rounded on both) */
    static const int64_t done[] = {0, 1, 7, 8989, 8990, 123456789};
    for (int k = 0; k < 6; k++) {
        c = add_case(GAN_K_ema_update, run_ema, ref_ema, "n=%d warm-up after %lld", n,
                     (long long)done[k]);
        c->i[0] = n, c->i[1] = 1, c->f[0] = 0.999;
        io_f(c, (size_t)n, -1, 1, 0, 0, 1e-7, 1e-6);
        in_f(c, (size_t)n, -1, 1);
        buf_t(c, T_I64, IN, 1, (double)done[k], (double)done[k] + 1);
    }
    c = add_case(GAN_K_clamp, run_clamp, ref_clamp, "n=%d", n);
    c->i[0] = n, c->f[0] = -0.01, c->f[1] = 0.02;
    io_f(c, (size_t)n, -0.05, 0.05, 0, 0, 0, 0);
}

/* ========================================================== convolutions */
/* i[0]: G (or N); i[1..6]: C H W k s p; i[7]: Cout; f[0]: beta */

static void run_im2col(const gan_backend *be, void **d, const op_case *c, double *r) {
    gan_conv_shape cs = case_shape(c);
    be->im2col(be->ctx, F(0), CF(1), c->i[0], &cs);
}
/* x[g][ch][ih][iw] for column entry (row, col) of im2col, or -1 for padding */
static long im2col_src(const gan_conv_shape *cs, int G, size_t row, size_t col) {
    int j = (int)(row % cs->k), i = (int)(row / cs->k % cs->k), ch = (int)(row / cs->k / cs->k);
    size_t P = (size_t)cs->OH * cs->OW;
    int g = (int)(col / P), oh = (int)(col % P / cs->OW), ow = (int)(col % cs->OW);
    int ih = oh * cs->s - cs->p + i, iw = ow * cs->s - cs->p + j;
    if (ih < 0 || ih >= cs->H || iw < 0 || iw >= cs->W) return -1;
    return (((long)g * cs->C + ch) * cs->H + ih) * cs->W + iw;
}
static void ref_im2col(void **h, const op_case *c, double *r) {
    gan_conv_shape cs = case_shape(c);
    size_t rows = (size_t)cs.C * cs.k * cs.k, cols = (size_t)c->i[0] * cs.OH * cs.OW;
    for (size_t a = 0; a < rows; a++)
        for (size_t b = 0; b < cols; b++) {
            long s = im2col_src(&cs, c->i[0], a, b);
            HD(0)[a * cols + b] = s < 0 ? 0.0f : HD(1)[s];
        }
}
static void run_col2im(const gan_backend *be, void **d, const op_case *c, double *r) {
    gan_conv_shape cs = case_shape(c);
    be->col2im(be->ctx, F(0), CF(1), c->i[0], &cs);
}
static void ref_col2im(void **h, const op_case *c, double *r) {
    gan_conv_shape cs = case_shape(c);
    size_t rows = (size_t)cs.C * cs.k * cs.k, cols = (size_t)c->i[0] * cs.OH * cs.OW;
    size_t nx = (size_t)c->i[0] * cs.C * cs.H * cs.W;
    double *acc = calloc(nx, sizeof *acc);
    if (!acc) abort();
    for (size_t a = 0; a < rows; a++)
        for (size_t b = 0; b < cols; b++) {
            long s = im2col_src(&cs, c->i[0], a, b);
            if (s >= 0) acc[s] += HD(1)[a * cols + b];
        }
    for (size_t q = 0; q < nx; q++) HD(0)[q] = (float)acc[q];
    free(acc);
}

static void gen_im2col(int C, int H, int W, int k, int s, int p, int G) {
    gan_conv_shape cs = conv_shape(C, H, W, k, s, p);
    size_t nx = (size_t)G * C * H * W, ncols = (size_t)C * k * k * G * cs.OH * cs.OW;
    op_case *c = add_case(GAN_K_im2col, run_im2col, ref_im2col,
                          "C=%d H=%d W=%d k=%d s=%d p=%d G=%d", C, H, W, k, s, p, G);
    memcpy(c->i, (int[]){G, C, H, W, k, s, p}, 7 * sizeof(int));
    out_f(c, ncols, 0, 0, 0, 0);
    in_f(c, nx, -1, 1);
    c = add_case(GAN_K_col2im, run_col2im, ref_col2im, "C=%d H=%d W=%d k=%d s=%d p=%d G=%d", C, H,
                 W, k, s, p, G);
    memcpy(c->i, (int[]){G, C, H, W, k, s, p}, 7 * sizeof(int));
    out_f(c, nx, 0, 0, 1e-6, 1e-6); /* the GPU adds in the CPU's order */
    in_f(c, ncols, -1, 1);
}

/* layouts: i = G C P */
static void run_to_cmajor(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->nchw_to_cmajor(be->ctx, F(0), CF(1), c->i[0], c->i[1], c->i[2]);
}
static void ref_to_cmajor(void **h, const op_case *c, double *r) {
    size_t G = (size_t)c->i[0], C = (size_t)c->i[1], P = (size_t)c->i[2];
    for (size_t g = 0; g < G; g++)
        for (size_t ch = 0; ch < C; ch++)
            for (size_t p = 0; p < P; p++)
                HD(0)[ch * G * P + g * P + p] = HD(1)[(g * C + ch) * P + p];
}
static void run_to_nchw(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->cmajor_to_nchw(be->ctx, F(0), CF(1), CF(2), c->i[0], c->i[1], c->i[2]);
}
static void ref_to_nchw(void **h, const op_case *c, double *r) {
    size_t G = (size_t)c->i[0], C = (size_t)c->i[1], P = (size_t)c->i[2];
    for (size_t g = 0; g < G; g++)
        for (size_t ch = 0; ch < C; ch++)
            for (size_t p = 0; p < P; p++)
                HD(0)[(g * C + ch) * P + p] =
                    (float)((double)HD(1)[ch * G * P + g * P + p] + (h[2] ? HD(2)[ch] : 0.0));
}
static void run_cbias_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->channel_bias_forward(be->ctx, F(0), CF(1), c->i[0], c->i[1], c->i[2]);
}
static void ref_cbias_fwd(void **h, const op_case *c, double *r) {
    size_t G = (size_t)c->i[0], C = (size_t)c->i[1], P = (size_t)c->i[2];
    for (size_t q = 0; q < G * C * P; q++) HD(0)[q] = (float)((double)HD(0)[q] + HD(1)[q / P % C]);
}
static void run_cbias_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->channel_bias_backward(be->ctx, F(0), CF(1), c->i[0], c->i[1], c->i[2]);
}
static void ref_cbias_bwd(void **h, const op_case *c, double *r) {
    size_t G = (size_t)c->i[0], C = (size_t)c->i[1], P = (size_t)c->i[2];
    for (size_t ch = 0; ch < C; ch++) {
        double s = HD(0)[ch];
        for (size_t g = 0; g < G; g++)
            for (size_t p = 0; p < P; p++) s += HD(1)[(g * C + ch) * P + p];
        HD(0)[ch] = (float)s;
    }
}

/* channel bias with a fused activation: i G C P, i[3] the activation (as
 * case_act's i[2]), i[4] db NULL; f[0] the slope. Forward buffers y b;
 * backward dz db dy y. */
static gan_act channel_act(const op_case *c) {
    return (gan_act){.on = c->i[3] != 0, .slope = (float)c->f[0], .tanh = c->i[3] == 3};
}
static void run_cbias_act_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->channel_bias_act_forward(be->ctx, F(0), CF(1), c->i[0], c->i[1], c->i[2], channel_act(c));
}
static void ref_cbias_act_fwd(void **h, const op_case *c, double *r) {
    ref_bias_act_forward(h, (size_t)c->i[0], (size_t)c->i[1], (size_t)c->i[2], c->i[3],
                         (float)c->f[0]);
}
static void run_cbias_act_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->channel_bias_act_backward(be->ctx, F(0), F(1), CF(2), CF(3), c->i[0], c->i[1], c->i[2],
                                  channel_act(c));
}
static void ref_cbias_act_bwd(void **h, const op_case *c, double *r) {
    ref_bias_act_backward(h, (size_t)c->i[0], (size_t)c->i[1], (size_t)c->i[2], c->i[3],
                          (float)c->f[0]);
}

static void gen_layouts(int G, int C, int P) {
    size_t n = (size_t)G * C * P;
    op_case *c = add_case(GAN_K_nchw_to_cmajor, run_to_cmajor, ref_to_cmajor, "G=%d C=%d P=%d", G,
                          C, P);
    memcpy(c->i, (int[]){G, C, P}, 3 * sizeof(int));
    out_f(c, n, 0, 0, 0, 0);
    in_f(c, n, -1, 1);
    for (int bias = 0; bias < 2; bias++) {
        c = add_case(GAN_K_cmajor_to_nchw, run_to_nchw, ref_to_nchw, "G=%d C=%d P=%d bias=%d", G,
                     C, P, bias);
        memcpy(c->i, (int[]){G, C, P}, 3 * sizeof(int));
        out_f(c, n, 0, 0, 0, 0);
        in_f(c, n, -1, 1);
        if (bias) in_f(c, (size_t)C, -1, 1);
        else null_buf(c);
    }
    c = add_case(GAN_K_channel_bias_forward, run_cbias_fwd, ref_cbias_fwd, "N=%d C=%d P=%d", G, C,
                 P);
    memcpy(c->i, (int[]){G, C, P}, 3 * sizeof(int));
    io_f(c, n, -1, 1, 0, 0, 0, 0);
    in_f(c, (size_t)C, -1, 1);
    c = add_case(GAN_K_channel_bias_backward, run_cbias_bwd, ref_cbias_bwd, "N=%d C=%d P=%d", G,
                 C, P);
    memcpy(c->i, (int[]){G, C, P}, 3 * sizeof(int));
    double at = 1e-6 * sqrt((double)G * P) + 1e-5;
    io_f(c, (size_t)C, -1, 1, at, 1e-5, at, 1e-5);
    in_f(c, n, -1, 1);
    for (int a = 0; a < 4; a++) { /* none, leaky_relu 0.2, relu, tanh */
        static const char *names[] = {"none", "leaky_relu 0.2", "relu", "tanh"};
        bool tanh = a == 3, no_db = (G + C + a) % 3 == 0;
        c = add_case(GAN_K_channel_bias_act_forward, run_cbias_act_fwd, ref_cbias_act_fwd,
                     "N=%d C=%d P=%d %s", G, C, P, names[a]);
        memcpy(c->i, (int[]){G, C, P, a}, 4 * sizeof(int));
        c->f[0] = a == 1 ? 0.2 : 0.0;
        if (tanh) io_f(c, n, -3, 3, 1e-30, 4.8e-7, 1e-7, 1e-6); /* GPU tanhf */
        else io_f(c, n, -2, 2, 0, 0, 0, 0);
        in_f(c, (size_t)C, -1, 1);
        c = add_case(GAN_K_channel_bias_act_backward, run_cbias_act_bwd, ref_cbias_act_bwd,
                     "N=%d C=%d P=%d %s%s", G, C, P, names[a], no_db ? " db NULL" : "");
        memcpy(c->i, (int[]){G, C, P, a, no_db}, 5 * sizeof(int));
        c->f[0] = a == 1 ? 0.2 : 0.0;
        out_f(c, n, tanh ? 1e-6 : 0, tanh ? 1e-6 : 0, tanh ? 1e-6 : 0, tanh ? 1e-6 : 0);
        if (no_db) null_buf(c);
        else io_f(c, (size_t)C, -1, 1, at, 1e-5, at, 1e-5);
        in_f(c, n, -1, 1);
        in_f(c, n, -1, 1);
    }
}

/* direct convolutions: x (N, C, H, W), w (Cout, C, k, k), y (N, Cout, OH, OW) */
static double conv_at(void **h, const op_case *c, int xb, int wb, int n, int co, int oh, int ow) {
    gan_conv_shape cs = case_shape(c);
    double s = 0;
    for (int ch = 0; ch < cs.C; ch++)
        for (int i = 0; i < cs.k; i++)
            for (int j = 0; j < cs.k; j++) {
                int ih = oh * cs.s - cs.p + i, iw = ow * cs.s - cs.p + j;
                if (ih < 0 || ih >= cs.H || iw < 0 || iw >= cs.W) continue;
                s += (double)HD(xb)[(((size_t)n * cs.C + ch) * cs.H + ih) * cs.W + iw] *
                     HD(wb)[(((size_t)co * cs.C + ch) * cs.k + i) * cs.k + j];
            }
    return s;
}
/* buffers: y x w b */
static void run_conv_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    gan_conv_shape cs = case_shape(c);
    be->conv2d_forward(be->ctx, F(0), CF(1), CF(2), CF(3), c->i[0], &cs, c->i[7]);
}
static void ref_conv_fwd(void **h, const op_case *c, double *r) {
    gan_conv_shape cs = case_shape(c);
    for (int n = 0; n < c->i[0]; n++)
        for (int co = 0; co < c->i[7]; co++)
            for (int oh = 0; oh < cs.OH; oh++)
                for (int ow = 0; ow < cs.OW; ow++)
                    HD(0)[(((size_t)n * c->i[7] + co) * cs.OH + oh) * cs.OW + ow] =
                        (float)(conv_at(h, c, 1, 2, n, co, oh, ow) + (h[3] ? HD(3)[co] : 0.0));
}
/* buffers: dx dy w */
static void run_conv_bwd_data(const gan_backend *be, void **d, const op_case *c, double *r) {
    gan_conv_shape cs = case_shape(c);
    be->conv2d_backward_data(be->ctx, F(0), CF(1), CF(2), c->i[0], &cs, c->i[7]);
}
static void ref_conv_bwd_data(void **h, const op_case *c, double *r) {
    gan_conv_shape cs = case_shape(c);
    size_t nx = (size_t)c->i[0] * cs.C * cs.H * cs.W;
    double *acc = calloc(nx, sizeof *acc);
    if (!acc) abort();
    for (int n = 0; n < c->i[0]; n++)
        for (int co = 0; co < c->i[7]; co++)
            for (int oh = 0; oh < cs.OH; oh++)
                for (int ow = 0; ow < cs.OW; ow++) {
                    double g = HD(1)[(((size_t)n * c->i[7] + co) * cs.OH + oh) * cs.OW + ow];
                    for (int ch = 0; ch < cs.C; ch++)
                        for (int i = 0; i < cs.k; i++)
                            for (int j = 0; j < cs.k; j++) {
                                int ih = oh * cs.s - cs.p + i, iw = ow * cs.s - cs.p + j;
                                if (ih < 0 || ih >= cs.H || iw < 0 || iw >= cs.W) continue;
                                acc[(((size_t)n * cs.C + ch) * cs.H + ih) * cs.W + iw] +=
                                    g * HD(2)[(((size_t)co * cs.C + ch) * cs.k + i) * cs.k + j];
                            }
                }
    for (size_t q = 0; q < nx; q++) HD(0)[q] = (float)acc[q];
    free(acc);
}
/* buffers: dw x dy */
static void run_conv_bwd_weight(const gan_backend *be, void **d, const op_case *c, double *r) {
    gan_conv_shape cs = case_shape(c);
    be->conv2d_backward_weight(be->ctx, F(0), CF(1), CF(2), c->i[0], &cs, c->i[7],
                               (float)c->f[0]);
}
static void ref_conv_bwd_weight(void **h, const op_case *c, double *r) {
    gan_conv_shape cs = case_shape(c);
    for (int co = 0; co < c->i[7]; co++)
        for (int ch = 0; ch < cs.C; ch++)
            for (int i = 0; i < cs.k; i++)
                for (int j = 0; j < cs.k; j++) {
                    double s = 0;
                    for (int n = 0; n < c->i[0]; n++)
                        for (int oh = 0; oh < cs.OH; oh++)
                            for (int ow = 0; ow < cs.OW; ow++) {
                                int ih = oh * cs.s - cs.p + i, iw = ow * cs.s - cs.p + j;
                                if (ih < 0 || ih >= cs.H || iw < 0 || iw >= cs.W) continue;
                                s += (double)HD(1)[(((size_t)n * cs.C + ch) * cs.H + ih) * cs.W +
                                                   iw] *
                                     HD(2)[(((size_t)n * c->i[7] + co) * cs.OH + oh) * cs.OW + ow];
                            }
                    float *dw = &HD(0)[(((size_t)co * cs.C + ch) * cs.k + i) * cs.k + j];
                    *dw = (float)(c->f[0] * *dw + s);
                }
}

static void gen_conv_direct(int N, int C, int H, int W, int k, int s, int p, int Cout) {
    gan_conv_shape cs = conv_shape(C, H, W, k, s, p);
    size_t nx = (size_t)N * C * H * W, nw = (size_t)Cout * C * k * k;
    size_t ny = (size_t)N * Cout * cs.OH * cs.OW;
    double taps = (double)C * k * k, pos = (double)N * cs.OH * cs.OW;
    for (int bias = 0; bias < 2; bias++) {
        op_case *c = add_case(GAN_K_conv2d_forward, run_conv_fwd, ref_conv_fwd,
                              "N=%d C=%d H=%d W=%d k=%d s=%d p=%d Cout=%d bias=%d", N, C, H, W, k,
                              s, p, Cout, bias);
        memcpy(c->i, (int[]){N, C, H, W, k, s, p, Cout}, 8 * sizeof(int));
        out_f(c, ny, 1e-6 * taps + 1e-5, 1e-5, 1e-6 * taps + 1e-5, 1e-5);
        in_f(c, nx, -1, 1);
        in_f(c, nw, -1, 1);
        if (bias) in_f(c, (size_t)Cout, -1, 1);
        else null_buf(c);
    }
    op_case *c = add_case(GAN_K_conv2d_backward_data, run_conv_bwd_data, ref_conv_bwd_data,
                          "N=%d C=%d H=%d W=%d k=%d s=%d p=%d Cout=%d", N, C, H, W, k, s, p, Cout);
    memcpy(c->i, (int[]){N, C, H, W, k, s, p, Cout}, 8 * sizeof(int));
    double t2 = (double)Cout * k * k;
    out_f(c, nx, 1e-6 * t2 + 1e-5, 1e-5, 1e-6 * t2 + 1e-5, 1e-5);
    in_f(c, ny, -1, 1);
    in_f(c, nw, -1, 1);
    for (int beta = 0; beta < 2; beta++) {
        c = add_case(GAN_K_conv2d_backward_weight, run_conv_bwd_weight, ref_conv_bwd_weight,
                     "N=%d C=%d H=%d W=%d k=%d s=%d p=%d Cout=%d beta=%d", N, C, H, W, k, s, p,
                     Cout, beta);
        memcpy(c->i, (int[]){N, C, H, W, k, s, p, Cout}, 8 * sizeof(int));
        c->f[0] = beta;
        io_f(c, nw, -1, 1, 1e-6 * pos + 1e-5, 1e-5, 1e-6 * pos + 1e-5, 1e-5);
        in_f(c, nx, -1, 1);
        in_f(c, ny, -1, 1);
    }
}

/* ======================================================= dropout, SN */
/* dropout: i[0] n; f: p; i[1], i[2]: seed, stream (low bits) */

static uint64_t drop_stream(const op_case *c) {
    return gan_rng_stream(GAN_RNG_DROPOUT, (1ull << 48) | (3ull << 40) | (uint64_t)c->i[2]);
}
static void run_dropout(const gan_backend *be, void **d, const op_case *c, double *r) {
    if (c->k == GAN_K_dropout_forward)
        be->dropout_forward(be->ctx, F(0), CF(1), (size_t)c->i[0], (float)c->f[0],
                            (uint64_t)c->i[1], drop_stream(c));
    else
        be->dropout_backward(be->ctx, F(0), CF(1), (size_t)c->i[0], (float)c->f[0],
                             (uint64_t)c->i[1], drop_stream(c));
}
static void ref_dropout(void **h, const op_case *c, double *r) {
    size_t n = (size_t)c->i[0];
    float *u = malloc(n * sizeof *u);
    if (!u) abort();
    gan_rng_uniform((uint64_t)c->i[1], drop_stream(c), u, n);
    float p = (float)c->f[0];
    for (size_t i = 0; i < n; i++) HD(0)[i] = u[i] >= p ? (float)(HD(1)[i] / (1.0 - p)) : 0.0f;
    free(u);
}

static void gen_dropout(int n, double p) {
    for (int bwd = 0; bwd < 2; bwd++) {
        op_case *c = add_case(bwd ? GAN_K_dropout_backward : GAN_K_dropout_forward, run_dropout,
                              ref_dropout, "n=%d p=%g", n, p);
        c->i[0] = n, c->i[1] = 77, c->i[2] = n + bwd, c->f[0] = p;
        out_f(c, (size_t)n, 0, 0, 1e-7, 1e-6); /* identical bits: the same Philox words */
        in_f(c, (size_t)n, -2, 2);
    }
}

/* spectral norm: i = rows cols power; buffers w sigma u v w_orig */
static void run_sn_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->spectral_norm_forward(be->ctx, F(0), F(1), F(2), F(3), CF(4), c->i[0], c->i[1], c->i[2],
                              1e-12f);
}
static void normalize_d(double *a, int n) {
    double ss = 0;
    for (int i = 0; i < n; i++) ss += a[i] * a[i];
    double norm = fmax(sqrt(ss), (double)1e-12f);
    for (int i = 0; i < n; i++) a[i] /= norm;
}
static void ref_sn_fwd(void **h, const op_case *c, double *r) {
    int R = c->i[0], C = c->i[1];
    const float *W = HD(4);
    double *u = malloc((size_t)(R + C) * sizeof *u), *v = u + R;
    if (!u) abort();
    for (int i = 0; i < R; i++) u[i] = HD(2)[i];
    for (int j = 0; j < C; j++) v[j] = HD(3)[j];
    if (c->i[2]) {
        for (int j = 0; j < C; j++) {
            v[j] = 0;
            for (int i = 0; i < R; i++) v[j] += (double)W[(size_t)i * C + j] * u[i];
        }
        normalize_d(v, C);
        for (int i = 0; i < R; i++) {
            u[i] = 0;
            for (int j = 0; j < C; j++) u[i] += (double)W[(size_t)i * C + j] * v[j];
        }
        normalize_d(u, R);
        for (int i = 0; i < R; i++) HD(2)[i] = (float)u[i];
        for (int j = 0; j < C; j++) HD(3)[j] = (float)v[j];
    }
    double sigma = 0;
    for (int i = 0; i < R; i++) {
        double wv = 0;
        for (int j = 0; j < C; j++) wv += (double)W[(size_t)i * C + j] * HD(3)[j];
        sigma += HD(2)[i] * wv;
    }
    HD(1)[0] = (float)sigma;
    for (size_t q = 0; q < (size_t)R * C; q++) HD(0)[q] = (float)(W[q] / (double)HD(1)[0]);
    free(u);
}
/* buffers: dw_orig dw w u v sigma */
static void run_sn_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->spectral_norm_backward(be->ctx, F(0), CF(1), CF(2), CF(3), CF(4), CF(5), c->i[0],
                               c->i[1]);
}
static void ref_sn_bwd(void **h, const op_case *c, double *r) {
    int R = c->i[0], C = c->i[1];
    double dot = 0;
    for (size_t q = 0; q < (size_t)R * C; q++) dot += (double)HD(1)[q] * HD(2)[q];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) {
            size_t q = (size_t)i * C + j;
            HD(0)[q] = (float)(HD(0)[q] + (HD(1)[q] - dot * HD(3)[i] * HD(4)[j]) / HD(5)[0]);
        }
}
static void prep_sn_bwd(void **h, const op_case *c) {
    HD(5)[0] = 1.7f; /* sigma: away from 0 */
}

static void gen_sn(int R, int C) {
    size_t nw = (size_t)R * C;
    for (int power = 1; power >= 0; power--) {
        op_case *c = add_case(GAN_K_spectral_norm_forward, run_sn_fwd, ref_sn_fwd,
                              "rows=%d cols=%d power=%d", R, C, power);
        memcpy(c->i, (int[]){R, C, power}, 3 * sizeof(int));
        out_f(c, nw, 1e-6, 1e-5, 1e-5, 1e-4);
        out_f(c, 1, 1e-6, 1e-5, 1e-5, 1e-4);
        io_f(c, (size_t)R, 0.1, 1, 1e-6, 1e-5, 1e-5, 1e-4);
        io_f(c, (size_t)C, 0.1, 1, 1e-6, 1e-5, 1e-5, 1e-4);
        in_f(c, nw, 0, 1); /* positive: a well separated top singular value */
    }
    op_case *c = add_case(GAN_K_spectral_norm_backward, run_sn_bwd, ref_sn_bwd,
                          "rows=%d cols=%d", R, C);
    c->prep = prep_sn_bwd;
    memcpy(c->i, (int[]){R, C}, 2 * sizeof(int));
    io_f(c, nw, -1, 1, 1e-6, 1e-5, 1e-5, 1e-5);
    in_f(c, nw, -1, 1);
    in_f(c, nw, -1, 1);
    in_f(c, (size_t)R, -1, 1);
    in_f(c, (size_t)C, -1, 1);
    in_f(c, 1, 1, 2);
}

/* ================================================================ labels */
/* i = N C P n_classes D; buffers fwd: y x labels table; bwd: dx dtable dy labels */

static void run_label_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->label_concat_forward(be->ctx, F(0), CF(1), (const int32_t *)d[2], CF(3), c->i[0], c->i[1],
                             c->i[2], c->i[3], c->i[4]);
}
static double label_value(void **h, int tb, const op_case *c, int32_t lab, int dd) {
    if (lab < 0 || lab >= c->i[3]) return 0;
    if (!h[tb]) return lab == dd ? 1.0 : 0.0;
    return HD(tb)[(size_t)lab * c->i[4] + dd];
}
static void ref_label_fwd(void **h, const op_case *c, double *r) {
    int N = c->i[0], C = c->i[1], P = c->i[2], D = c->i[4];
    const int32_t *lab = h[2];
    for (int n = 0; n < N; n++)
        for (int ch = 0; ch < C + D; ch++)
            for (int p = 0; p < P; p++) {
                size_t q = ((size_t)n * (C + D) + ch) * P + p;
                HD(0)[q] = ch < C ? HD(1)[((size_t)n * C + ch) * P + p]
                                  : (float)(lab ? label_value(h, 3, c, lab[n], ch - C) : 0.0);
            }
}
static void run_label_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->label_concat_backward(be->ctx, F(0), F(1), CF(2), (const int32_t *)d[3], c->i[0],
                              c->i[1], c->i[2], c->i[3], c->i[4]);
}
static void ref_label_bwd(void **h, const op_case *c, double *r) {
    int N = c->i[0], C = c->i[1], P = c->i[2], D = c->i[4];
    const int32_t *lab = h[3];
    for (int n = 0; n < N; n++) {
        for (int ch = 0; ch < C && h[0]; ch++)
            for (int p = 0; p < P; p++)
                HD(0)[((size_t)n * C + ch) * P + p] = HD(2)[((size_t)n * (C + D) + ch) * P + p];
        if (!h[1] || !lab || lab[n] < 0 || lab[n] >= c->i[3]) continue;
        for (int dd = 0; dd < D; dd++) {
            double s = 0;
            for (int p = 0; p < P; p++) s += HD(2)[((size_t)n * (C + D) + C + dd) * P + p];
            HD(1)[(size_t)lab[n] * D + dd] = (float)(HD(1)[(size_t)lab[n] * D + dd] + s);
        }
    }
}

static void gen_labels(int N, int C, int P, int n_classes, int D, bool table, bool no_labels) {
    size_t nx = (size_t)N * C * P, ny = (size_t)N * (C + D) * P, nt = (size_t)n_classes * D;
    const char *fmt = "N=%d C=%d P=%d classes=%d D=%d table=%d labels=%d";
    op_case *c = add_case(GAN_K_label_concat_forward, run_label_fwd, ref_label_fwd, fmt, N, C, P,
                          n_classes, D, table, !no_labels);
    memcpy(c->i, (int[]){N, C, P, n_classes, D}, 5 * sizeof(int));
    out_f(c, ny, 0, 0, 0, 0);
    in_f(c, nx, -1, 1);
    if (no_labels) null_buf(c);
    else buf_t(c, T_I32, IN, (size_t)N, -1, n_classes + 1); /* some invalid: -1, n_classes */
    if (table) in_f(c, nt, -1, 1);
    else null_buf(c);

    c = add_case(GAN_K_label_concat_backward, run_label_bwd, ref_label_bwd, fmt, N, C, P,
                 n_classes, D, table, !no_labels);
    memcpy(c->i, (int[]){N, C, P, n_classes, D}, 5 * sizeof(int));
    out_f(c, nx, 0, 0, 0, 0);
    /* the GPU sums each row's plane in the CPU's order: identical bits */
    if (table) io_f(c, nt, -1, 1, 0, 0, 1e-5, 1e-5);
    else null_buf(c);
    in_f(c, ny, -1, 1);
    if (no_labels) null_buf(c);
    else buf_t(c, T_I32, IN, (size_t)N, -1, n_classes + 1);
}

/* ============================================================ resampling */
/* block_sum / block_spread: i = count H W fh fw; f[0] scale; buffers: out, in */

static void run_block_sum(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->block_sum(be->ctx, F(0), CF(1), c->i[0], c->i[1], c->i[2], c->i[3], c->i[4],
                  (float)c->f[0]);
}
static void run_block_spread(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->block_spread(be->ctx, F(0), CF(1), c->i[0], c->i[1], c->i[2], c->i[3], c->i[4],
                     (float)c->f[0]);
}
/* the big grid's element (pl, h, w) and its block's index in the small grid, or -1 */
static long block_of(const op_case *c, size_t e) {
    int H = c->i[1], W = c->i[2], fh = c->i[3], fw = c->i[4], OH = H / fh, OW = W / fw;
    size_t pl = e / ((size_t)H * W);
    int h = (int)(e / W % H), w = (int)(e % W);
    if (h / fh >= OH || w / fw >= OW) return -1;
    return (long)((pl * OH + h / fh) * OW + w / fw);
}
static void ref_block_sum(void **h, const op_case *c, double *r) {
    size_t nx = (size_t)c->i[0] * c->i[1] * c->i[2];
    size_t ny = (size_t)c->i[0] * (c->i[1] / c->i[3]) * (c->i[2] / c->i[4]);
    double *acc = calloc(ny + 1, sizeof *acc);
    if (!acc) abort();
    for (size_t e = 0; e < nx; e++) {
        long b = block_of(c, e);
        if (b >= 0) acc[b] += HD(1)[e];
    }
    for (size_t o = 0; o < ny; o++) HD(0)[o] = (float)(acc[o] * (float)c->f[0]);
    free(acc);
}
static void ref_block_spread(void **h, const op_case *c, double *r) {
    size_t nx = (size_t)c->i[0] * c->i[1] * c->i[2];
    for (size_t e = 0; e < nx; e++) {
        long b = block_of(c, e);
        HD(0)[e] = b < 0 ? 0.0f : (float)(HD(1)[b] * (double)(float)c->f[0]);
    }
}

static void gen_blocks(int count, int H, int W, int fh, int fw, double scale) {
    size_t nx = (size_t)count * H * W, ny = (size_t)count * (H / fh) * (W / fw);
    const char *fmt = "count=%d H=%d W=%d fh=%d fw=%d scale=%g";
    op_case *c = add_case(GAN_K_block_sum, run_block_sum, ref_block_sum, fmt, count, H, W, fh, fw,
                          scale);
    memcpy(c->i, (int[]){count, H, W, fh, fw}, 5 * sizeof(int));
    c->f[0] = scale;
    out_f(c, ny, 0, 0, 1e-6, 1e-6); /* the same order in double: identical bits */
    in_f(c, nx, -1, 1);
    c = add_case(GAN_K_block_spread, run_block_spread, ref_block_spread, fmt, count, H, W, fh,
                 fw, scale);
    memcpy(c->i, (int[]){count, H, W, fh, fw}, 5 * sizeof(int));
    c->f[0] = scale;
    out_f(c, nx, 0, 0, 0, 0);
    in_f(c, ny, -1, 1);
}

/* minibatch_std: i = N G C P; f[0] eps; forward buffers y work x, backward
 * dx work dy x */
static void run_mbstd_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->minibatch_std_forward(be->ctx, F(0), F(1), CF(2), c->i[0], c->i[1], c->i[2], c->i[3],
                              (float)c->f[0]);
}
static void run_mbstd_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->minibatch_std_backward(be->ctx, F(0), F(1), CF(2), CF(3), c->i[0], c->i[1], c->i[2],
                               c->i[3], (float)c->f[0]);
}
/* the spread of feature f over group m's rows: mean and sd (double) */
static void mbstd_stats(const float *x, const op_case *c, int m, size_t f, double *mean,
                        double *sd) {
    int N = c->i[0], G = c->i[1], M = N / G;
    size_t F = (size_t)c->i[2] * c->i[3];
    double s = 0, v = 0;
    for (int g = 0; g < G; g++) s += x[((size_t)g * M + m) * F + f];
    *mean = s / G;
    for (int g = 0; g < G; g++) {
        double e = x[((size_t)g * M + m) * F + f] - *mean;
        v += e * e;
    }
    *sd = sqrt(v / G + (double)(float)c->f[0]);
}
static void ref_mbstd_fwd(void **h, const op_case *c, double *r) {
    int N = c->i[0], G = c->i[1], M = N / G, P = c->i[3];
    size_t F = (size_t)c->i[2] * P, Q = (F + GAN_MBSTD_CHUNK - 1) / GAN_MBSTD_CHUNK;
    const float *x = HD(2);
    for (int m = 0; m < M; m++) {
        double all = 0;
        for (size_t q = 0; q < Q; q++) {
            double part = 0, mean, sd;
            for (size_t f = GAN_MBSTD_CHUNK * q; f < F && f < GAN_MBSTD_CHUNK * (q + 1); f++) {
                mbstd_stats(x, c, m, f, &mean, &sd);
                part += sd;
                all += sd;
            }
            HD(1)[(size_t)m * Q + q] = (float)part;
        }
        for (int g = 0; g < G; g++) {
            float *y = HD(0) + ((size_t)g * M + m) * (F + P);
            memcpy(y, x + ((size_t)g * M + m) * F, F * sizeof *y);
            for (int p = 0; p < P; p++) y[F + p] = (float)(all / (double)F);
        }
    }
}
static void ref_mbstd_bwd(void **h, const op_case *c, double *r) {
    int N = c->i[0], G = c->i[1], M = N / G, P = c->i[3];
    size_t F = (size_t)c->i[2] * P;
    const float *dy = HD(2), *x = HD(3);
    for (int m = 0; m < M; m++) {
        double ds = 0;
        for (int g = 0; g < G; g++)
            for (int p = 0; p < P; p++) ds += dy[((size_t)g * M + m) * (F + P) + F + p];
        HD(1)[m] = (float)ds;
        for (int g = 0; g < G; g++) {
            size_t n = (size_t)g * M + m;
            for (size_t f = 0; f < F; f++) {
                double mean, sd;
                mbstd_stats(x, c, m, f, &mean, &sd);
                HD(0)[n * F + f] = (float)(dy[n * (F + P) + f] +
                                           ds * (x[n * F + f] - mean) / (sd * G * (double)F));
            }
        }
    }
}
static void gen_mbstd(int N, int G, int C, int P) {
    size_t F = (size_t)C * P, Q = gan_mbstd_chunks(F), M = (size_t)(N / G);
    const char *fmt = "N=%d G=%d C=%d P=%d";
    op_case *c = add_case(GAN_K_minibatch_std_forward, run_mbstd_fwd, ref_mbstd_fwd, fmt, N, G,
                          C, P);
    memcpy(c->i, (int[]){N, G, C, P}, 4 * sizeof(int));
    c->f[0] = 1e-8;
    out_f(c, (size_t)N * (F + P), 0, 0, 1e-7, 1e-6); /* the CPU's order in double: its bits */
    out_f(c, M * Q, 0, 0, 1e-7, 1e-6);
    in_f(c, (size_t)N * F, -1, 1);
    c = add_case(GAN_K_minibatch_std_backward, run_mbstd_bwd, ref_mbstd_bwd, fmt, N, G, C, P);
    memcpy(c->i, (int[]){N, G, C, P}, 4 * sizeof(int));
    c->f[0] = 1e-8;
    out_f(c, (size_t)N * F, 0, 0, 1e-7, 1e-6);
    out_f(c, M, 0, 0, 1e-6, 1e-6);
    in_f(c, (size_t)N * (F + P), -1, 1);
    in_f(c, (size_t)N * F, -1, 1);
}

/* class_affine: i = N C P n_classes; forward buffers y x labels gamma beta;
 * backward buffers dx dgamma dbeta dy x labels gamma */
static void run_caff_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->class_affine_forward(be->ctx, F(0), CF(1), (const int32_t *)d[2], CF(3), CF(4), c->i[0],
                             c->i[1], c->i[2], c->i[3]);
}
static int caff_label(void **h, const op_case *c, int n) {
    const int32_t *lab = h[c->k == GAN_K_class_affine_forward ? 2 : 5];
    int l = lab ? lab[n] : -1;
    return l >= 0 && l < c->i[3] ? l : -1;
}
static void ref_caff_fwd(void **h, const op_case *c, double *r) {
    int N = c->i[0], C = c->i[1], P = c->i[2];
    for (int n = 0; n < N; n++) {
        int l = caff_label(h, c, n);
        for (int ch = 0; ch < C; ch++) {
            double g = l < 0 ? 1 : HD(3)[(size_t)l * C + ch], b = l < 0 ? 0 : HD(4)[(size_t)l * C + ch];
            for (int q = 0; q < P; q++) {
                size_t e = ((size_t)n * C + ch) * P + q;
                HD(0)[e] = (float)(HD(1)[e] * g + b);
            }
        }
    }
}
static void run_caff_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->class_affine_backward(be->ctx, F(0), F(1), F(2), CF(3), CF(4), (const int32_t *)d[5],
                              CF(6), c->i[0], c->i[1], c->i[2], c->i[3]);
}
static void ref_caff_bwd(void **h, const op_case *c, double *r) {
    int N = c->i[0], C = c->i[1], P = c->i[2];
    for (int n = 0; n < N; n++) {
        int l = caff_label(h, c, n);
        for (int ch = 0; ch < C; ch++) {
            double g = l < 0 ? 1 : HD(6)[(size_t)l * C + ch], sg = 0, sb = 0;
            for (int q = 0; q < P; q++) {
                size_t e = ((size_t)n * C + ch) * P + q;
                if (h[0]) HD(0)[e] = (float)(HD(3)[e] * g);
                sg += (double)HD(3)[e] * HD(4)[e], sb += HD(3)[e];
            }
            if (l < 0) continue;
            if (h[1]) HD(1)[(size_t)l * C + ch] = (float)(HD(1)[(size_t)l * C + ch] + sg);
            if (h[2]) HD(2)[(size_t)l * C + ch] = (float)(HD(2)[(size_t)l * C + ch] + sb);
        }
    }
}

static void gen_class_affine(int N, int C, int P, int n_classes, bool no_labels, int which) {
    size_t n = (size_t)N * C * P, t = (size_t)n_classes * C;
    const char *fmt = "N=%d C=%d P=%d classes=%d labels=%d outputs=%s";
    const char *outs = which == 0 ? "all" : which == 1 ? "dx" : "params";
    op_case *c;
    if (which == 0) {
        c = add_case(GAN_K_class_affine_forward, run_caff_fwd, ref_caff_fwd, fmt, N, C, P,
                     n_classes, !no_labels, outs);
        memcpy(c->i, (int[]){N, C, P, n_classes}, 4 * sizeof(int));
        out_f(c, n, 0, 0, 1e-6, 1e-6);
        in_f(c, n, -2, 2);
        if (no_labels) null_buf(c);
        else buf_t(c, T_I32, IN, (size_t)N, -1, n_classes + 1); /* some invalid */
        in_f(c, t, 0.5, 1.5);
        in_f(c, t, -0.5, 0.5);
    }
    c = add_case(GAN_K_class_affine_backward, run_caff_bwd, ref_caff_bwd, fmt, N, C, P, n_classes,
                 !no_labels, outs);
    memcpy(c->i, (int[]){N, C, P, n_classes}, 4 * sizeof(int));
    if (which == 2) null_buf(c);
    else out_f(c, n, 0, 0, 1e-6, 1e-6);
    if (which == 1) null_buf(c), null_buf(c);
    else { /* per class, rows in order: the same bits */
        io_f(c, t, -1, 1, 0, 0, 1e-5 * P, 1e-5);
        io_f(c, t, -1, 1, 0, 0, 1e-5 * P, 1e-5);
    }
    in_f(c, n, -1, 1);
    in_f(c, n, -2, 2);
    if (no_labels) null_buf(c);
    else buf_t(c, T_I32, IN, (size_t)N, -1, n_classes + 1);
    in_f(c, t, 0.5, 1.5);
}

/* class_dot: i = N C n_classes; forward buffers y h labels table; backward
 * buffers dh dtable dy h labels table */
static int cdot_label(void **h, const op_case *c, int j, int n) {
    const int32_t *lab = h[j];
    int l = lab ? lab[n] : -1;
    return l >= 0 && l < c->i[2] ? l : -1;
}
static void run_cdot_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->class_dot_forward(be->ctx, F(0), CF(1), (const int32_t *)d[2], CF(3), c->i[0], c->i[1],
                          c->i[2]);
}
static void ref_cdot_fwd(void **h, const op_case *c, double *r) {
    int N = c->i[0], C = c->i[1];
    for (int n = 0; n < N; n++) {
        int l = cdot_label(h, c, 2, n);
        if (l < 0) continue;
        double s = HD(0)[n];
        for (int ch = 0; ch < C; ch++) s += (double)HD(3)[(size_t)l * C + ch] * HD(1)[(size_t)n * C + ch];
        HD(0)[n] = (float)s;
    }
}
static void run_cdot_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->class_dot_backward(be->ctx, F(0), F(1), CF(2), CF(3), (const int32_t *)d[4], CF(5),
                           c->i[0], c->i[1], c->i[2]);
}
static void ref_cdot_bwd(void **h, const op_case *c, double *r) {
    int N = c->i[0], C = c->i[1], K = c->i[2];
    double *dt = calloc((size_t)K * C + 1, sizeof *dt);
    for (int n = 0; n < N; n++) {
        int l = cdot_label(h, c, 4, n);
        if (l < 0) continue;
        for (int ch = 0; ch < C; ch++) {
            size_t e = (size_t)n * C + ch, t = (size_t)l * C + ch;
            if (h[0]) HD(0)[e] = (float)(HD(0)[e] + (double)HD(2)[n] * HD(5)[t]);
            dt[t] += (double)HD(2)[n] * HD(3)[e];
        }
    }
    if (h[1])
        for (size_t t = 0; t < (size_t)K * C; t++) HD(1)[t] = (float)(HD(1)[t] + dt[t]);
    free(dt);
}

static void gen_class_dot(int N, int C, int n_classes, bool no_labels, int which) {
    size_t n = (size_t)N * C, t = (size_t)n_classes * C;
    const char *fmt = "N=%d C=%d classes=%d labels=%d outputs=%s";
    const char *outs = which == 0 ? "all" : which == 1 ? "dh" : "dtable";
    op_case *c;
    if (which == 0) {
        c = add_case(GAN_K_class_dot_forward, run_cdot_fwd, ref_cdot_fwd, fmt, N, C, n_classes,
                     !no_labels, outs);
        memcpy(c->i, (int[]){N, C, n_classes}, 3 * sizeof(int));
        /* the same order in double: the same bits; against the reference, the dot product
         * (up to 2 C) is rounded before it is added */
        io_f(c, (size_t)N, -1, 1, 0, 0, 2e-7 * C + 1e-6, 1e-6);
        in_f(c, n, -2, 2);
        if (no_labels) null_buf(c);
        else buf_t(c, T_I32, IN, (size_t)N, -1, n_classes + 1); /* some invalid */
        in_f(c, t, -1, 1);
    }
    c = add_case(GAN_K_class_dot_backward, run_cdot_bwd, ref_cdot_bwd, fmt, N, C, n_classes,
                 !no_labels, outs);
    memcpy(c->i, (int[]){N, C, n_classes}, 3 * sizeof(int));
    if (which == 2) null_buf(c);
    else io_f(c, n, -1, 1, 0, 0, 1e-6, 1e-6);
    if (which == 1) null_buf(c);
    else io_f(c, t, -1, 1, 0, 0, 1e-6 * N + 1e-6, 1e-5); /* rows in order: the same bits */
    in_f(c, (size_t)N, -1, 1);
    in_f(c, n, -2, 2);
    if (no_labels) null_buf(c);
    else buf_t(c, T_I32, IN, (size_t)N, -1, n_classes + 1);
    in_f(c, t, -1, 1);
}

/* softmax_rows: i = R K; forward buffers y x; backward buffers dx y dy.
 * gated_add: i[0] n; forward buffers y x o gamma; backward d_o dy gamma */
static void run_smax_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->softmax_rows_forward(be->ctx, F(0), CF(1), c->i[0], c->i[1]);
}
static void ref_smax_fwd(void **h, const op_case *c, double *r) {
    int R = c->i[0], K = c->i[1];
    for (int row = 0; row < R; row++) {
        const float *x = HD(1) + (size_t)row * K;
        double m = x[0], s = 0;
        for (int k = 1; k < K; k++) m = fmax(m, x[k]);
        for (int k = 0; k < K; k++) s += exp(x[k] - m);
        for (int k = 0; k < K; k++) HD(0)[(size_t)row * K + k] = (float)(exp(x[k] - m) / s);
    }
}
static void run_smax_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->softmax_rows_backward(be->ctx, F(0), CF(1), CF(2), c->i[0], c->i[1]);
}
static void ref_smax_bwd(void **h, const op_case *c, double *r) {
    int R = c->i[0], K = c->i[1];
    for (int row = 0; row < R; row++) {
        const float *y = HD(1) + (size_t)row * K, *g = HD(2) + (size_t)row * K;
        double s = 0;
        for (int k = 0; k < K; k++) s += (double)y[k] * g[k];
        for (int k = 0; k < K; k++) HD(0)[(size_t)row * K + k] = (float)(y[k] * (g[k] - s));
    }
}
static void gen_softmax(int R, int K, double spread) {
    size_t n = (size_t)R * K;
    op_case *c = add_case(GAN_K_softmax_rows_forward, run_smax_fwd, ref_smax_fwd,
                          "R=%d K=%d spread=%g", R, K, spread);
    c->i[0] = R, c->i[1] = K;
    out_f(c, n, 1e-7, 1e-6, 1e-7, 1e-6); /* exp in double: at most an ulp of float apart */
    in_f(c, n, -spread, spread);
    c = add_case(GAN_K_softmax_rows_backward, run_smax_bwd, ref_smax_bwd, "R=%d K=%d", R, K);
    c->i[0] = R, c->i[1] = K;
    out_f(c, n, 0, 0, 1e-7, 1e-6); /* the same order in double: the same bits */
    in_f(c, n, 0, 2.0 / K);
    in_f(c, n, -1, 1);
}
static void run_gadd_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->gated_add_forward(be->ctx, F(0), CF(1), CF(2), CF(3), (size_t)c->i[0]);
}
static void ref_gadd_fwd(void **h, const op_case *c, double *r) {
    for (int i = 0; i < c->i[0]; i++) HD(0)[i] = (float)(HD(1)[i] + (double)HD(3)[0] * HD(2)[i]);
}
static void run_gadd_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->gated_add_backward(be->ctx, F(0), CF(1), CF(2), (size_t)c->i[0]);
}
static void ref_gadd_bwd(void **h, const op_case *c, double *r) {
    for (int i = 0; i < c->i[0]; i++) HD(0)[i] = (float)((double)HD(2)[0] * HD(1)[i]);
}
static void gen_gated_add(int n) {
    op_case *c = add_case(GAN_K_gated_add_forward, run_gadd_fwd, ref_gadd_fwd, "n=%d", n);
    c->i[0] = n;
    out_f(c, (size_t)n, 0, 0, 1e-6, 1e-6);
    in_f(c, (size_t)n, -2, 2);
    in_f(c, (size_t)n, -2, 2);
    in_f(c, 1, -1, 1);
    c = add_case(GAN_K_gated_add_backward, run_gadd_bwd, ref_gadd_bwd, "n=%d", n);
    c->i[0] = n;
    out_f(c, (size_t)n, 0, 0, 0, 0);
    in_f(c, (size_t)n, -2, 2);
    in_f(c, 1, -1, 1);
}

/* axpy: i[0] n, f[0] alpha; buffers y x */
static void run_axpy(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->axpy(be->ctx, F(0), CF(1), (size_t)c->i[0], (float)c->f[0]);
}
static void ref_axpy(void **h, const op_case *c, double *r) {
    float a = (float)c->f[0];
    for (int i = 0; i < c->i[0]; i++) HD(0)[i] = HD(0)[i] + a * HD(1)[i];
}
static void gen_axpy(int n, double alpha) {
    op_case *c = add_case(GAN_K_axpy, run_axpy, ref_axpy, "n=%d alpha=%g", n, alpha);
    c->i[0] = n, c->f[0] = alpha;
    io_f(c, (size_t)n, -1, 1, 0, 0, 0, 0);
    in_f(c, (size_t)n, -1, 1);
}

/* ========================================================= classifiers */
/* maxpool: i[0] N, i[1..6] C H W k s 0; buffers fwd: y x; bwd: dx x y dy */

static void run_pool_fwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    gan_conv_shape cs = case_shape(c);
    be->maxpool2d_forward(be->ctx, F(0), CF(1), c->i[0], &cs);
}
static void ref_pool(void **h, const op_case *c, int yb, int xb, int dxb, int dyb) {
    gan_conv_shape cs = case_shape(c);
    size_t nx = (size_t)c->i[0] * cs.C * cs.H * cs.W;
    if (dxb >= 0) memset(h[dxb], 0, nx * sizeof(float));
    for (int pl = 0; pl < c->i[0] * cs.C; pl++)
        for (int oh = 0; oh < cs.OH; oh++)
            for (int ow = 0; ow < cs.OW; ow++) {
                size_t best = 0;
                float m = -INFINITY;
                for (int i = 0; i < cs.k; i++)
                    for (int j = 0; j < cs.k; j++) {
                        size_t q = ((size_t)pl * cs.H + oh * cs.s + i) * cs.W + ow * cs.s + j;
                        if (HD(xb)[q] > m) m = HD(xb)[q], best = q;
                    }
                size_t o = ((size_t)pl * cs.OH + oh) * cs.OW + ow;
                if (yb >= 0) HD(yb)[o] = m;
                if (dxb >= 0) HD(dxb)[best] = (float)((double)HD(dxb)[best] + HD(dyb)[o]);
            }
}
static void ref_pool_fwd(void **h, const op_case *c, double *r) {
    ref_pool(h, c, 0, 1, -1, -1);
}
static void run_pool_bwd(const gan_backend *be, void **d, const op_case *c, double *r) {
    gan_conv_shape cs = case_shape(c);
    be->maxpool2d_forward(be->ctx, F(2), CF(1), c->i[0], &cs); /* y from x, as a layer has it */
    be->maxpool2d_backward(be->ctx, F(0), CF(1), CF(2), CF(3), c->i[0], &cs);
}
static void ref_pool_bwd(void **h, const op_case *c, double *r) {
    ref_pool(h, c, 2, 1, 0, 3);
}

static void gen_pool(int N, int C, int H, int W, int k, int s) {
    gan_conv_shape cs = conv_shape(C, H, W, k, s, 0);
    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C * cs.OH * cs.OW;
    op_case *c = add_case(GAN_K_maxpool2d_forward, run_pool_fwd, ref_pool_fwd,
                          "N=%d C=%d H=%d W=%d k=%d s=%d", N, C, H, W, k, s);
    memcpy(c->i, (int[]){N, C, H, W, k, s, 0}, 7 * sizeof(int));
    out_f(c, ny, 0, 0, 0, 0);
    in_f(c, nx, -1, 1);
    c = add_case(GAN_K_maxpool2d_backward, run_pool_bwd, ref_pool_bwd,
                 "N=%d C=%d H=%d W=%d k=%d s=%d", N, C, H, W, k, s);
    memcpy(c->i, (int[]){N, C, H, W, k, s, 0}, 7 * sizeof(int));
    out_f(c, nx, 0, 0, 1e-6, 1e-6);
    in_f(c, nx, -1, 1);
    out_f(c, ny, 0, 0, 0, 0);
    in_f(c, ny, -1, 1);
}

/* softmax_xent: i = N K, f[0] scale; buffers dl l labels; ret: loss, correct */
static void run_xent(const gan_backend *be, void **d, const op_case *c, double *r) {
    int64_t correct = -1;
    r[0] = be->softmax_xent(be->ctx, F(0), CF(1), (const int32_t *)d[2], c->i[0], c->i[1],
                            (float)c->f[0], &correct);
    r[1] = (double)correct;
}
static void ref_xent(void **h, const op_case *c, double *r) {
    int N = c->i[0], K = c->i[1];
    const int32_t *lab = h[2];
    double loss = 0;
    int64_t correct = 0;
    for (int n = 0; n < N; n++) {
        const float *l = HD(1) + (size_t)n * K;
        double m = l[0];
        int arg = 0;
        for (int k = 1; k < K; k++)
            if (l[k] > m) m = l[k], arg = k;
        double s = 0;
        for (int k = 0; k < K; k++) s += exp(l[k] - m);
        loss += log(s) + m - l[lab[n]];
        correct += arg == lab[n];
        if (h[0])
            for (int k = 0; k < K; k++)
                HD(0)[(size_t)n * K + k] =
                    (float)(c->f[0] * (exp(l[k] - m) / s - (k == lab[n] ? 1.0 : 0.0)));
    }
    r[0] = loss, r[1] = (double)correct;
}

static void gen_xent(int N, int K, bool with_dl) {
    op_case *c = add_case(GAN_K_softmax_xent, run_xent, ref_xent, "N=%d K=%d dl=%d", N, K,
                          with_dl);
    c->i[0] = N, c->i[1] = K, c->f[0] = 1.0 / N;
    if (with_dl) out_f(c, (size_t)N * K, 1e-7, 1e-5, 1e-7, 1e-5);
    else null_buf(c);
    in_f(c, (size_t)N * K, -8, 8);
    buf_t(c, T_I32, IN, (size_t)N, 0, K);
    set_ret(c, 2, 1e-6 * N, 1e-6, 1e-6 * N, 1e-6);
}

/* =============================================================== losses */
/* bce_logits: i[0] n, f[0] scale; buffers dl l t; ret: loss, prob sum */

static void prep_logits(void **h, const op_case *c) {
    if (c->i[0] > 4) HD(1)[0] = 0.0f, HD(1)[1] = -90.0f, HD(1)[2] = 90.0f, HD(1)[3] = 1.0f;
}
static double sigmoid_d(double z) {
    return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}
static double softplus_d(double z) { /* log(1 + exp(z)) */
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}
static void run_bce(const gan_backend *be, void **d, const op_case *c, double *r) {
    r[0] = be->bce_logits(be->ctx, F(0), CF(1), CF(2), (size_t)c->i[0], (float)c->f[0], &r[1]);
}
static void ref_bce(void **h, const op_case *c, double *r) {
    r[0] = r[1] = 0;
    for (int i = 0; i < c->i[0]; i++) {
        double z = HD(1)[i], t = HD(2)[i];
        r[0] += softplus_d(z) - z * t; /* max(z, 0) - z t + log(1 + exp(-|z|)) */
        r[1] += sigmoid_d(z);
        if (h[0]) HD(0)[i] = (float)((float)c->f[0] * (sigmoid_d(z) - t));
    }
}

static void gen_bce(int n) {
    for (int with_dl = 1; with_dl >= 0; with_dl--) {
        op_case *c = add_case(GAN_K_bce_logits, run_bce, ref_bce, "n=%d dl=%d", n, with_dl);
        c->prep = prep_logits;
        c->i[0] = n, c->f[0] = 0.75;
        if (with_dl) out_f(c, (size_t)n, 5e-7, 1e-5, 5e-7, 1e-5);
        else null_buf(c);
        in_f(c, (size_t)n, -20, 20);
        in_f(c, (size_t)n, 0, 1);
        set_ret(c, 2, 1e-5 * n, 1e-5, 1e-5 * n, 1e-5);
    }
}

/* loss_acc: i[0] n, i[1] term; f: t scale; buffers dl l sums (called twice) */
static void run_loss_acc(const gan_backend *be, void **d, const op_case *c, double *r) {
    for (int k = 0; k < 2; k++)
        be->loss_acc(be->ctx, F(0), CF(1), (size_t)c->i[0], (gan_loss_term)c->i[1],
                     (float)c->f[0], (float)c->f[1], F(2));
}
/* `times` calls of loss_acc with term (target t, scale) on l (n), in double:
 * dl written (if not NULL), sums[0..1] += times the loss and reported sums */
static void ref_loss_term(const float *l, float *dl, int n, gan_loss_term term, double t,
                          float scale, float *sums, int times) {
    double loss = 0, rep = 0;
    for (int i = 0; i < n; i++) {
        double z = l[i], f = 0, g = 0, rv = z;
        switch (term) {
        case GAN_LOSS_TERM_BCE:
            f = softplus_d(z) - z * t, g = sigmoid_d(z) - t, rv = sigmoid_d(z);
            break;
        case GAN_LOSS_TERM_NEG_BCE:
            f = -(softplus_d(z) - z * t), g = t - sigmoid_d(z), rv = sigmoid_d(z);
            break;
        case GAN_LOSS_TERM_SQUARE: f = 0.5 * (z - t) * (z - t), g = z - t; break;
        case GAN_LOSS_TERM_HINGE: f = fmax(0, 1 - t * z), g = 1 - t * z > 0 ? -t : 0; break;
        case GAN_LOSS_TERM_LINEAR: f = t * z, g = t; break;
        }
        loss += f, rep += rv;
        if (dl) dl[i] = (float)(scale * g);
    }
    sums[0] = (float)((double)sums[0] + times * loss);
    sums[1] = (float)((double)sums[1] + times * rep);
}
static void ref_loss_acc(void **h, const op_case *c, double *r) {
    ref_loss_term(HD(1), HD(0), c->i[0], (gan_loss_term)c->i[1], (float)c->f[0],
                  (float)c->f[1], HD(2), 2);
}
static void prep_sums(void **h, const op_case *c) {
    HD(2)[0] = 1.5f, HD(2)[1] = 2.5f;
}
static void prep_loss_acc(void **h, const op_case *c) {
    prep_logits(h, c);
    prep_sums(h, c);
}

static void gen_loss_acc(int n) {
    static const struct { gan_loss_term term; float t; } terms[] = {
        {GAN_LOSS_TERM_BCE, 1.0f},     {GAN_LOSS_TERM_BCE, 0.0f},    {GAN_LOSS_TERM_BCE, 0.7f},
        {GAN_LOSS_TERM_NEG_BCE, 0.0f}, {GAN_LOSS_TERM_SQUARE, 1.0f}, {GAN_LOSS_TERM_HINGE, 1.0f},
        {GAN_LOSS_TERM_HINGE, -1.0f},  {GAN_LOSS_TERM_LINEAR, -1.0f}};
    for (size_t j = 0; j < sizeof terms / sizeof terms[0]; j++)
        for (int with_dl = 1; with_dl >= 0; with_dl--) {
            op_case *c = add_case(GAN_K_loss_acc, run_loss_acc, ref_loss_acc,
                                  "n=%d term=%d t=%g dl=%d", n, (int)terms[j].term, terms[j].t,
                                  with_dl);
            c->prep = prep_loss_acc;
            c->i[0] = n, c->i[1] = (int)terms[j].term, c->f[0] = terms[j].t, c->f[1] = 0.5;
            if (with_dl) out_f(c, (size_t)n, 5e-7, 1e-5, 5e-7, 1e-5);
            else null_buf(c);
            in_f(c, (size_t)n, -20, 20);
            /* squares of outputs up to 20 make larger sums: scale atol with them */
            io_f(c, 2, 0, 1, 1e-5 * n * 200 + 1e-5, 1e-5, 1e-5 * n * 200 + 1e-5, 1e-5);
        }
}

/* loss_terms: i[0] n, i[1] term_a, i[2] term_b, i[3] parts, i[4] with the
 * bias; f: t_a t_b scale; buffers dl (parts n) l (parts n, in place with the
 * bias) sums_a sums_b bias db */
static void run_loss_terms(const gan_backend *be, void **d, const op_case *c, double *r) {
    be->loss_terms(be->ctx, F(0), F(1), (size_t)c->i[0], c->i[3], (gan_loss_term)c->i[1],
                   (float)c->f[0], F(2), (gan_loss_term)c->i[2], (float)c->f[1],
                   c->i[3] == 2 ? F(3) : NULL, (float)c->f[2], CF(4), F(5));
}
static void ref_loss_terms(void **h, const op_case *c, double *r) {
    int n = c->i[0], parts = c->i[3];
    if (h[4])
        for (int i = 0; i < parts * n; i++) HD(1)[i] = HD(1)[i] + HD(4)[0]; /* one rounding */
    ref_loss_term(HD(1), HD(0), n, (gan_loss_term)c->i[1], (float)c->f[0], (float)c->f[2],
                  HD(2), 1);
    if (parts == 2)
        ref_loss_term(HD(1) + n, h[0] ? HD(0) + n : NULL, n, (gan_loss_term)c->i[2],
                      (float)c->f[1], (float)c->f[2], HD(3), 1);
    if (h[4] && h[5] && h[0]) {
        double s = HD(5)[0];
        for (int i = 0; i < parts * n; i++) s += HD(0)[i];
        HD(5)[0] = (float)s;
    }
}
static void prep_loss_terms(void **h, const op_case *c) {
    prep_logits(h, c);
    HD(2)[0] = 1.5f, HD(2)[1] = 2.5f, HD(3)[0] = -0.5f, HD(3)[1] = 4.0f;
}

/* the pairs of terms D's losses use (real, fake); one part: G's */
static void gen_loss_terms(int n) {
    static const struct { gan_loss_term a, b; float ta, tb; } pairs[] = {
        {GAN_LOSS_TERM_BCE, GAN_LOSS_TERM_BCE, 1.0f, 0.0f},
        {GAN_LOSS_TERM_BCE, GAN_LOSS_TERM_BCE, 0.9f, 0.0f},
        {GAN_LOSS_TERM_SQUARE, GAN_LOSS_TERM_SQUARE, 1.0f, 0.0f},
        {GAN_LOSS_TERM_HINGE, GAN_LOSS_TERM_HINGE, 1.0f, -1.0f},
        {GAN_LOSS_TERM_LINEAR, GAN_LOSS_TERM_LINEAR, -1.0f, 1.0f},
        {GAN_LOSS_TERM_NEG_BCE, GAN_LOSS_TERM_BCE, 0.0f, 1.0f}};
    for (size_t j = 0; j < sizeof pairs / sizeof pairs[0]; j++)
        for (int k = 0; k < 6; k++) {
            /* k: dl and bias with db; dl, bias, no db; dl, no bias; no dl; one part
             * with bias and db; one part with bias, no db */
            int with_dl = k != 3, bias = k != 2 && k != 3, db = k == 0 || k == 4;
            int parts = k >= 4 ? 1 : 2;
            op_case *c = add_case(GAN_K_loss_terms, run_loss_terms, ref_loss_terms,
                                  "n=%d parts=%d terms=%d,%d t=%g,%g dl=%d bias=%d db=%d", n,
                                  parts, (int)pairs[j].a, (int)pairs[j].b, pairs[j].ta,
                                  pairs[j].tb, with_dl, bias, db);
            c->prep = prep_loss_terms;
            c->i[0] = n, c->i[1] = (int)pairs[j].a, c->i[2] = (int)pairs[j].b;
            c->i[3] = parts, c->i[4] = bias;
            c->f[0] = pairs[j].ta, c->f[1] = pairs[j].tb, c->f[2] = 0.25;
            size_t rows = (size_t)parts * n;
            if (with_dl) out_f(c, rows, 5e-7, 1e-5, 5e-7, 1e-5);
            else null_buf(c);
            io_f(c, rows, -20, 20, 0, 0, 0, 0); /* l: + bias, one rounding everywhere */
            io_f(c, 2, 0, 1, 1e-5 * n * 200 + 1e-5, 1e-5, 1e-5 * n * 200 + 1e-5, 1e-5);
            io_f(c, 2, 0, 1, 1e-5 * n * 200 + 1e-5, 1e-5, 1e-5 * n * 200 + 1e-5, 1e-5);
            if (bias) in_f(c, 1, -2, 2);
            else null_buf(c);
            /* db: a float sum over the rows on the CPU (as bias_backward's) */
            double dr = 1e-7 * (double)rows + 1e-5;
            if (db) io_f(c, 1, -1, 1, 1e-6 * n + 1e-6, dr, 1e-6 * n + 1e-6, dr);
            else null_buf(c);
        }
}

/* ================================================================ Adam */
/* i[0] n, i[1] zero_g; f: lr b1 b2 eps; buffers p m v g (adam_dev: + t
 * (int64), ticket (uint32)). Three steps: with zero_g the first spends g
 * (zeroed) and the next two run on g = 0; without, all three on g. */

static void run_adam(const gan_backend *be, void **d, const op_case *c, double *r) {
    for (int step = 1; step <= 3; step++)
        be->adam(be->ctx, F(0), F(1), F(2), F(3), (size_t)c->i[0], (float)(c->f[0] * step),
                 (float)c->f[1], (float)c->f[2], (float)c->f[3], c->i[1] != 0);
}
static void adam_ref_step(void **h, const op_case *c, double lr_t) {
    double b1 = (float)c->f[1], b2 = (float)c->f[2], eps = (float)c->f[3];
    for (int i = 0; i < c->i[0]; i++) {
        double g = HD(3)[i];
        double m = b1 * HD(1)[i] + (1 - b1) * g, v = b2 * HD(2)[i] + (1 - b2) * g * g;
        HD(1)[i] = (float)m, HD(2)[i] = (float)v;
        HD(0)[i] = (float)(HD(0)[i] - lr_t * m / (sqrt(v) + eps));
        if (c->i[1]) HD(3)[i] = 0.0f;
    }
}
static void ref_adam(void **h, const op_case *c, double *r) {
    for (int step = 1; step <= 3; step++) adam_ref_step(h, c, (float)(c->f[0] * step));
}
static void run_adam_dev(const gan_backend *be, void **d, const op_case *c, double *r) {
    for (int step = 1; step <= 3; step++)
        be->adam_dev(be->ctx, F(0), F(1), F(2), F(3), (size_t)c->i[0], (int64_t *)d[4],
                     (uint32_t *)d[5], (float)c->f[0], (float)c->f[1], (float)c->f[2],
                     (float)c->f[3], c->i[1] != 0);
}
static void ref_adam_dev(void **h, const op_case *c, double *r) {
    int64_t *t = h[4];
    double b1 = (float)c->f[1], b2 = (float)c->f[2];
    for (int step = 1; step <= 3; step++) {
        double td = (double)++*t;
        adam_ref_step(h, c, (float)((float)c->f[0] * sqrt(1.0 - pow(b2, td)) / (1.0 - pow(b1, td))));
    }
}

static void gen_adam(int n) {
    const double hp[4] = {2e-4, 0.5, 0.999, 1e-7};
    for (int k = 0; k < 4; k++) { /* lr_t from the host; from the step count in memory */
        int dev = k & 1, zero_g = k >> 1;
        op_case *c = dev ? add_case(GAN_K_adam_dev, run_adam_dev, ref_adam_dev, "n=%d zero_g=%d",
                                    n, zero_g)
                         : add_case(GAN_K_adam, run_adam, ref_adam, "n=%d zero_g=%d", n, zero_g);
        c->i[0] = n, c->i[1] = zero_g;
        memcpy(c->f, hp, sizeof hp);
        io_f(c, (size_t)n, -1, 1, 1e-6, 1e-6, 1e-5, 1e-5);
        io_f(c, (size_t)n, -0.1, 0.1, 1e-6, 1e-6, 1e-6, 1e-6);
        io_f(c, (size_t)n, 0, 0.01, 1e-6, 1e-6, 1e-8, 1e-5);
        io_f(c, (size_t)n, -1, 1, 0, 0, 0, 0); /* g: zeroed with zero_g */
        if (dev) {
            buf_t(c, T_I64, INOUT, 1, 7, 8);  /* t: from 7 */
            buf_t(c, T_U32, INOUT, 1, 0, 1); /* the ticket: 0 before and after */
        }
    }
}

/* ============================================= batches, steps, random numbers */
/* load_batch_u8: i = count B img K k labeled; buffers rows labels pixels plabels order step */

static void run_load(const gan_backend *be, void **d, const op_case *c, double *r) {
    int64_t per_epoch = c->i[0] / ((int64_t)c->i[1] * c->i[3]);
    be->load_batch_u8(be->ctx, F(0), (int32_t *)d[1], (const uint8_t *)d[2],
                      (const uint8_t *)d[3], (const uint32_t *)d[4], (const int64_t *)d[5],
                      per_epoch, c->i[3], c->i[4], c->i[1], (size_t)c->i[2]);
}
static void ref_load(void **h, const op_case *c, double *r) {
    int B = c->i[1], K = c->i[3];
    size_t img = (size_t)c->i[2];
    int64_t per_epoch = c->i[0] / ((int64_t)B * K), step = *(int64_t *)h[5];
    int64_t pos = (step % per_epoch) * K + c->i[4];
    const uint8_t *px = h[2], *pl = h[3];
    const uint32_t *order = h[4];
    for (int b = 0; b < B; b++) {
        uint32_t src = order[pos * B + b];
        for (size_t q = 0; q < img; q++)
            HD(0)[(size_t)b * img + q] = (float)((px[(size_t)src * img + q] - 127.5) / 127.5);
        if (h[1]) ((int32_t *)h[1])[b] = pl[src];
    }
}

static void gen_load(int count, int B, int img, int K, bool labeled) {
    int64_t per_epoch = count / ((int64_t)B * K);
    const int64_t steps[] = {0, per_epoch - 1, per_epoch + 1};
    for (int s = 0; s < 3; s++)
        for (int k = 0; k < K; k++) {
            op_case *c = add_case(GAN_K_load_batch_u8, run_load, ref_load,
                                  "count=%d B=%d img=%d K=%d k=%d step=%lld labels=%d", count, B,
                                  img, K, k, (long long)steps[s], labeled);
            memcpy(c->i, (int[]){count, B, img, K, k, labeled}, 6 * sizeof(int));
            out_f(c, (size_t)B * img, 0, 0, 0, 0);
            if (labeled) buf_t(c, T_I32, OUT, (size_t)B, 0, 1);
            else null_buf(c);
            buf_t(c, T_U8, IN, (size_t)count * img, 0, 256);
            buf_t(c, T_U8, IN, (size_t)count, 0, 10);
            buf_t(c, T_U32, IN, (size_t)count, 0, count);
            buf_t(c, T_I64, IN, 1, (double)steps[s], (double)steps[s] + 1);
        }
}

/* step_advance: buffers step stream (i[0]: and step_b stream_b); called
 * three times */
static uint64_t step_base(void) {
    return gan_rng_stream(GAN_RNG_NOISE, 0);
}
static void run_step(const gan_backend *be, void **d, const op_case *c, double *r) {
    uint64_t base_b = gan_rng_stream(GAN_RNG_AUGMENT, 0);
    for (int k = 0; k < 3; k++)
        be->step_advance(be->ctx, (int64_t *)d[0], (uint64_t *)d[1], step_base(),
                         c->i[0] ? (int64_t *)d[2] : NULL, c->i[0] ? (uint64_t *)d[3] : NULL,
                         base_b);
}
static void ref_step(void **h, const op_case *c, double *r) {
    int64_t *step = h[0];
    *step += 3;
    *(uint64_t *)h[1] = gan_rng_stream(GAN_RNG_NOISE, (uint64_t)*step);
    if (!c->i[0]) return;
    step = h[2];
    *step += 3;
    *(uint64_t *)h[3] = gan_rng_stream(GAN_RNG_AUGMENT, (uint64_t)*step);
}

/* rng: i[0] n, i[1] which stream; buffers out (rng_normal_dev: + stream) */
static uint64_t rng_seed(const op_case *c) {
    return c->i[2] ? 0xDEADBEEFCAFEF00Dull : 1;
}
static uint64_t rng_stream_of(const op_case *c) {
    return c->i[2] ? gan_rng_stream(GAN_RNG_INIT, (3u << 16) | (unsigned)c->i[1])
                   : gan_rng_stream(GAN_RNG_NOISE, (uint64_t)c->i[1]);
}
static void run_rng(const gan_backend *be, void **d, const op_case *c, double *r) {
    if (c->k == GAN_K_rng_uniform_dev)
        be->rng_uniform_dev(be->ctx, rng_seed(c), (const uint64_t *)d[1], F(0), (size_t)c->i[0]);
    else if (c->k == GAN_K_rng_uniform)
        be->rng_uniform(be->ctx, rng_seed(c), rng_stream_of(c), F(0), (size_t)c->i[0]);
    else if (c->k == GAN_K_rng_normal)
        be->rng_normal(be->ctx, rng_seed(c), rng_stream_of(c), F(0), (size_t)c->i[0]);
    else
        be->rng_normal_dev(be->ctx, rng_seed(c), (const uint64_t *)d[1], 0, F(0), (size_t)c->i[0]);
}
static void ref_rng(void **h, const op_case *c, double *r) {
    if (c->k == GAN_K_rng_uniform || c->k == GAN_K_rng_uniform_dev)
        gan_rng_uniform(rng_seed(c), rng_stream_of(c), HD(0), (size_t)c->i[0]);
    else
        gan_rng_normal(rng_seed(c), rng_stream_of(c), HD(0), (size_t)c->i[0]);
}
static void prep_rng_dev(void **h, const op_case *c) {
    *(uint64_t *)h[1] = rng_stream_of(c);
}

static void gen_rng(int n, int which, int seed_kind) {
    const gan_kernel ks[] = {GAN_K_rng_uniform, GAN_K_rng_normal, GAN_K_rng_normal_dev,
                             GAN_K_rng_uniform_dev};
    for (int j = 0; j < 4; j++) {
        op_case *c = add_case(ks[j], run_rng, ref_rng, "n=%d stream=%d seed=%d", n, which,
                              seed_kind);
        c->i[0] = n, c->i[1] = which, c->i[2] = seed_kind;
        /* uniform: identical bits; normal: <= 1 ulp of float (double log/sin/cos) */
        if (j == 0 || j == 3) out_f(c, (size_t)n, 0, 0, 0, 0);
        else out_f(c, (size_t)n, 1e-30, 2.4e-7, 0, 0);
        if (j >= 2) {
            buf_t(c, T_U64, IN, 1, 0, 1);
            c->prep = prep_rng_dev;
        }
    }
}

/* ========================================================== augmentation */
/* i: N C H W in_place; buffers y x params (in place: y params). The
 * reference follows DiffAugment's steps (brightness, saturation, contrast;
 * pad-and-gather translation; clamped cutout indices) in double, with the
 * integers from src/augment.h. */

static const float *aug_x(void **h, const op_case *c) {
    return c->i[4] ? HD(0) : HD(1);
}
static const float *aug_params(void **h, const op_case *c) {
    return c->i[4] ? HD(1) : HD(2);
}
static void run_aug(const gan_backend *be, void **d, const op_case *c, double *r) {
    int N = c->i[0], C = c->i[1], H = c->i[2], W = c->i[3];
    const float *x = c->i[4] ? CF(0) : CF(1), *u = c->i[4] ? CF(1) : CF(2);
    switch (c->k) {
    case GAN_K_augment_color_forward: be->augment_color_forward(be->ctx, F(0), x, u, N, C, H * W); break;
    case GAN_K_augment_color_backward:
        be->augment_color_backward(be->ctx, F(0), x, u, N, C, H * W);
        break;
    case GAN_K_augment_translation_forward:
        be->augment_translation_forward(be->ctx, F(0), x, u, N, C, H, W);
        break;
    case GAN_K_augment_translation_backward:
        be->augment_translation_backward(be->ctx, F(0), x, u, N, C, H, W);
        break;
    case GAN_K_augment_cutout: be->augment_cutout(be->ctx, F(0), x, u, N, C, H, W); break;
    default: be->mirror(be->ctx, F(0), CF(1), N, C, H, W); break;
    }
}
static void ref_aug(void **h, const op_case *c, double *r) {
    int N = c->i[0], C = c->i[1], H = c->i[2], W = c->i[3];
    size_t P = (size_t)H * W, img = (size_t)C * P;
    const float *u0 = c->k == GAN_K_mirror ? HD(1) : aug_params(h, c);
    double *x = malloc(N * img * sizeof *x), *y = malloc(N * img * sizeof *y);
    if (!x || !y) abort();
    const float *xs = c->k == GAN_K_mirror ? HD(0) : aug_x(h, c);
    for (size_t i = 0; i < N * img; i++) x[i] = xs[i];
    for (int n = 0; n < N; n++) {
        const float *u = u0 + (size_t)n * GAN_AUG_PARAMS;
        double *xn = x + n * img, *yn = y + n * img;
        if (c->k == GAN_K_augment_color_forward || c->k == GAN_K_augment_color_backward) {
            /* the forward step by step; the backward as the transposes of the linear part */
            bool bwd = c->k == GAN_K_augment_color_backward;
            double b = (double)u[GAN_AUG_U_BRIGHTNESS] - 0.5;
            double s = (double)u[GAN_AUG_U_SATURATION] * 2, k = (double)u[GAN_AUG_U_CONTRAST] + 0.5;
            if (!bwd)
                for (size_t i = 0; i < img; i++) xn[i] += b;
            for (int step = 0; step < 2; step++) {
                bool sat = bwd ? step == 1 : step == 0;
                if (sat) {
                    for (size_t p = 0; p < P; p++) {
                        double m = 0;
                        for (int ch = 0; ch < C; ch++) m += xn[ch * P + p];
                        m /= C;
                        for (int ch = 0; ch < C; ch++) xn[ch * P + p] = (xn[ch * P + p] - m) * s + m;
                    }
                } else {
                    double M = 0;
                    for (size_t i = 0; i < img; i++) M += xn[i];
                    M /= (double)img;
                    for (size_t i = 0; i < img; i++) xn[i] = (xn[i] - M) * k + M;
                }
            }
            memcpy(yn, xn, img * sizeof *yn);
        } else if (c->k == GAN_K_augment_translation_forward ||
                   c->k == GAN_K_augment_translation_backward) {
            int ty = gan_aug_shift(u[GAN_AUG_U_SHIFT_Y], H), tx = gan_aug_shift(u[GAN_AUG_U_SHIFT_X], W);
            /* the backward scatters each dy where the forward gathered it from */
            memset(yn, 0, img * sizeof *yn);
            for (int ch = 0; ch < C; ch++)
                for (int i = 0; i < H; i++)
                    for (int j = 0; j < W; j++) {
                        int si = i + ty, sj = j + tx;
                        if (si < 0 || si >= H || sj < 0 || sj >= W) continue;
                        if (c->k == GAN_K_augment_translation_forward)
                            yn[ch * P + (size_t)i * W + j] = xn[ch * P + (size_t)si * W + sj];
                        else
                            yn[ch * P + (size_t)si * W + sj] += xn[ch * P + (size_t)i * W + j];
                    }
        } else if (c->k == GAN_K_augment_cutout) {
            int hy, hx; /* DiffAugment's offsets: the square's start + size / 2 */
            int oy = gan_aug_cut_start(u[GAN_AUG_U_CUT_Y], H, &hy);
            int ox = gan_aug_cut_start(u[GAN_AUG_U_CUT_X], W, &hx);
            oy += hy / 2, ox += hx / 2;
            memcpy(yn, xn, img * sizeof *yn);
            for (int a = 0; a < hy; a++) /* DiffAugment: clamped indices set to zero */
                for (int bb = 0; bb < hx; bb++) {
                    int i = oy - hy / 2 + a, j = ox - hx / 2 + bb;
                    i = i < 0 ? 0 : i >= H ? H - 1 : i;
                    j = j < 0 ? 0 : j >= W ? W - 1 : j;
                    for (int ch = 0; ch < C; ch++) yn[ch * P + (size_t)i * W + j] = 0;
                }
        } else { /* mirror */
            bool flip = u[GAN_AUG_U_MIRROR] < 0.5f;
            for (size_t row = 0; row < (size_t)C * H; row++)
                for (int j = 0; j < W; j++) yn[row * W + j] = xn[row * W + (flip ? W - 1 - j : j)];
        }
    }
    for (size_t i = 0; i < N * img; i++) HD(0)[i] = (float)y[i];
    free(x);
    free(y);
}

static void gen_augment(int N, int C, int H, int W) {
    const gan_kernel ks[] = {GAN_K_augment_color_forward, GAN_K_augment_color_backward,
                             GAN_K_augment_translation_forward,
                             GAN_K_augment_translation_backward, GAN_K_augment_cutout,
                             GAN_K_mirror};
    size_t n = (size_t)N * C * H * W;
    for (int j = 0; j < 6; j++)
        for (int in_place = 0; in_place < 2; in_place++) {
            gan_kernel k = ks[j];
            bool translation = j == 2 || j == 3;
            if ((in_place && translation) || (!in_place && k == GAN_K_mirror)) continue;
            op_case *c = add_case(k, run_aug, ref_aug, "N=%d C=%d H=%d W=%d in_place=%d", N, C,
                                  H, W, in_place);
            memcpy(c->i, (int[]){N, C, H, W, in_place}, 5 * sizeof(int));
            /* color: sums in another order, contracted multiply-adds; the others copy */
            double be = j < 2 ? 4e-6 : 0, ref = j < 2 ? 2e-6 : 0;
            if (in_place) io_f(c, n, -1, 1, be, be, ref, ref);
            else out_f(c, n, be, be, ref, ref), in_f(c, n, -1, 1);
            in_f(c, (size_t)N * GAN_AUG_PARAMS, 0, 1);
        }
}

/* ============================================================ the harness */

static void fill(void *p, const tbuf *b, uint64_t seed, uint64_t stream) {
    if (b->n == 0) return;
    float *u = malloc(b->n * sizeof *u);
    if (!u) abort();
    gan_rng_uniform(seed, stream, u, b->n);
    for (size_t i = 0; i < b->n; i++) {
        double v = b->lo + (b->hi - b->lo) * u[i];
        switch (b->type) {
        case T_F32: ((float *)p)[i] = isnan(b->lo) ? NAN : (float)v; break;
        case T_I32: ((int32_t *)p)[i] = (int32_t)floor(v); break;
        case T_U8: ((uint8_t *)p)[i] = (uint8_t)floor(v); break;
        case T_U32: ((uint32_t *)p)[i] = (uint32_t)floor(v); break;
        case T_I64: ((int64_t *)p)[i] = (int64_t)floor(v); break;
        case T_U64: ((uint64_t *)p)[i] = (uint64_t)floor(v); break;
        }
    }
    free(u);
}

/* Compare buffer got with want; false (and a message) when they differ. */
static bool compare(const op_case *c, const char *who, int j, const void *got, const void *want,
                    bool against_ref) {
    const tbuf *b = &c->b[j];
    size_t bytes = b->n * type_size[b->type];
    if (b->type != T_F32) {
        bool same = memcmp(got, want, bytes) == 0;
        CHECK_MSG(same, "%s: %s: buffer %d (integers) differs", c->name, who, j);
        return same;
    }
    double atol = against_ref ? b->ref_atol : b->atol, rtol = against_ref ? b->ref_rtol : b->rtol;
    const float *g = got, *w = want;
    size_t worst = 0;
    double worst_ratio = 0;
    for (size_t i = 0; i < b->n; i++) {
        double ratio;
        if (isnan(w[i]) || isnan(g[i])) ratio = isnan(w[i]) && isnan(g[i]) ? 0 : INFINITY;
        else {
            double tol = atol + rtol * fabs((double)w[i]);
            double diff = fabs((double)g[i] - w[i]);
            ratio = diff == 0 ? 0 : tol == 0 ? INFINITY : diff / tol;
        }
        if (ratio > worst_ratio) worst_ratio = ratio, worst = i;
    }
    CHECK_MSG(worst_ratio <= 1.0,
              "%s: %s: buffer %d element %zu: got %.9g, want %.9g (%.3g of the tolerance)",
              c->name, who, j, worst, g[worst], w[worst], worst_ratio);
    return worst_ratio <= 1.0;
}

static bool compare_ret(const op_case *c, const char *who, const double *got, const double *want,
                        bool against_ref) {
    bool ok = true;
    double atol = against_ref ? c->ret_ref_atol : c->ret_atol;
    double rtol = against_ref ? c->ret_ref_rtol : c->ret_rtol;
    for (int j = 0; j < c->nret; j++) {
        bool close = fabs(got[j] - want[j]) <= atol + rtol * fabs(want[j]);
        CHECK_MSG(close, "%s: %s: returned value %d: got %.12g, want %.12g", c->name, who, j,
                  got[j], want[j]);
        ok = ok && close;
    }
    return ok;
}

/* Host copies of the case's initial buffers (NULL where the kernel gets NULL). */
static void **host_bufs(const op_case *c, void *const *init) {
    void **h = calloc(MAX_BUFS, sizeof *h);
    if (!h) abort();
    for (int j = 0; j < c->nb; j++) {
        if (c->b[j].null) continue;
        size_t bytes = c->b[j].n * type_size[c->b[j].type];
        h[j] = malloc(bytes ? bytes : 1);
        if (!h[j]) abort();
        memcpy(h[j], init[j], bytes);
    }
    return h;
}

static void free_bufs(void **h) {
    for (int j = 0; j < MAX_BUFS; j++) free(h[j]);
    free(h);
}

/* Run case c on backend be from the initial buffers; the outputs (host
 * copies) and returned values come back. */
static void **run_on(const gan_backend *be, const op_case *c, void *const *init, double *ret) {
    if (be->host_memory) {
        void **h = host_bufs(c, init);
        c->run(be, h, c, ret);
        return h;
    }
    void *d[MAX_BUFS] = {0};
    for (int j = 0; j < c->nb; j++) {
        if (c->b[j].null) continue;
        size_t bytes = c->b[j].n * type_size[c->b[j].type];
        CHECK_OK(be->mem_alloc(be->ctx, &d[j], bytes ? bytes : 1));
        be->copy_to_device(be->ctx, d[j], init[j], bytes);
    }
    c->run(be, d, c, ret);
    void **h = host_bufs(c, init);
    for (int j = 0; j < c->nb; j++) {
        if (c->b[j].null) continue;
        CHECK_OK(be->copy_to_host(be->ctx, h[j], d[j], c->b[j].n * type_size[c->b[j].type]));
        be->mem_free(be->ctx, d[j]);
    }
    CHECK_OK(be->synchronize(be->ctx));
    return h;
}

static int kernel_cases[GAN_K_COUNT], kernel_runs[GAN_K_COUNT][2];

static void run_case(size_t index, const gan_backend *const *bes, int n_bes) {
    const op_case *c = &cases[index];
    void **init = calloc(MAX_BUFS, sizeof *init);
    if (!init) abort();
    for (int j = 0; j < c->nb; j++) {
        if (c->b[j].null) continue;
        init[j] = malloc(c->b[j].n * type_size[c->b[j].type] + 1);
        if (!init[j]) abort();
        fill(init[j], &c->b[j], 1000 + index, (uint64_t)j);
    }
    if (c->prep) c->prep(init, c);
    kernel_cases[c->k]++;

    /* the reference outputs: the CPU backend's, checked against the naive
     * reference; the naive reference alone where the CPU lacks the kernel */
    void **want = NULL;
    double want_ret[4] = {0}, ref_ret[4] = {0};
    bool want_is_ref = false;
    if (!c->big) {
        void **ref = host_bufs(c, init);
        c->ref(ref, c, ref_ret);
        if (gan_backend_supports(bes[0], c->k)) {
            want = run_on(bes[0], c, init, want_ret);
            kernel_runs[c->k][0]++;
            for (int j = 0; j < c->nb; j++)
                if (c->b[j].role != IN && !c->b[j].null)
                    compare(c, "cpu vs reference", j, want[j], ref[j], true);
            compare_ret(c, "cpu vs reference", want_ret, ref_ret, true);
            free_bufs(ref);
        } else {
            want = ref;
            memcpy(want_ret, ref_ret, sizeof want_ret);
            want_is_ref = true;
        }
    } else if (gan_backend_supports(bes[0], c->k)) {
        want = run_on(bes[0], c, init, want_ret);
        kernel_runs[c->k][0]++;
    }
    for (int b = 1; b < n_bes && want; b++) {
        if (!gan_backend_supports(bes[b], c->k)) continue;
        double got_ret[4] = {0};
        void **got = run_on(bes[b], c, init, got_ret);
        kernel_runs[c->k][1]++;
        char who[64];
        snprintf(who, sizeof who, "%s vs %s", bes[b]->name, want_is_ref ? "reference" : "cpu");
        for (int j = 0; j < c->nb; j++)
            if (c->b[j].role != IN && !c->b[j].null) compare(c, who, j, got[j], want[j], false);
        compare_ret(c, who, got_ret, want_ret, false);
        free_bufs(got);
    }
    if (want) free_bufs(want);
    free_bufs(init);
}

static void generate(bool big_machine) {
    gen_gemm(big_machine);
    static const int rows[] = {1, 3, 64, 129, 1024}, feats[] = {1, 7, 33, 784, 1025};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            int N = rows[i], Fe = feats[j];
            op_case *c = add_case(GAN_K_bias_forward, run_bias_forward, ref_bias_forward,
                                  "N=%d F=%d", N, Fe);
            c->i[0] = N, c->i[1] = Fe;
            io_f(c, (size_t)N * Fe, -2, 2, 1e-6, 1e-6, 1e-6, 1e-6);
            in_f(c, (size_t)Fe, -1, 1);
            c = add_case(GAN_K_bias_backward, run_bias_backward, ref_bias_backward, "N=%d F=%d",
                         N, Fe);
            c->i[0] = N, c->i[1] = Fe;
            io_f(c, (size_t)Fe, -1, 1, 1e-6 * N + 1e-5, 1e-4, 1e-6 * N + 1e-5, 1e-5);
            in_f(c, (size_t)N * Fe, -1, 1);
            for (int a = 0; a < 4; a++) { /* none, leaky_relu 0.2, relu, tanh */
                static const char *names[] = {"none", "leaky_relu 0.2", "relu", "tanh"};
                bool tanh = a == 3;
                c = add_case(GAN_K_bias_act_forward, run_bias_act_fwd, ref_bias_act_fwd,
                             "N=%d F=%d %s", N, Fe, names[a]);
                c->i[0] = N, c->i[1] = Fe, c->i[2] = a, c->f[0] = a == 1 ? 0.2 : 0.0;
                if (tanh) io_f(c, (size_t)N * Fe, -3, 3, 1e-30, 4.8e-7, 1e-7, 1e-6); /* GPU tanhf */
                else io_f(c, (size_t)N * Fe, -2, 2, 0, 0, 0, 0);
                in_f(c, (size_t)Fe, -1, 1);
                bool no_db = (i + j + a) % 3 == 0;
                c = add_case(GAN_K_bias_act_backward, run_bias_act_bwd, ref_bias_act_bwd,
                             "N=%d F=%d %s%s", N, Fe, names[a], no_db ? " db NULL" : "");
                c->i[0] = N, c->i[1] = Fe, c->i[2] = a, c->i[3] = no_db;
                c->f[0] = a == 1 ? 0.2 : 0.0;
                out_f(c, (size_t)N * Fe, tanh ? 1e-6 : 0, tanh ? 1e-6 : 0, tanh ? 1e-6 : 0,
                      tanh ? 1e-6 : 0);
                if (no_db) null_buf(c);
                else io_f(c, (size_t)Fe, -1, 1, 1e-6 * N + 1e-5, 1e-4, 1e-6 * N + 1e-5, 1e-5);
                in_f(c, (size_t)N * Fe, -1, 1);
                in_f(c, (size_t)N * Fe, -1, 1);
            }
            gen_bn(N, Fe, 1, 0, -1);
            gen_bn(N, Fe, 1, 0, Fe % 2 ? 0.0 : 0.2); /* with relu or leaky_relu 0.2 */
            gen_bn_in_bias(N, Fe, (i + j) % 4, (i + j) % 3 == 0 ? 0.2 : -1);
        }
    gen_bn_in_bias(64, 256, 1, -1); /* the seed generator's */
    gen_bn_in_bias(64, 1024, 1, -1);
    gen_bn_in_bias(300, 33, 1, 0.0); /* many rows: the CUDA backend's two-kernel path */
    static const int bn2d[][3] = {{1, 1, 1},     {3, 5, 7},    {64, 128, 49},
                                  {128, 64, 196}, {1024, 3, 9}, {2, 1, 1000}};
    for (int i = 0; i < 6; i++) {
        gen_bn(bn2d[i][0], bn2d[i][1], bn2d[i][2], 1, -1);
        gen_bn(bn2d[i][0], bn2d[i][1], bn2d[i][2], 1, i % 2 ? 0.2 : 0.0); /* leaky, relu */
        gen_bn_sync(bn2d[i][0], bn2d[i][1], bn2d[i][2], -1);
        gen_bn_sync(bn2d[i][0], bn2d[i][1], bn2d[i][2], i % 2 ? 0.0 : 0.2);
    }
    gen_bn_sync(64, 1024, 1, -1); /* the (N, F) layout of the seed model's batch norm */
    gen_bn2d_plain(3, 5, 7);
    gen_bn2d_plain(64, 128, 49);
    /* the SN-GAN ResNet's resampling (28x28 and down), then awkward shapes */
    gen_blocks(64 * 128, 14, 14, 2, 2, 0.25);  /* avgpool2d 2 */
    gen_blocks(64 * 256, 7, 7, 7, 7, 1.0);     /* global_sum_pool */
    gen_blocks(3 * 5, 7, 9, 2, 2, 0.25);       /* odd: a row and a column left over */
    gen_blocks(2, 9, 6, 3, 2, 1.0 / 3);        /* non-square blocks */
    gen_blocks(7, 1, 1, 1, 1, 1.0);
    gen_blocks(1, 28, 28, 28, 28, 1.0);
    /* minibatch_stddev: a 4x4x256 discriminator map of a batch of 64 in groups of 4 (the
     * 64 px resnet's last size), then awkward shapes: one group, groups of one, a
     * feature count that is not a multiple of the 64-feature chunks */
    gen_mbstd(64, 4, 256, 16);
    gen_mbstd(8, 4, 3, 5);
    gen_mbstd(6, 3, 20, 4);
    gen_mbstd(4, 4, 1, 1);
    gen_mbstd(5, 1, 7, 9);
    gen_mbstd(2, 2, 130, 1);
    for (int which = 0; which < 3; which++) {
        gen_class_affine(37, 3, 5, 10, false, which);
        gen_class_affine(64, 128, 49, 10, false, which);
    }
    gen_class_affine(5, 4, 9, 10, true, 0);  /* no labels: the identity */
    gen_class_affine(300, 7, 1, 2000, false, 0); /* flat, many classes */
    for (int which = 0; which < 3; which++) {
        gen_class_dot(37, 5, 10, false, which);
        gen_class_dot(64, 128, 10, false, which); /* the cresnet preset's head */
    }
    gen_class_dot(5, 4, 10, true, 0);     /* no labels: nothing added */
    gen_class_dot(300, 7, 2000, false, 0); /* many classes */
    gen_class_dot(1, 1, 1, false, 0);
    static const int smax[][2] = {{1, 1}, {7, 33}, {64 * 49, 49}, {3, 196}, {2, 1025}};
    for (int i = 0; i < 5; i++) gen_softmax(smax[i][0], smax[i][1], i % 2 ? 30.0 : 3.0);
    static const int gadd_n[] = {1, 7, 1000, 100003};
    for (int i = 0; i < 4; i++) gen_gated_add(gadd_n[i]);
    static const int axpy_n[] = {1, 7, 1000, 100003};
    for (int i = 0; i < 4; i++) gen_axpy(axpy_n[i], i % 2 ? 1.0 : -0.5);
    static const int elem[] = {1, 7, 33, 1000, 100003};
    for (int i = 0; i < 5; i++) gen_elementwise(elem[i]), gen_adam(elem[i]);
    /* the dcgan preset's shapes, then awkward ones (odd sizes, stride 3, wide padding) */
    gen_im2col(1, 28, 28, 4, 2, 1, 5);
    gen_im2col(64, 14, 14, 4, 2, 1, 3);
    gen_im2col(128, 7, 7, 4, 2, 1, 2);
    gen_im2col(3, 7, 5, 3, 1, 0, 1);
    gen_im2col(2, 9, 11, 5, 3, 2, 7);
    gen_im2col(5, 1, 1, 1, 1, 0, 33);
    gen_im2col(1, 4, 4, 4, 2, 3, 2);
    static const int layouts[][3] = {{1, 1, 1}, {3, 7, 5}, {64, 64, 196}, {33, 128, 49},
                                     {2, 1, 784}};
    for (int i = 0; i < 5; i++) gen_layouts(layouts[i][0], layouts[i][1], layouts[i][2]);
    gen_conv_direct(2, 3, 7, 5, 3, 1, 1, 5);
    gen_conv_direct(3, 17, 9, 11, 4, 2, 1, 33);
    gen_conv_direct(1, 32, 8, 8, 4, 2, 1, 16);
    gen_conv_direct(2, 5, 6, 6, 5, 3, 2, 3);
    gen_conv_direct(5, 1, 28, 28, 4, 2, 1, 16);
    static const int drop_n[] = {1, 3, 7, 1000, 100003};
    static const double drop_p[] = {0.0, 0.3, 0.9};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 3; j++) gen_dropout(drop_n[i], drop_p[j]);
    static const int sn[][2] = {{1, 1}, {7, 33}, {64, 1024}, {129, 7}, {1000, 3}};
    for (int i = 0; i < 5; i++) gen_sn(sn[i][0], sn[i][1]);
    gen_labels(37, 3, 5, 10, 10, false, false);  /* one-hot */
    gen_labels(64, 2, 49, 10, 8, true, false);   /* embedding, shared-memory classes */
    gen_labels(300, 1, 1, 2000, 3, true, false); /* embedding, more classes than fit */
    gen_labels(5, 4, 9, 10, 10, false, true);    /* no labels: zeros */
    gen_labels(513, 0, 1, 7, 4, true, false);    /* nothing but the label channels */
    gen_pool(2, 3, 8, 8, 2, 2);
    gen_pool(3, 5, 9, 7, 3, 2);
    gen_pool(1, 16, 28, 28, 2, 2);
    gen_pool(4, 2, 5, 5, 5, 1);
    gen_pool(2, 3, 11, 6, 3, 3);
    gen_xent(1, 1, true);
    gen_xent(7, 10, true);
    gen_xent(64, 10, false);
    gen_xent(129, 33, true);
    static const int loss_n[] = {1, 7, 64, 129, 1024, 5000};
    for (int i = 0; i < 6; i++) gen_bce(loss_n[i]), gen_loss_acc(loss_n[i]), gen_loss_terms(loss_n[i]);
    gen_load(200, 32, 784, 1, false);
    gen_load(1000, 7, 3 * 5 * 5, 1, false);
    gen_load(200, 16, 784, 2, true); /* --d-steps 2, a conditional model */
    gen_load(1000, 7, 3 * 5 * 5, 3, true);
    op_case *c = add_case(GAN_K_step_advance, run_step, ref_step, "three steps");
    buf_t(c, T_I64, INOUT, 1, 41, 42);
    buf_t(c, T_U64, OUT, 1, 0, 1);
    c = add_case(GAN_K_step_advance, run_step, ref_step, "three steps, two counters");
    c->i[0] = 1;
    buf_t(c, T_I64, INOUT, 1, 41, 42);
    buf_t(c, T_U64, OUT, 1, 0, 1);
    buf_t(c, T_I64, INOUT, 1, 7, 8);
    buf_t(c, T_U64, OUT, 1, 0, 1);
    static const int rng_n[] = {1, 2, 3, 4, 5, 1001, (1 << 20) + 1};
    for (int i = 0; i < 7; i++) gen_rng(rng_n[i], i, i % 2);
    static const int aug[][4] = {{1, 1, 1, 1},  {3, 3, 8, 8},   {5, 1, 28, 28},
                                 {7, 3, 5, 9},  {2, 4, 13, 6},  {64, 3, 32, 32},
                                 {4, 3, 64, 64}};
    for (int i = 0; i < 7; i++) gen_augment(aug[i][0], aug[i][1], aug[i][2], aug[i][3]);
}

/* The supports query, and a layer whose kernel the backend lacks: a clear
 * status at build, never a NULL call (a copy of the CPU table without the
 * classifier kernels stands for such a backend). */
static void test_supports(void) {
    const gan_backend *cpu = gan_backend_cpu();
    gan_backend lacking = *cpu;
    lacking.name = "lacking";
    lacking.maxpool2d_forward = NULL;
    lacking.maxpool2d_backward = NULL;
    CHECK(gan_backend_supports(cpu, GAN_K_maxpool2d_forward));
    CHECK(!gan_backend_supports(&lacking, GAN_K_maxpool2d_forward));
    CHECK(gan_backend_supports(&lacking, GAN_K_gemm));
    CHECK(!gan_backend_supports(&lacking, GAN_K_COUNT));
    CHECK(gan_backend_supports_group(cpu, GAN_KERNEL_GROUP_CLASSIFIER));
    CHECK(!gan_backend_supports_group(&lacking, GAN_KERNEL_GROUP_CLASSIFIER));
    CHECK(gan_backend_supports_group(&lacking, GAN_KERNEL_GROUP_NETWORK));
    CHECK(gan_kernel_group_of(GAN_K_load_batch_u8) == GAN_KERNEL_GROUP_TRAINER);
    CHECK(strcmp(gan_kernel_name(GAN_K_softmax_xent), "softmax_xent") == 0);
    CHECK_OK(gan_backend_require(cpu, GAN_K_maxpool2d_backward, "test"));
    CHECK(gan_backend_require(&lacking, GAN_K_maxpool2d_backward, "test") == GAN_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(gan_last_error(), "lacking backend has no maxpool2d_backward") != NULL,
              "message: %s", gan_last_error());

    gan_model m = {0};
    gan_layer pool;
    gan_layer_maxpool2d(&pool, 2, 2);
    CHECK_OK(gan_model_add(&m, pool));
    CHECK(gan_model_build(&m, "pool", 1, 4, 4, 2, &lacking) == GAN_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(gan_last_error(), "maxpool2d") != NULL &&
                  strstr(gan_last_error(), "maxpool2d_forward") != NULL,
              "message: %s", gan_last_error());
    gan_model_free(&m);
    gan_model m2 = {0};
    CHECK_OK(gan_model_add(&m2, pool));
    CHECK_OK(gan_model_build(&m2, "pool", 1, 4, 4, 2, cpu));
    gan_model_free(&m2);
}

int main(void) {
    gan_backend_cpu_set_threads(0);
    test_supports();
    const gan_backend *bes[2] = {gan_backend_cpu(), NULL};
    int n_bes = 1;
#ifdef GAN_HAVE_CUDA
    if (gan_backend_cuda_init(0) == GAN_OK) {
        bes[n_bes++] = gan_backend_cuda();
    } else {
        const char *req = getenv("GAN_TEST_REQUIRE_CUDA");
        CHECK_MSG(!(req && *req && strcmp(req, "0") != 0),
                  "GAN_TEST_REQUIRE_CUDA is set but: %s", gan_last_error());
        fprintf(stderr, "note: no GPU (%s): the CPU backend against the reference only\n",
                gan_last_error());
    }
#endif
    generate(n_bes > 1);
    for (size_t i = 0; i < n_cases; i++) run_case(i, bes, n_bes);

    /* coverage: a case for every kernel, and the required groups on every backend */
    for (int k = 0; k < GAN_K_COUNT; k++) {
        if (gan_kernel_group_of((gan_kernel)k) == GAN_KERNEL_GROUP_MEMORY) continue;
        CHECK_MSG(kernel_cases[k] > 0, "no case runs kernel %s", gan_kernel_name((gan_kernel)k));
        for (int b = 0; b < n_bes; b++)
            if (gan_backend_supports(bes[b], (gan_kernel)k))
                CHECK_MSG(kernel_runs[k][b ? 1 : 0] > 0, "%s: kernel %s never ran",
                          bes[b]->name, gan_kernel_name((gan_kernel)k));
    }
    for (int b = 0; b < n_bes; b++) {
        CHECK_MSG(gan_backend_supports_group(bes[b], GAN_KERNEL_GROUP_NETWORK),
                  "%s lacks a network kernel", bes[b]->name);
        CHECK_MSG(gan_backend_supports_group(bes[b], GAN_KERNEL_GROUP_TRAINER),
                  "%s lacks a trainer kernel", bes[b]->name);
        CHECK_MSG(gan_backend_supports_group(bes[b], GAN_KERNEL_GROUP_MEMORY),
                  "%s lacks a memory entry", bes[b]->name);
    }
    printf("%zu cases on %d backend%s\n", n_cases, n_bes, n_bes == 1 ? "" : "s");
    free(cases);
#ifdef GAN_HAVE_CUDA
    if (n_bes > 1) gan_backend_cuda_shutdown();
#endif
    return test_report();
}
