/*
 * test_model_memory.c - the model's memory plan (model.h) shares what lives
 * only inside one call:
 *   - the layers' work (layer.h): each in the activation region, over
 *     memory free during that layer's forward and backward (model.c), so
 *     the arena grows by at most the largest layer's n_work, less than the
 *     sum of the layers' needs; convolutions need none where the backend
 *     convolves directly (a table with the conv2d_* entries: the AVX-512
 *     CPU build, the CUDA backend on cuDNN), and the arena shrinks by at
 *     most the columns;
 *   - the blocks' branch gradients: one pair of buffers for every block, no
 *     join buffer for a residual block;
 *   - activations run in place (layer.h: in_place) after a layer whose
 *     backward does not read its output, and only there: not as a block's
 *     first layer (the shortcut reads that input), not with keep_outputs;
 *     the results are bit-identical to the model that keeps every output;
 *   - the gradients between the top-level steps of backward lie over
 *     activations that backward has passed (model.c: place_gradients):
 *     on a DCGAN-like pair (batch norm with its relu / leaky_relu fused,
 *     in-place activations, a view) the results are bit-identical to the
 *     same models with keep_outputs (every gradient after every
 *     activation), over two steps; the model's output and input survive a
 *     backward; the arena is smaller;
 *   - sharing changes nothing: a model of every layer kind with work
 *     (conv2d with spectral norm, conv_transpose2d, cond_batchnorm2d,
 *     self_attention) and a residual block, on the im2col path, gives the
 *     same output, input gradient and parameter gradients bit for bit as
 *     the same model whose layers each get a private work area;
 *   - transient values (model.c: plan_transients): on a resnet-like pair
 *     (G: residual blocks of batch norm + relu, upsample2d, conv2d, with an
 *     upsample2d + 1x1 conv shortcut; D: conv2d, relu, conv2d, avgpool2d
 *     with an avgpool2d + 1x1 conv shortcut, a block with the identity as
 *     shortcut, relu, global_sum_pool, dense) exactly the values that no
 *     backward reads lie in the transient area (branch outputs, the inputs
 *     of avgpool2d and upsample2d, block outputs read only by a relu and a
 *     join; G's upsample2d outputs, which the model recomputes for the
 *     conv2d after them, keeping their inputs), the rest in the activation
 *     region; results bit-identical to keep_outputs
 *     (nothing transient) over two steps; input and output survive;
 *   - an inference_only model (the EMA generator) has no gradients or
 *     moments, a much smaller arena, and gives the same forward output,
 *     bit for bit, in training and inference mode (batch-norm state too);
 *   - two models sharing one transient area (transient_from: the
 *     trainer's G and D) give, through G forward, D forward and backward,
 *     G backward, the same bits as the two with areas of their own;
 *   - the presets' arenas (bench/bench_memory.c prints them) stay below
 *     what the plan with per-layer columns and per-block buffers took.
 */
#include "model.h"
#include "rng.h"
#include "spec/spec.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIB(x) ((size_t)(x) << 20)

/* never called: the model only asks whether the entries are there */
static void stub_forward(void *ctx, float *y, const float *x, const float *w, const float *b,
                         int N, const gan_conv_shape *cs, int Cout) {
    abort();
}
static void stub_data(void *ctx, float *dx, const float *dy, const float *w, int N,
                      const gan_conv_shape *cs, int Cout) {
    abort();
}
static void stub_weight(void *ctx, float *dw, const float *x, const float *dy, int N,
                        const gan_conv_shape *cs, int Cout, float beta) {
    abort();
}

static gan_backend im2col_table, direct_table;

static void make_tables(void) {
    im2col_table = *gan_backend_cpu();
    im2col_table.conv2d_forward = NULL;
    im2col_table.conv2d_backward_data = NULL;
    im2col_table.conv2d_backward_weight = NULL;
    direct_table = im2col_table;
    direct_table.conv2d_forward = stub_forward;
    direct_table.conv2d_backward_data = stub_data;
    direct_table.conv2d_backward_weight = stub_weight;
}

/* 3x8x8 -> 0 conv (spectral norm) -> 1 relu -> 2 cond bn -> 3 tanh ->
 * residual(4 relu, 5 conv, 6 relu, 7 conv | 8 conv 1x1) -> 9 self-attention
 * -> 10 conv_transpose -> 11 tanh: 16x16x16. On their input's storage: 1,
 * 6 and 11, fused into the convolution before them (views; layer.h:
 * GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT), and 3, in place (cond bn takes
 * no activation); not 4: the shortcut reads its input. */
static const bool in_place[] = {0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1};
static void add_layers(gan_model *m) {
    gan_layer l;
    gan_layer_conv2d(&l, 8, 3, 1, 1);
    gan_layer_set_spectral_norm(&l, true);
    CHECK_OK(gan_model_add(m, l));
    gan_layer_relu(&l);
    CHECK_OK(gan_model_add(m, l));
    gan_layer_cond_batchnorm2d(&l, 3, 0.9f, 1e-5f);
    CHECK_OK(gan_model_add(m, l));
    gan_layer_tanh(&l);
    CHECK_OK(gan_model_add(m, l));
    CHECK_OK(gan_model_begin_block(m, &gan_block_residual));
    gan_layer_relu(&l);
    CHECK_OK(gan_model_add(m, l));
    gan_layer_conv2d(&l, 8, 3, 1, 1);
    CHECK_OK(gan_model_add(m, l));
    gan_layer_relu(&l);
    CHECK_OK(gan_model_add(m, l));
    gan_layer_conv2d(&l, 8, 3, 1, 1);
    CHECK_OK(gan_model_add(m, l));
    CHECK_OK(gan_model_next_branch(m));
    gan_layer_conv2d(&l, 8, 1, 1, 0);
    CHECK_OK(gan_model_add(m, l));
    CHECK_OK(gan_model_end_block(m));
    gan_layer_self_attention(&l, 2);
    CHECK_OK(gan_model_add(m, l));
    gan_layer_conv_transpose2d(&l, 16, 4, 2, 1);
    CHECK_OK(gan_model_add(m, l));
    gan_layer_tanh(&l);
    CHECK_OK(gan_model_add(m, l));
}

enum { N = 4, IN = 3 * 8 * 8, OUT = 16 * 16 * 16 };

static gan_model *build(const gan_backend *be, bool keep_outputs) {
    gan_model *m = calloc(1, sizeof *m);
    if (!m) abort();
    add_layers(m);
    m->keep_outputs = keep_outputs;
    CHECK_OK(gan_model_build(m, "test", 3, 8, 8, N, be));
    return m;
}

static void test_work_shared(void) {
    gan_model *m = build(&im2col_table, false), *d = build(&direct_table, false);
    size_t sum = 0, most = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const gan_layer *l = &m->layers[i];
        sum += l->n_work;
        most = l->n_work > most ? l->n_work : most;
        const char *base = m->arena.base, *w = (const char *)l->work;
        CHECK_MSG(!l->n_work || (w >= base && w + l->n_work * sizeof(float) <= base + m->arena.size),
                  "layer %d: work outside the arena", i);
        bool conv = strncmp(l->ops->name, "conv", 4) == 0;
        CHECK_MSG(!conv || l->n_work > 0, "%s: no columns on the im2col path", l->ops->name);
        /* on a table with direct convolutions, only the other kinds keep work, and a
         * convolution the gradient of its fused activation where that cannot go over its
         * output (layer.h: grad_over_output): the last one, whose output is the model's */
        const gan_layer *dl = &d->layers[i];
        size_t dz = dl->act.on && !dl->grad_over_output ? (size_t)N * dl->out_size : 0;
        CHECK_MSG(conv ? dl->n_work == dz : dl->n_work == l->n_work,
                  "%s: work %zu with direct convolutions", l->ops->name, dl->n_work);
        CHECK_MSG(dl->act.on == (i == 0 || i == 5 || i == 10), "layer %d: activation fused %d",
                  i, dl->act.on);
        CHECK_MSG(!dl->act.on || dl->grad_over_output == (i != m->n_layers - 2),
                  "layer %d: gradient over the output %d", i, dl->grad_over_output);
    }
    CHECK(m->n_work == most && most > 0 && sum > 2 * most && d->n_work < m->n_work);
    /* the work costs at most one area of the largest need */
    size_t dw = m->n_work * sizeof(float);
    CHECK_MSG(m->arena.size >= d->arena.size && m->arena.size - d->arena.size <= dw,
              "arena %zu vs %zu bytes, the largest work %zu", m->arena.size, d->arena.size, dw);
    fprintf(stderr, "work: %zu floats at most, %zu summed over layers; arena %zu bytes (im2col), "
            "%zu (direct)\n", m->n_work, sum, m->arena.size, d->arena.size);
    /* the one block's branches share one pair of gradient buffers, no join buffer */
    const gan_block *b = &m->blocks[0];
    CHECK(b->pp[0][0] == b->pp[1][0] && b->pp[0][1] == b->pp[1][1] && b->pp[0][0] != b->pp[0][1]);
    CHECK(b->dys_buf[0] == NULL && b->dys_buf[1] == NULL);
    gan_model_free(m);
    gan_model_free(d);
    free(m);
    free(d);
}

/* Forward (training) and backward of m on fixed x, dy, labels; the output,
 * dx and the gradients into out (OUT N + IN N + n_params floats). */
static void run(gan_model *m, float *out) {
    CHECK_OK(gan_model_init(m, 7, 0));
    float x[N * IN], dy[N * OUT];
    gan_rng_uniform(11, 1, x, N * IN);
    gan_rng_uniform(11, 2, dy, N * OUT);
    static const int32_t labels[N] = {0, 2, 1, 2};
    gan_model_set_labels(m, labels);
    gan_model_zero_grads(m);
    for (int step = 0; step < 2; step++) { /* twice: the second reads what the first left */
        const float *y = gan_model_forward(m, x, N, true);
        memcpy(out, y, sizeof(float) * N * OUT);
        const float *dx = gan_model_backward(m, dy, N, true, true);
        memcpy(out + N * OUT, dx, sizeof(float) * N * IN);
    }
    memcpy(out + N * (OUT + IN), m->grads, m->n_params * sizeof(float));
}

static void test_sharing_changes_nothing(void) {
    gan_model *shared = build(&im2col_table, false), *own = build(&im2col_table, false);
    float *priv[GAN_MAX_LAYERS] = {NULL};
    for (int i = 0; i < own->n_layers; i++) { /* each layer its own area, NaN-filled */
        gan_layer *l = &own->layers[i];
        if (!l->n_work) continue;
        priv[i] = malloc(l->n_work * sizeof(float));
        if (!priv[i]) abort();
        for (size_t k = 0; k < l->n_work; k++) priv[i][k] = NAN;
        l->work = priv[i];
    }
    size_t n = (size_t)N * (OUT + IN) + shared->n_params;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    if (!a || !b) abort();
    run(shared, a);
    run(own, b);
    size_t bad = 0, finite = 0;
    for (size_t k = 0; k < n; k++) {
        bad += memcmp(&a[k], &b[k], sizeof a[k]) != 0;
        finite += isfinite(a[k]) != 0;
    }
    CHECK_MSG(bad == 0, "%zu of %zu values differ with a shared work area", bad, n);
    CHECK_MSG(finite == n, "%zu of %zu values are not finite", n - finite, n);
    for (int i = 0; i < GAN_MAX_LAYERS; i++) free(priv[i]);
    free(a);
    free(b);
    gan_model_free(shared);
    gan_model_free(own);
    free(shared);
    free(own);
}

static void test_in_place(void) {
    gan_model *m = build(&im2col_table, false), *k = build(&im2col_table, true);
    CHECK(m->n_layers == (int)(sizeof in_place / sizeof in_place[0]));
    size_t saved = 0;
    for (int i = 0; i < m->n_layers && i < k->n_layers; i++) {
        CHECK_MSG((m->acts[i + 1] == m->acts[i]) == in_place[i], "layer %d (%s): in place %d",
                  i, m->layers[i].ops->name, m->acts[i + 1] == m->acts[i]);
        CHECK_MSG(k->acts[i + 1] != k->acts[i], "keep_outputs: layer %d in place", i);
        if (in_place[i]) saved += (N * m->layers[i].out_size * sizeof(float) + 63) / 64 * 64;
    }
    /* keep_outputs also puts every gradient after the activations: it takes more again */
    CHECK_MSG(k->arena.size - m->arena.size >= saved, "in place saves %zu bytes, not %zu",
              k->arena.size - m->arena.size, saved);
    size_t n = (size_t)N * (OUT + IN) + m->n_params;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    if (!a || !b) abort();
    run(m, a);
    run(k, b);
    size_t bad = 0;
    for (size_t j = 0; j < n; j++) bad += memcmp(&a[j], &b[j], sizeof a[j]) != 0;
    CHECK_MSG(bad == 0, "%zu of %zu values differ in place", bad, n);
    free(a);
    free(b);
    gan_model_free(m);
    gan_model_free(k);
    free(m);
    free(k);
}

/* DCGAN-like: G = dense, reshape, bn2d + relu, conv_transpose, bn2d + relu,
 * conv_transpose, tanh; D = conv, leaky_relu, conv, bn2d + leaky_relu,
 * flatten, dense. */
static gan_model *build_pair(bool generator, bool keep_outputs, const gan_backend *be) {
    gan_model *m = calloc(1, sizeof *m);
    if (!m) abort();
    gan_layer l;
    if (generator) {
        gan_layer_dense(&l, 8 * 3 * 3);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_reshape(&l, 8, 3, 3);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_batchnorm2d(&l, 0.9f, 1e-5f);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_relu(&l);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_conv_transpose2d(&l, 4, 4, 2, 1);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_batchnorm2d(&l, 0.9f, 1e-5f);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_relu(&l);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_conv_transpose2d(&l, 2, 4, 2, 1);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_tanh(&l);
        CHECK_OK(gan_model_add(m, l));
    } else {
        gan_layer_conv2d(&l, 4, 4, 2, 1);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_leaky_relu(&l, 0.2f);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_conv2d(&l, 8, 4, 2, 1);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_batchnorm2d(&l, 0.9f, 1e-5f);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_leaky_relu(&l, 0.2f);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_reshape(&l, 0, 0, 0);
        CHECK_OK(gan_model_add(m, l));
        gan_layer_dense(&l, 1);
        CHECK_OK(gan_model_add(m, l));
    }
    m->keep_outputs = keep_outputs;
    if (generator) CHECK_OK(gan_model_build(m, "g", 6, 1, 1, N, be));
    else CHECK_OK(gan_model_build(m, "d", 2, 12, 12, N, be));
    return m;
}

/* Two training forwards and backwards of m and of k (the same model with
 * keep_outputs), both initialised with init_seed (and g), on N rows of x
 * and dy drawn from data_seed: every output, dx, parameter gradient and
 * state value the same bit for bit and finite, and backward leaves the
 * output and the input as they were. */
static void same_two_steps(const char *net, gan_model *m, gan_model *k, uint64_t data_seed,
                           uint64_t init_seed, bool g) {
    gan_model *ms[2] = {m, k};
    size_t nx = (size_t)N * m->in_size, ny = (size_t)N * m->out_size;
    size_t n = 2 * (ny + nx) + m->n_params + m->n_state;
    float *res[2], *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
    for (int j = 0; j < 2; j++) res[j] = malloc(n * sizeof(float));
    if (!x || !dy || !res[0] || !res[1]) abort();
    gan_rng_uniform(data_seed, 1, x, nx);
    gan_rng_uniform(data_seed, 2, dy, ny);
    for (int j = 0; j < 2; j++) {
        CHECK_OK(gan_model_init(ms[j], init_seed, g));
        gan_model_zero_grads(ms[j]);
        float *r = res[j];
        for (int step = 0; step < 2; step++) {
            const float *y = gan_model_forward(ms[j], x, N, true);
            memcpy(r, y, ny * sizeof *r);
            const float *dx = gan_model_backward(ms[j], dy, N, true, true);
            CHECK_MSG(memcmp(gan_model_output(ms[j]), r, ny * sizeof *r) == 0 &&
                          memcmp(ms[j]->acts[0], x, nx * sizeof *x) == 0,
                      "%s: backward overwrote the output or the input", net);
            memcpy(r + ny, dx, nx * sizeof *r);
            r += ny + nx;
        }
        memcpy(r, ms[j]->grads, m->n_params * sizeof *r);
        memcpy(r + m->n_params, ms[j]->state, m->n_state * sizeof *r);
    }
    size_t bad = 0, finite = 0;
    for (size_t j = 0; j < n; j++) {
        bad += memcmp(&res[0][j], &res[1][j], sizeof(float)) != 0;
        finite += isfinite(res[0][j]) != 0;
    }
    CHECK_MSG(bad == 0, "%s: %zu of %zu values differ from keep_outputs", net, bad, n);
    CHECK_MSG(finite == n, "%s: %zu of %zu values are not finite", net, n - finite, n);
    free(x), free(dy), free(res[0]), free(res[1]);
}

/* on the CPU backend as built and on the im2col path (whose columns, the
 * layers' work, lie in the region too) */
static void test_gradients_reuse(void) {
    for (int t = 0; t < 4; t++) {
        int g = t % 2;
        const gan_backend *be = t < 2 ? gan_backend_cpu() : &im2col_table;
        const char *net = t == 0 ? "D" : t == 1 ? "G" : t == 2 ? "D im2col" : "G im2col";
        gan_model *m = build_pair(g, false, be), *k = build_pair(g, true, be);
        /* fused: the activations after batch norm are views of its output */
        for (int i = 1; i < m->n_layers; i++)
            if (m->layers[i - 1].ops->flags & GAN_LAYER_TAKES_ACTIVATION)
                CHECK_MSG(m->layers[i].fused && !k->layers[i].fused, "%s layer %d: fused %d, %d",
                          net, i, m->layers[i].fused, k->layers[i].fused);
        /* some gradient lies below the end of the activations (over a passed one) */
        const float *acts_end = m->acts[0];
        for (int i = 0; i <= m->n_layers; i++)
            if (m->acts[i] > acts_end) acts_end = m->acts[i];
        bool over = false;
        for (int i = 0; i < m->n_layers; i++)
            over |= !m->layers[i].is_view && !m->layers[i].fused && m->grad_of[i] < acts_end &&
                    m->grad_of[i] > m->acts[0];
        CHECK_MSG(over, "%s: no gradient over an activation", net);
        CHECK_MSG(m->arena.size < k->arena.size, "%s: arena %zu, keep_outputs %zu", net,
                  m->arena.size, k->arena.size);
        same_two_steps(net, m, k, 13, 9, g);
        gan_model_free(m);
        gan_model_free(k);
        free(m);
        free(k);
    }
}

/* Resnet-like (see the top): G from 6 values to 2x8x8, D from 2x8x8 to 1. */
static gan_model *build_resnet(bool generator, bool keep_outputs, bool inference_only,
                               const gan_backend *be, const gan_model *lender) {
    gan_model *m = calloc(1, sizeof *m);
    if (!m) abort();
    gan_layer l;
#define ADD(ctor)                                                                                  \
    do {                                                                                           \
        ctor;                                                                                      \
        CHECK_OK(gan_model_add(m, l));                                                             \
    } while (0)
    if (generator) {
        ADD(gan_layer_dense(&l, 4 * 4 * 4));                            /* 0 */
        ADD(gan_layer_reshape(&l, 4, 4, 4));                            /* 1 */
        CHECK_OK(gan_model_begin_block(m, &gan_block_residual));
        ADD(gan_layer_batchnorm2d(&l, 0.9f, 1e-5f));                    /* 2 */
        ADD(gan_layer_relu(&l));                                        /* 3 fused */
        ADD(gan_layer_upsample2d(&l, 2));                               /* 4 */
        ADD(gan_layer_conv2d(&l, 3, 3, 1, 1));                          /* 5 */
        ADD(gan_layer_batchnorm2d(&l, 0.9f, 1e-5f));                    /* 6 */
        ADD(gan_layer_relu(&l));                                        /* 7 fused */
        ADD(gan_layer_conv2d(&l, 3, 3, 1, 1));                          /* 8 branch out */
        CHECK_OK(gan_model_next_branch(m));
        ADD(gan_layer_upsample2d(&l, 2));                               /* 9 */
        ADD(gan_layer_conv2d(&l, 3, 1, 1, 0));                          /* 10 branch out */
        CHECK_OK(gan_model_end_block(m));
        ADD(gan_layer_batchnorm2d(&l, 0.9f, 1e-5f));                    /* 11 */
        ADD(gan_layer_relu(&l));                                        /* 12 fused */
        ADD(gan_layer_conv2d(&l, 2, 3, 1, 1));                          /* 13 */
        ADD(gan_layer_tanh(&l));                                        /* 14 fused */
    } else {
        CHECK_OK(gan_model_begin_block(m, &gan_block_residual));
        ADD(gan_layer_conv2d(&l, 4, 3, 1, 1));                          /* 0 */
        ADD(gan_layer_relu(&l));                                        /* 1 fused */
        ADD(gan_layer_conv2d(&l, 4, 3, 1, 1));                          /* 2 into avgpool */
        ADD(gan_layer_avgpool2d(&l, 2));                                /* 3 branch out */
        CHECK_OK(gan_model_next_branch(m));
        ADD(gan_layer_avgpool2d(&l, 2));                                /* 4 */
        ADD(gan_layer_conv2d(&l, 4, 1, 1, 0));                          /* 5 branch out */
        CHECK_OK(gan_model_end_block(m));
        CHECK_OK(gan_model_begin_block(m, &gan_block_residual));       /* identity shortcut */
        ADD(gan_layer_relu(&l));                                        /* 6 */
        ADD(gan_layer_conv2d(&l, 4, 3, 1, 1));                          /* 7 */
        ADD(gan_layer_relu(&l));                                        /* 8 fused */
        ADD(gan_layer_conv2d(&l, 4, 3, 1, 1));                          /* 9 branch out */
        CHECK_OK(gan_model_end_block(m));
        ADD(gan_layer_relu(&l));                                        /* 10 */
        ADD(gan_layer_global_sum_pool(&l));                             /* 11 */
        ADD(gan_layer_dense(&l, 1));                                    /* 12 */
    }
#undef ADD
    m->keep_outputs = keep_outputs;
    m->inference_only = inference_only;
    m->transient_from = lender ? lender->transient : NULL;
    m->transient_from_n = lender ? lender->n_transient : 0;
    if (generator) CHECK_OK(gan_model_build(m, "g", 6, 1, 1, N, be));
    else CHECK_OK(gan_model_build(m, "d", 2, 8, 8, N, be));
    return m;
}

static bool in_area(const float *p, const float *base, size_t n) {
    return p >= base && p < base + n;
}

static void test_transients(void) {
    /* which layers' own outputs no backward reads: G's upsample2d outputs (recomputed from
     * their inputs, which stay, for the conv2d after them: layer.h, GAN_LAYER_RECOMPUTE);
     * the branch outputs; the conv2d output read by avgpool2d. Not the relu's after D's
     * second block: relu's backward reads its output. D's block outputs are transient too:
     * each is read by a relu (backward from its output) and, in forward, by the join of
     * the identity branch, or by the relu */
    static const int g_trans[] = {4, 8, 9, 10}, d_trans[] = {2, 3, 5, 9};
    for (int g = 0; g < 2; g++) {
        const char *net = g ? "G" : "D";
        gan_model *m = build_resnet(g, false, false, gan_backend_cpu(), NULL);
        gan_model *k = build_resnet(g, true, false, gan_backend_cpu(), NULL);
        const int *want = g ? g_trans : d_trans;
        int n_want = 4;
        for (int i = 0; i < m->n_layers; i++) /* the conv2d after each upsample2d */
            CHECK_MSG(m->recompute[i] == (g && (i == 5 || i == 10) ? i : 0) && !k->recompute[i],
                      "%s layer %d: recompute %d, keep_outputs %d", net, i, m->recompute[i],
                      k->recompute[i]);
        for (int i = 0; i < m->n_layers; i++) {
            if (m->acts[i + 1] == m->x_of[i]) continue; /* a view, fused, or in place */
            bool t = false;
            for (int j = 0; j < n_want; j++) t |= want[j] == i;
            CHECK_MSG(in_area(m->acts[i + 1], m->transient, m->n_transient) == t,
                      "%s layer %d (%s): transient %d", net, i, m->layers[i].ops->name, !t);
            CHECK_MSG(!in_area(k->acts[i + 1], k->transient, k->n_transient),
                      "%s keep_outputs: layer %d transient", net, i);
        }
        for (int b = 0; b < m->n_blocks; b++) {
            bool t = !g;
            CHECK_MSG(in_area(m->blocks[b].out_act, m->transient, m->n_transient) == t,
                      "%s block %d: transient %d", net, b, !t);
        }
        CHECK_MSG(m->n_transient == (g ? 3 : 2) * (size_t)N * 4 * 8 * 8,
                  "%s: the transient area (%zu floats) is the branch gradients' (and G's "
                  "recomputed map's)", net, m->n_transient);
        CHECK_MSG(m->arena.size < k->arena.size, "%s: arena %zu, keep_outputs %zu", net,
                  m->arena.size, k->arena.size);
        same_two_steps(net, m, k, 17, 5, g);
        gan_model_free(m);
        gan_model_free(k);
        free(m);
        free(k);
    }
}

/* on the CPU backend as built and on the im2col path (work in the transient area) */
static void test_inference_only(void) {
    for (int t = 0; t < 2; t++) {
        const gan_backend *be = t ? &im2col_table : gan_backend_cpu();
        gan_model *e = build_resnet(true, false, true, be, NULL);
        gan_model *m = build_resnet(true, false, false, be, NULL);
        CHECK(e->grads == NULL && e->adam_m == NULL && e->adam_v == NULL);
        for (int i = 0; i < e->n_layers; i++) CHECK(e->grad_of[i] == NULL && !e->layers[i].grads);
        CHECK_MSG(e->arena.size + 3 * m->n_params * sizeof(float) < m->arena.size,
                  "inference_only arena %zu, training %zu", e->arena.size, m->arena.size);
        size_t nx = (size_t)N * m->in_size, ny = (size_t)N * m->out_size;
        float x[N * 6];
        gan_rng_uniform(19, 1, x, nx);
        CHECK_OK(gan_model_init(e, 3, 0));
        CHECK_OK(gan_model_init(m, 3, 0));
        for (int train = 1; train >= 0; train--) { /* training mode updates the bn state */
            const float *ye = gan_model_forward(e, x, N, train);
            const float *ym = gan_model_forward(m, x, N, train);
            CHECK_MSG(memcmp(ye, ym, ny * sizeof *ye) == 0 &&
                          memcmp(e->state, m->state, m->n_state * sizeof(float)) == 0,
                      "inference_only (%s, train %d): another output", be->name, train);
        }
        gan_model_free(e);
        gan_model_free(m);
        free(e);
        free(m);
    }
}

/* The resnet-like G, then D on G's output, D backward to its input and G backward from
 * there, twice, D taking G's transient area when `share`: D's outputs, G's input
 * gradients and both models' parameter gradients into out; returns their count. */
static size_t run_gan(bool share, float *out) {
    gan_model *g = build_resnet(true, false, false, gan_backend_cpu(), NULL);
    gan_model *d = build_resnet(false, false, false, gan_backend_cpu(), share ? g : NULL);
    CHECK_MSG(!share || d->transient == g->transient, "D does not share G's transient area");
    size_t n = 0;
    float x[N * 6], dl[N];
    gan_rng_uniform(23, 1, x, (size_t)N * 6);
    CHECK_OK(gan_model_init(g, 2, 0));
    CHECK_OK(gan_model_init(d, 2, 1));
    gan_model_zero_grads(g);
    gan_model_zero_grads(d);
    for (int step = 0; step < 2; step++) {
        const float *fake = gan_model_forward(g, x, N, true);
        const float *logit = gan_model_forward(d, fake, N, true);
        for (int i = 0; i < N; i++) dl[i] = out[n++] = logit[i];
        const float *dfake = gan_model_backward(d, dl, N, true, true);
        const float *dz = gan_model_backward(g, dfake, N, true, true);
        memcpy(out + n, dz, sizeof(float) * N * 6);
        n += (size_t)N * 6;
    }
    memcpy(out + n, g->grads, g->n_params * sizeof(float));
    n += g->n_params;
    memcpy(out + n, d->grads, d->n_params * sizeof(float));
    n += d->n_params;
    gan_model_free(d);
    gan_model_free(g);
    free(d);
    free(g);
    return n;
}

static void test_shared_transients(void) {
    enum { MOST = 1 << 16 };
    float *a = malloc(MOST * sizeof *a), *b = malloc(MOST * sizeof *b);
    if (!a || !b) abort();
    size_t n = run_gan(true, a);
    CHECK(n < MOST && run_gan(false, b) == n);
    size_t bad = 0;
    for (size_t j = 0; j < n; j++) bad += memcmp(&a[j], &b[j], sizeof(float)) != 0;
    CHECK_MSG(bad == 0, "%zu of %zu values differ with a shared transient area", bad, n);
    free(a);
    free(b);
}

/* The arena of a preset's network as `gan train` builds it for batch B. */
static size_t preset_arena(const char *name, gan_spec_net_id net, int B, const gan_backend *be) {
    gan_spec *spec = NULL;
    CHECK_OK(gan_spec_load_preset(name, &spec));
    if (!spec) return 0;
    gan_model *m = calloc(1, sizeof *m);
    if (!m) abort();
    int rows = net == GAN_SPEC_GENERATOR ? (B > 64 ? B : 64) : 2 * B;
    CHECK_OK(gan_spec_build(spec, net, m, rows, be));
    size_t size = m->arena.size; /* mapped, never touched */
    gan_model_free(m);
    free(m);
    gan_spec_free(spec);
    return size;
}

static void test_presets(void) {
    /* MiB before this plan (per-layer columns, per-block branch buffers, no activation in
     * place) and now, measured 2026-12-06 with bench_memory: dcgan batch 1024, im2col G
     * 415.8 -> 321.4 -> 275.5 (gradients over passed activations), D 645.1 -> 480.2 ->
     * 382.2 -> 302.3 (the work there too); direct G 415.8 -> 260.1 -> 214.2, D 645.1 -> 400.3 -> 302.3; resnet batch 64,
     * direct G 1284.4 -> 755.2 -> 706.4, D 859.3 -> 441.1 -> 349.2; 2026-12-07, transient
     * values (model.c: plan_transients; branch outputs, inputs of avgpool2d / upsample2d,
     * which no backward reads) in the branch gradients' area: resnet G 706.4 -> 568.5,
     * D 349.2 -> 229.8; upsample2d outputs recomputed in backward (GAN_LAYER_RECOMPUTE):
     * G 568.5 -> 510.4 */
    static const struct {
        const char *preset;
        int batch;
        const gan_backend *be;
        double before[2], now[2];
    } cases[] = {
        {"dcgan", 1024, &im2col_table, {415.8, 645.1}, {275.5, 302.3}},
        {"dcgan", 1024, &direct_table, {415.8, 645.1}, {214.2, 302.3}},
        {"resnet", 64, &direct_table, {1284.4, 859.3}, {510.4, 229.8}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int net = 0; net < 2; net++) {
            size_t got = preset_arena(cases[c].preset, (gan_spec_net_id)net, cases[c].batch,
                                      cases[c].be);
            double mib = (double)got / MIB(1);
            CHECK_MSG(mib < cases[c].now[net] + 0.1 && mib < cases[c].before[net] - 10,
                      "%s batch %d %s (%s): arena %.1f MiB, planned %.1f (was %.1f)",
                      cases[c].preset, cases[c].batch, net ? "D" : "G",
                      cases[c].be == &direct_table ? "direct" : "im2col", mib,
                      cases[c].now[net], cases[c].before[net]);
        }
}

int main(void) {
    make_tables();
    test_work_shared();
    test_sharing_changes_nothing();
    test_in_place();
    test_gradients_reuse();
    test_transients();
    test_inference_only();
    test_shared_transients();
    test_presets();
    return test_report();
}
