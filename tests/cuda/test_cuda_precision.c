/*
 * test_cuda_precision.c - the CUDA backend's precisions (fp32, tf32, bf16)
 * and convolution paths against the CPU (label cuda; 77 = no GPU, see
 * cuda_test_util.h):
 *   - convolutions: forward, data gradient and weight gradient (beta 0 and
 *     1, the bias in the forward) over the dcgan shapes and awkward ones
 *     (stride 1 and 2, padding 0..2, odd sizes, a 1-channel input), each
 *     path in each precision against a double-precision reference. Paths:
 *     the layers' im2col + cuBLAS, and the direct convolutions forced to
 *     cuDNN on the NCHW tensors (GAN_CUDA_CONV=cudnn-nchw) or on NHWC
 *     copies (cudnn-nhwc; a shape and precision for which cuDNN has no
 *     deterministic NHWC algorithm is reported and skipped), forced to their GEMM path
 *     (GAN_CUDA_CONV=gemm, with GAN_CUDA_CONV_GROUP=3 so that the batches
 *     run as several groups, the last one short) and chosen per shape by
 *     timing (auto; its plans are made on the beta-1 weight gradient, which
 *     the timing runs must leave as it was). The error
 *     of each element is measured against the sum of the magnitudes of its
 *     products, S = sum |a||b|: |gpu - ref| <= tol S + 1e-6, with tol 1e-5
 *     (fp32), 2e-3 (tf32: inputs rounded to 10-bit mantissas, u = 2^-11)
 *     and 1.6e-2 (bf16: inputs and the result rounded to 8-bit mantissas,
 *     u = 2^-8; two input roundings and one output rounding, 3u = 1.2e-2,
 *     plus the accumulation). Each direct path is also compared with the
 *     im2col path (2 tol), and the forced paths' plans must report the
 *     forced path (gan_backend_cuda_conv_report);
 *   - dcgan, one step on the GPU in each precision against the CPU: losses
 *     and D outputs |d| <= r (1 + |cpu|), gradients rel L2 <= g, (r, g) =
 *     (1e-4, 1e-4) fp32, (5e-3, 4e-2) tf32, (3e-2, 1.2e-1) bf16 (measured on
 *     an H100, G's gradients: 8e-7, 0.024, 0.065); fp32 also with the
 *     direct convolutions chosen per shape (GAN_CUDA_CONV=auto); bf16 and
 *     tf32 also with cuDNN on NHWC copies for every convolution
 *     (cudnn-nhwc), its bf16 step also captured and replayed;
 *   - within a precision, 8 graph replays equal 8 direct steps bit for bit
 *     (tf32, bf16; bf16 also on the GEMM path in groups of 16 images; fp32
 *     is test_cuda_trainer's);
 *   - checkpoints: a bf16 GPU run saves its precision; it resumes on the GPU
 *     in bf16 and continues bit for bit; resuming it on the CPU, or asking
 *     for tf32, is refused with a message naming the precision; its
 *     generator samples on the CPU (fp32) and on the GPU; an fp32 GPU
 *     checkpoint still resumes on the CPU.
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "checkpoint.h"
#include "cuda_test_util.h"
#include "generator.h"
#include "trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const math_names[] = {"fp32", "pedantic", "tf32", "bf16"};
static const double conv_tol[] = {1e-5, 1e-5, 2e-3, 1.6e-2};
static int nhwc_ran; /* convolution cases the forced NHWC path ran (not skipped) */

/* ------------------------------------------------------------ the reference */

typedef struct conv_case {
    int N, C, H, W, Cout, k, s, p;
} conv_case;

static gan_conv_shape shape_of(const conv_case *c) {
    gan_conv_shape cs = {c->C, c->H, c->W, c->k, c->s, c->p, 0, 0};
    cs.OH = (c->H + 2 * c->p - c->k) / c->s + 1;
    cs.OW = (c->W + 2 * c->p - c->k) / c->s + 1;
    return cs;
}

/* y and |y|'s bound S for forward (y = conv(x, w) + b), dx for data, dw for
 * weight, in double; each output with its sum of |products|. */
static void ref_conv(const conv_case *c, const gan_conv_shape *cs, const float *x,
                     const float *w, const float *b, const float *dy, double *y, double *ys,
                     double *dx, double *dxs, double *dw, double *dws) {
    int OH = cs->OH, OW = cs->OW, k = c->k;
    size_t nx = (size_t)c->N * c->C * c->H * c->W, nw = (size_t)c->Cout * c->C * k * k;
    size_t ny = (size_t)c->N * c->Cout * OH * OW;
    memset(dx, 0, nx * 8), memset(dxs, 0, nx * 8), memset(dw, 0, nw * 8), memset(dws, 0, nw * 8);
    for (size_t i = 0; i < ny; i++) y[i] = 0, ys[i] = 0;
    for (int n = 0; n < c->N; n++)
        for (int o = 0; o < c->Cout; o++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    size_t yi = (((size_t)n * c->Cout + o) * OH + oh) * OW + ow;
                    double acc = b[o], sa = fabs(b[o]);
                    for (int ci = 0; ci < c->C; ci++)
                        for (int i = 0; i < k; i++) {
                            int ih = oh * c->s - c->p + i;
                            if (ih < 0 || ih >= c->H) continue;
                            for (int j = 0; j < k; j++) {
                                int iw = ow * c->s - c->p + j;
                                if (iw < 0 || iw >= c->W) continue;
                                size_t xi = (((size_t)n * c->C + ci) * c->H + ih) * c->W + iw;
                                size_t wi = (((size_t)o * c->C + ci) * k + i) * k + j;
                                acc += (double)w[wi] * x[xi];
                                sa += fabs((double)w[wi] * x[xi]);
                                dx[xi] += (double)w[wi] * dy[yi];
                                dxs[xi] += fabs((double)w[wi] * dy[yi]);
                                dw[wi] += (double)x[xi] * dy[yi];
                                dws[wi] += fabs((double)x[xi] * dy[yi]);
                            }
                        }
                    y[yi] = acc, ys[yi] = sa;
                }
}

/* max over i of |got - ref| / (tol S + 1e-6): <= 1 passes. */
static double worst(const float *got, const double *ref, const double *s, size_t n, double tol,
                    const float *base) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double r = ref[i] + (base ? base[i] : 0.0);
        double e = fabs((double)got[i] - r) / (tol * s[i] + 1e-6);
        if (!(e <= m)) m = e; /* NaN wins */
    }
    return m;
}

/* ------------------------------------------------ the two GPU paths */

/* The im2col path as the layers run it (one group of all N images). */
static void im2col_path(const conv_case *c, const gan_conv_shape *cs, const float *x,
                        const float *w, const float *b, const float *dy, float *y, float *dx,
                        float *dw, float beta, float *cols, float *t) {
    int K = c->C * c->k * c->k, P = cs->OH * cs->OW, N = c->N, Cout = c->Cout;
    gpu->im2col(gpu->ctx, cols, x, N, cs);
    gpu->gemm(gpu->ctx, false, false, Cout, N * P, K, 1.0f, w, K, cols, N * P, 0.0f, t, N * P);
    gpu->cmajor_to_nchw(gpu->ctx, y, t, b, N, Cout, P);
    gpu->nchw_to_cmajor(gpu->ctx, t, dy, N, Cout, P);
    gpu->gemm(gpu->ctx, false, true, Cout, K, N * P, 1.0f, t, N * P, cols, N * P, beta, dw, K);
    gpu->gemm(gpu->ctx, true, false, K, N * P, Cout, 1.0f, w, K, t, N * P, 0.0f, cols, N * P);
    gpu->col2im(gpu->ctx, dx, cols, N, cs);
}

/* The direct convolutions, as the table calls them. */
static void direct_path(const conv_case *c, const gan_conv_shape *cs, const float *x,
                        const float *w, const float *b, const float *dy, float *y, float *dx,
                        float *dw, float beta) {
    gan_cuda_conv2d_forward(gpu->ctx, y, x, w, b, c->N, cs, c->Cout);
    gan_cuda_conv2d_backward_data(gpu->ctx, dx, dy, w, c->N, cs, c->Cout);
    gan_cuda_conv2d_backward_weight(gpu->ctx, dw, x, dy, c->N, cs, c->Cout, beta);
}

/* The paths tested: the layers' im2col, then the direct convolutions with
 * GAN_CUDA_CONV (and GAN_CUDA_CONV_GROUP) set as here. */
#define N_PATHS 5
#define PATH_AUTO 4
static const char *const path_names[N_PATHS] = {"im2col", "cudnn-nchw", "cudnn-nhwc", "gemm",
                                                "auto"};
static const char *const path_groups[N_PATHS] = {NULL, NULL, NULL, "3", NULL};

/* Select path `p` for math m (the environment, read by set_math). */
static void use_path(int p, gan_cuda_math m) {
    setenv("GAN_CUDA_CONV", path_names[p], 1);
    if (path_groups[p]) setenv("GAN_CUDA_CONV_GROUP", path_groups[p], 1);
    else unsetenv("GAN_CUDA_CONV_GROUP");
    CHECK_OK(gan_backend_cuda_set_math(m));
}

static void default_path(void) {
    unsetenv("GAN_CUDA_CONV");
    unsetenv("GAN_CUDA_CONV_GROUP");
}

/* The last `n` plans' lines of gan_backend_cuda_conv_report must all name
 * `path` (NULL: any; printed to stderr). */
static void check_plans(int n, const char *path) {
    static char report[1 << 16];
    gan_backend_cuda_conv_report(report, sizeof report);
    size_t len = strlen(report);
    const char *line = report + len;
    for (int i = 0; i < n && line > report; i++) { /* back to the start of the n-th last line */
        line--;
        while (line > report && line[-1] != '\n') line--;
    }
    for (const char *l = line; *l;) {
        const char *end = strchr(l, '\n');
        int ll = end ? (int)(end - l) : (int)strlen(l);
        const char *colon = memchr(l, ':', (size_t)ll);
        if (path) {
            CHECK_MSG(colon && strncmp(colon + 2, path, strlen(path)) == 0,
                      "plan '%.*s' does not take the forced path %s", ll, l, path);
        } else {
            fprintf(stderr, "  plan %.*s\n", ll, l);
        }
        l = end ? end + 1 : l + ll;
    }
}

static void test_conv_case(const conv_case *c) {
    gan_conv_shape cs = shape_of(c);
    int K = c->C * c->k * c->k, P = cs.OH * cs.OW;
    size_t nx = (size_t)c->N * c->C * c->H * c->W, nw = (size_t)c->Cout * K;
    size_t ny = (size_t)c->N * c->Cout * P;
    float *x = host_random(nx, -1, 1), *w = host_random(nw, -0.5f, 0.5f);
    float *b = host_random((size_t)c->Cout, -0.5f, 0.5f), *dy = host_random(ny, -1, 1);
    float *dw0 = host_random(nw, -1, 1); /* what beta 1 accumulates onto */
    double *y = malloc(ny * 8), *ys = malloc(ny * 8), *dx = malloc(nx * 8), *dxs = malloc(nx * 8);
    double *dw = malloc(nw * 8), *dws = malloc(nw * 8);
    ref_conv(c, &cs, x, w, b, dy, y, ys, dx, dxs, dw, dws);
    for (size_t i = 0; i < nw; i++) dws[i] += fabs(dw0[i]);

    float *gx = dev_upload(x, nx), *gw = dev_upload(w, nw), *gb = dev_upload(b, c->Cout);
    float *gdy = dev_upload(dy, ny), *gy = dev_alloc(ny * 4), *gdx = dev_alloc(nx * 4);
    float *gdw = dev_alloc(nw * 4), *cols = dev_alloc((size_t)K * c->N * P * 4);
    float *t = dev_alloc((size_t)c->Cout * c->N * P * 4);
    gan_cuda_math maths[] = {GAN_CUDA_MATH_FP32, GAN_CUDA_MATH_TF32, GAN_CUDA_MATH_BF16};
    for (int mi = 0; mi < 3; mi++) {
        gan_cuda_math m = maths[mi];
        double tol = conv_tol[m];
        float *out[N_PATHS][3] = {{NULL}};
        int paths = gan_backend_cuda_has_cudnn() ? N_PATHS : 1;
        for (int path = 0; path < paths; path++) {
            use_path(path, m);
            for (int bi = 0; bi < 2; bi++) { /* beta 1 first: the auto plans time on it */
                int beta = 1 - bi;
                if (beta) gpu->copy_to_device(gpu->ctx, gdw, dw0, nw * 4);
                if (path == 0)
                    im2col_path(c, &cs, gx, gw, gb, gdy, gy, gdx, gdw, (float)beta, cols, t);
                else direct_path(c, &cs, gx, gw, gb, gdy, gy, gdx, gdw, (float)beta);
                gan_status ran = gpu->synchronize(gpu->ctx);
                if (ran == GAN_ERR_UNSUPPORTED && path == 2) {
                    fprintf(stderr, "conv %dx%dx%d->%d k%d s%d p%d %-6s cudnn-nhwc: no NHWC "
                            "algorithm (%s), skipped\n", c->C, c->H, c->W, c->Cout, c->k, c->s,
                            c->p, math_names[m], gan_last_error());
                    break;
                }
                CHECK_OK(ran);
                if (path == 2 && beta == 0) nhwc_ran++;
                float *hy = dev_download(gy, ny), *hdx = dev_download(gdx, nx);
                float *hdw = dev_download(gdw, nw);
                double e[3] = {worst(hy, y, ys, ny, tol, NULL), worst(hdx, dx, dxs, nx, tol, NULL),
                               worst(hdw, dw, dws, nw, tol, beta ? dw0 : NULL)};
                const char *pn = path_names[path];
                CHECK_MSG(e[0] <= 1 && e[1] <= 1 && e[2] <= 1,
                          "conv N%d C%d %dx%d Cout%d k%d s%d p%d %s %s beta %d: errors %.3g %.3g "
                          "%.3g of tolerance (forward, data, weight)",
                          c->N, c->C, c->H, c->W, c->Cout, c->k, c->s, c->p, math_names[m], pn,
                          beta, e[0], e[1], e[2]);
                if (beta == 0)
                    fprintf(stderr, "conv %dx%dx%d->%d k%d s%d p%d %-6s %-6s: max error %.2g "
                            "%.2g %.2g of tol %.1g\n", c->C, c->H, c->W, c->Cout, c->k, c->s,
                            c->p, math_names[m], pn, e[0], e[1], e[2], tol);
                if (beta == 0) out[path][0] = hy, out[path][1] = hdx, out[path][2] = hdw;
                else free(hy), free(hdx), free(hdw);
            }
            if (path >= 1 && path < PATH_AUTO && out[path][0])
                check_plans(3, path_names[path]);
            if (path == PATH_AUTO) check_plans(3, NULL);
        }
        default_path();
        /* each direct path against im2col: within twice the tolerance */
        size_t len[3] = {ny, nx, nw};
        const double *sc[3] = {ys, dxs, dws};
        for (int path = 1; path < paths; path++)
            for (int q = 0; q < 3 && out[path][0]; q++) {
                double m2 = 0;
                for (size_t i = 0; i < len[q]; i++) {
                    double e = fabs((double)out[0][q][i] - out[path][q][i]) /
                               (2 * tol * sc[q][i] + 2e-6);
                    if (!(e <= m2)) m2 = e;
                }
                CHECK_MSG(m2 <= 1, "conv %s: %s and im2col differ by %.3g of 2 tol (output %d)",
                          math_names[m], path_names[path], m2, q);
            }
        for (int path = 0; path < paths; path++)
            for (int q = 0; q < 3; q++) free(out[path][q]);
    }
    CHECK_OK(gan_backend_cuda_set_math(GAN_CUDA_MATH_FP32));
    float *bufs[] = {gx, gw, gb, gdy, gy, gdx, gdw, cols, t};
    for (int i = 0; i < 9; i++) gpu->mem_free(gpu->ctx, bufs[i]);
    free(x), free(w), free(b), free(dy), free(dw0);
    free(y), free(ys), free(dx), free(dxs), free(dw), free(dws);
}

/* --------------------------------------------------------------- trainers */

static gan_trainer *make(const char *model, gan_dataset *data, int device, int precision) {
    gan_train_options opt;
    gan_train_options_default(&opt);
    opt.batch_size = 32;
    opt.seed = 11;
    opt.device = device;
    opt.precision = precision;
    gan_trainer *t = NULL;
    CHECK_OK(gan_trainer_create(model, &opt, data, &t));
    if (!t) abort();
    return t;
}

/* Parameters, gradients, moments and state of a model, on the host. */
static float *fetch_all(gan_model *m, size_t *n) {
    size_t np = m->n_params, ns = m->n_state;
    *n = 4 * np + ns;
    float *h = malloc(*n * 4 + 4);
    CHECK_OK(m->be->copy_to_host(m->be->ctx, h, m->params, np * 4));
    CHECK_OK(m->be->copy_to_host(m->be->ctx, h + np, m->grads, np * 4));
    CHECK_OK(m->be->copy_to_host(m->be->ctx, h + 2 * np, m->adam_m, np * 4));
    CHECK_OK(m->be->copy_to_host(m->be->ctx, h + 3 * np, m->adam_v, np * 4));
    CHECK_OK(m->be->copy_to_host(m->be->ctx, h + 4 * np, m->state, ns * 4));
    return h;
}

static bool same_models(gan_trainer *a, gan_trainer *b, bool grads) {
    bool ok = true;
    for (int i = 0; i < 2; i++) {
        size_t n, n2;
        gan_model *ma = i ? &a->d : &a->g, *mb = i ? &b->d : &b->g;
        float *x = fetch_all(ma, &n), *y = fetch_all(mb, &n2);
        size_t np = ma->n_params;
        if (n != n2 || memcmp(x, y, np * 4) != 0 || memcmp(x + 2 * np, y + 2 * np, (n - 2 * np) * 4))
            ok = false;
        if (grads && memcmp(x + np, y + np, np * 4) != 0) ok = false;
        free(x), free(y);
    }
    return ok;
}

/* One dcgan step in `precision` on the GPU against the CPU (fp32). */
static void test_one_step(gan_dataset *data, int precision, double loss_tol, double grad_tol) {
    gan_trainer *c = make("dcgan", data, GAN_DEVICE_CPU, GAN_PRECISION_FP32);
    gan_trainer *g = make("dcgan", data, GAN_DEVICE_CUDA, precision);
    c->g.keep_grads = c->d.keep_grads = true; /* compared after the step (model.h) */
    g->g.keep_grads = g->d.keep_grads = true;
    gan_step_stats sc, sg;
    CHECK_OK(gan_trainer_step(c, &sc));
    CHECK_OK(gan_trainer_step(g, &sg));
    CHECK_OK(gan_trainer_take_stats(c, &sc));
    CHECK_OK(gan_trainer_take_stats(g, &sg));
    const char *pn = gan_precision_names[precision];
    float got[4] = {sg.loss_d, sg.loss_g, sg.d_real, sg.d_fake};
    float want[4] = {sc.loss_d, sc.loss_g, sc.d_real, sc.d_fake};
    for (int i = 0; i < 4; i++)
        CHECK_MSG(fabs(got[i] - want[i]) <= loss_tol * (1 + fabs(want[i])),
                  "dcgan %s one step: statistic %d gpu %.7g cpu %.7g", pn, i, got[i], want[i]);
    for (int i = 0; i < 2; i++) {
        gan_model *mc = i ? &c->d : &c->g, *mg = i ? &g->d : &g->g;
        size_t n;
        float *a = fetch_all(mc, &n), *b = fetch_all(mg, &n);
        size_t np = mc->n_params;
        double e = rel_l2(b + np, a + np, np);
        fprintf(stderr, "dcgan %s one step: loss_d cpu %.6f gpu %.6f, %s grads rel L2 %.3g "
                "(tol %.1g)\n", pn, sc.loss_d, sg.loss_d, mc->name, e, grad_tol);
        CHECK_MSG(e <= grad_tol, "dcgan %s %s: gradients differ by %.3g (rel L2)", pn, mc->name,
                  e);
        free(a), free(b);
    }
    gan_trainer_free(c);
    gan_trainer_free(g);
}

static void test_graph(gan_dataset *data, int precision, int steps) {
    gan_trainer *a = make("dcgan", data, GAN_DEVICE_CUDA, precision);
    gan_trainer *b = make("dcgan", data, GAN_DEVICE_CUDA, precision);
    a->use_graph = false;
    gan_step_stats sa, sb;
    for (int i = 0; i < steps; i++) {
        CHECK_OK(gan_trainer_step(a, &sa));
        CHECK_OK(gan_trainer_step(b, &sb));
    }
    CHECK(b->graph != NULL && a->graph == NULL);
    CHECK_OK(gan_trainer_take_stats(a, &sa));
    CHECK_OK(gan_trainer_take_stats(b, &sb));
    const char *pn = gan_precision_names[precision];
    CHECK_MSG(memcmp(&sa, &sb, sizeof sa) == 0 && same_models(a, b, true),
              "dcgan %s: %d graph replays differ from direct steps", pn, steps - 1);
    fprintf(stderr, "dcgan %s: %d graph replays == %d direct steps, bit for bit\n", pn, steps - 1,
            steps - 1);
    gan_trainer_free(a);
    gan_trainer_free(b);
}

static void test_checkpoints(gan_dataset *data) {
    gan_trainer *g = make("dcgan", data, GAN_DEVICE_CUDA, GAN_PRECISION_BF16);
    gan_step_stats st;
    for (int i = 0; i < 5; i++) CHECK_OK(gan_trainer_step(g, &st));
    const char *ckpt = test_tmp_path_kept("cuda-bf16.safetensors");
    CHECK_OK(gan_trainer_save_checkpoint(g, ckpt));

    gan_train_options machine, o;
    gan_train_options_default(&machine);
    machine.device = GAN_DEVICE_CUDA;
    gan_trainer *r = NULL;
    CHECK_OK(gan_trainer_resume_on(ckpt, data, &machine, &r));
    if (!r) abort();
    gan_trainer_options(r, &o);
    CHECK_MSG(o.precision == GAN_PRECISION_BF16, "resumed precision %d, not bf16", o.precision);
    CHECK(same_models(g, r, false));
    for (int i = 0; i < 3; i++) {
        CHECK_OK(gan_trainer_step(g, &st));
        CHECK_OK(gan_trainer_step(r, &st));
    }
    CHECK_MSG(same_models(g, r, true), "bf16: the resumed run drifted from the one never stopped");

    /* the CPU trains in fp32 only; tf32 contradicts the checkpoint */
    gan_trainer *bad = NULL;
    machine.device = GAN_DEVICE_CPU;
    gan_status s = gan_trainer_resume_on(ckpt, data, &machine, &bad);
    CHECK_MSG(s == GAN_ERR_UNSUPPORTED && !bad && strstr(gan_last_error(), "bf16"),
              "bf16 resume on the CPU: status %d, '%s'", (int)s, gan_last_error());
    fprintf(stderr, "bf16 checkpoint on the CPU: %s\n", gan_last_error());
    machine.device = GAN_DEVICE_CUDA;
    machine.allow_tf32 = 1;
    s = gan_trainer_resume_on(ckpt, data, &machine, &bad);
    CHECK_MSG(s == GAN_ERR_INVALID_ARGUMENT && !bad && strstr(gan_last_error(), "bf16"),
              "bf16 resume asking tf32: status %d, '%s'", (int)s, gan_last_error());

    /* samples: the generator loads on either device (fp32 on the CPU) */
    gan_generator *gc = NULL, *gg = NULL;
    CHECK_OK(gan_generator_load_on(ckpt, GAN_DEVICE_CPU, &gc));
    CHECK_OK(gan_generator_load_on(ckpt, GAN_DEVICE_CUDA, &gg));
    if (gc && gg) {
        int n = 64, latent = gan_generator_latent_dim(gc);
        float *z = malloc((size_t)n * latent * 4), *ic = malloc((size_t)n * 784 * 4);
        float *ig = malloc((size_t)n * 784 * 4);
        gan_generator_noise(gc, 5, 0, n, z);
        CHECK_OK(gan_generator_generate(gc, z, n, ic));
        CHECK_OK(gan_generator_generate(gg, z, n, ig));
        double e = test_max_rel_err(ig, ic, (size_t)n * 784, 1e-4, 0) * 1e-4;
        fprintf(stderr, "bf16 checkpoint samples: GPU (last math: bf16) vs CPU max |d| %.3g\n", e);
        CHECK_MSG(e <= 0.1, "bf16 checkpoint: GPU and CPU samples differ by %.3g", e);
        free(z), free(ic), free(ig);
    }
    gan_generator_free(gc);
    gan_generator_free(gg);
    gan_trainer_free(r);
    gan_trainer_free(g);

    /* an fp32 GPU checkpoint resumes on the CPU, bit for bit */
    g = make("dcgan", data, GAN_DEVICE_CUDA, GAN_PRECISION_FP32);
    for (int i = 0; i < 3; i++) CHECK_OK(gan_trainer_step(g, &st));
    CHECK_OK(gan_trainer_save_checkpoint(g, ckpt));
    machine.device = GAN_DEVICE_CPU;
    machine.allow_tf32 = 0;
    r = NULL;
    CHECK_OK(gan_trainer_resume_on(ckpt, data, &machine, &r));
    if (r) CHECK_MSG(same_models(g, r, false), "fp32 GPU checkpoint resumed on the CPU differs");
    gan_trainer_free(r);
    gan_trainer_free(g);
}

int main(void) {
    int rc = cuda_test_open();
    if (rc) return rc;
    fprintf(stderr, "cuDNN: %s\n", gan_backend_cuda_has_cudnn() ? "in this build" : "not built");
    static const conv_case cases[] = {
        {8, 1, 28, 28, 64, 4, 2, 1},  /* dcgan D conv 1 */
        {8, 64, 14, 14, 128, 4, 2, 1}, /* dcgan D conv 2; G's transposed convs are its adjoints */
        {3, 3, 13, 11, 5, 3, 1, 1},   /* odd sizes, stride 1 */
        {2, 6, 9, 9, 7, 5, 2, 2},     /* kernel 5, padding 2 */
        {4, 16, 8, 8, 8, 1, 1, 0},    /* 1x1 */
        {2, 4, 7, 10, 3, 3, 2, 0},    /* stride 2, no padding, rows dropped */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) test_conv_case(&cases[i]);
    if (gan_backend_cuda_has_cudnn()) /* the dcgan shapes at least, in every precision */
        CHECK_MSG(nhwc_ran >= 6, "the NHWC path ran %d of 18 cases", nhwc_ran);

    gan_dataset *data = test_synthetic_dataset("cudaprec", 200, false);
    test_one_step(data, GAN_PRECISION_FP32, 1e-4, 1e-4);
    test_one_step(data, GAN_PRECISION_TF32, 5e-3, 4e-2);
    test_one_step(data, GAN_PRECISION_BF16, 3e-2, 1.2e-1);
    if (gan_backend_cuda_has_cudnn()) { /* fp32 on the direct convolutions, chosen per shape */
        setenv("GAN_CUDA_CONV", "auto", 1);
        test_one_step(data, GAN_PRECISION_FP32, 1e-4, 1e-4);
        check_plans(12, NULL);
        default_path();
    }
    test_graph(data, GAN_PRECISION_TF32, 9);
    test_graph(data, GAN_PRECISION_BF16, 9);
    if (gan_backend_cuda_has_cudnn()) { /* the GEMM path captured, D's 64 rows in 4 groups */
        setenv("GAN_CUDA_CONV", "gemm", 1);
        setenv("GAN_CUDA_CONV_GROUP", "16", 1);
        test_graph(data, GAN_PRECISION_BF16, 9);
        /* cuDNN on NHWC copies for every convolution: a step against the CPU, the capture */
        unsetenv("GAN_CUDA_CONV_GROUP");
        setenv("GAN_CUDA_CONV", "cudnn-nhwc", 1);
        test_one_step(data, GAN_PRECISION_BF16, 3e-2, 1.2e-1);
        check_plans(6, "cudnn-nhwc"); /* its 6 new plans: 2 shapes x 3 operations in bf16 */
        test_graph(data, GAN_PRECISION_BF16, 9);
        test_one_step(data, GAN_PRECISION_TF32, 5e-3, 4e-2);
        default_path();
    }
    test_checkpoints(data);
    gan_dataset_free(data);
    gan_backend_cuda_shutdown();
    return test_report();
}
