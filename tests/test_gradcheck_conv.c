/*
 * test_gradcheck_conv.c - finite-difference checks of the image layers and
 * layer options: conv2d and conv_transpose2d over strides 1-3, paddings
 * 0-2, kernels 3-5 and odd input sizes (5x7), in one and in several
 * image groups; batchnorm2d; relu; dropout (fixed rng counter); spectral
 * normalization on dense and conv2d; label conditioning (one-hot and
 * embedding, flat and image inputs, out-of-range labels); the resampling
 * layers (upsample2d, avgpool2d, global_sum_pool), the minibatch standard
 * deviation, conditional batch norm,
 * spectral norm on conv_transpose2d, the projection head (with and without
 * spectral norm), self-attention (with and without spectral norm); a small DCGAN-like stack and a small
 * SN-GAN-like one. Also: shape errors, dropout semantics, and bit-identical results
 * at 1 and 2 threads; convolutions with a fused activation (both paths)
 * against the unfused model, bit for bit.
 *
 * For a model m, L = sum(r * m(x)) with fixed random r, so dL/dy = r; the
 * analytic dL/dx and dL/dparams are compared with central differences of L
 * (accumulated in double). Spectral-norm cases are checked in inference
 * mode (u, v held fixed, which is exactly what the gradient assumes) after
 * a few training forwards have run the power iteration.
 */
#include "backend.h"
#include "model.h"
#include "rng.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


static int32_t case_labels[8] = {3, 0, -1, 4, 9, 1, 2, 7};

/* Build m (its layers and blocks added) on a (c, h, w) input and check it. */
static void check_built(const char *what, gan_model *mp, int c, int h, int w, int N,
                        float x_avoid, bool train) {
    gan_model m = *mp;
    gan_status s = gan_model_build(&m, "test", c, h, w, N, gan_backend_cpu());
    CHECK_MSG(s == GAN_OK, "%s: %s", what, gan_last_error());
    if (s == GAN_OK) {
        gan_model_init(&m, 7, 0);
        gan_model_set_labels(&m, case_labels);
        test_gradcheck_model(what, &m, N, x_avoid, train);
    }
    gan_model_free(&m);
}

static void check_model(const char *what, gan_layer *layers, int n_layers, int c, int h, int w,
                        int N, float x_avoid, bool train) {
    gan_model m = {0};
    for (int i = 0; i < n_layers; i++) CHECK_OK(gan_model_add(&m, layers[i]));
    check_built(what, &m, c, h, w, N, x_avoid, train);
}

static void check_layer(const char *what, gan_layer l, int c, int h, int w, int N,
                        float x_avoid, bool train) {
    check_model(what, &l, 1, c, h, w, N, x_avoid, train);
}

static void check_convs(void) {
    static const int cfg[][3] = {/* kernel, stride, padding */
                                 {3, 1, 0}, {3, 2, 1}, {4, 2, 1}, {5, 3, 2},
                                 {4, 1, 2}, {3, 3, 1}, {5, 2, 0}, {4, 3, 0}};
    char what[96];
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        int k = cfg[i][0], s = cfg[i][1], p = cfg[i][2];
        for (int group = 0; group <= 1; group++) { /* automatic (one group), 1 image each */
            gan_layer l;
            gan_layer_conv2d(&l, 3, k, s, p);
            l.group = group;
            snprintf(what, sizeof what, "conv2d 2x5x7 -> 3, k%d s%d p%d group %d", k, s, p,
                     group);
            check_layer(what, l, 2, 5, 7, 3, 0.0f, true);
            gan_layer_conv_transpose2d(&l, 3, k, s, p);
            l.group = group;
            snprintf(what, sizeof what, "conv_transpose2d 2x5x7 -> 3, k%d s%d p%d group %d", k,
                     s, p, group);
            check_layer(what, l, 2, 5, 7, 3, 0.0f, true);
        }
    }
    gan_layer l;
    gan_layer_conv2d(&l, 2, 3, 1, 1);
    check_layer("conv2d 1x1x1 -> 2, k3 s1 p1 (all padding)", l, 1, 1, 1, 2, 0.0f, true);
    gan_layer_conv_transpose2d(&l, 2, 4, 2, 1);
    check_layer("conv_transpose2d 3x1x1 -> 2, k4 s2 p1", l, 3, 1, 1, 2, 0.0f, true);
}

static void check_misc_layers(void) {
    gan_layer l;
    gan_layer_batchnorm2d(&l, 0.99f, 1e-3f);
    check_layer("batchnorm2d 3x5x7 N=2", l, 3, 5, 7, 2, 0.0f, true);
    gan_layer_batchnorm2d(&l, 0.9f, 1e-5f);
    check_layer("batchnorm2d 4x1x1 N=5", l, 4, 1, 1, 5, 0.0f, true);
    gan_layer_relu(&l);
    check_layer("relu", l, 2, 3, 5, 3, 0.05f, true);
    gan_layer_dropout(&l, 0.3f);
    check_layer("dropout 0.3 (training)", l, 2, 3, 5, 3, 0.0f, true);
    gan_layer_dropout(&l, 0.3f);
    check_layer("dropout 0.3 (inference)", l, 2, 3, 5, 3, 0.0f, false);

    gan_layer_dense(&l, 5);
    gan_layer_set_spectral_norm(&l, true);
    check_layer("dense 7->5 spectral norm", l, 7, 1, 1, 3, 0.0f, false);
    gan_layer_dense(&l, 4);
    gan_layer_set_spectral_norm(&l, true);
    check_layer("dense 2x3x2->4 spectral norm", l, 2, 3, 2, 2, 0.0f, false);
    static const int sn_cfg[][3] = {{3, 2, 1}, {4, 1, 2}, {5, 3, 0}};
    for (int i = 0; i < 3; i++) {
        char what[96];
        gan_layer_conv2d(&l, 3, sn_cfg[i][0], sn_cfg[i][1], sn_cfg[i][2]);
        gan_layer_set_spectral_norm(&l, true);
        snprintf(what, sizeof what, "conv2d 2x5x7 -> 3 k%d s%d p%d spectral norm", sn_cfg[i][0],
                 sn_cfg[i][1], sn_cfg[i][2]);
        check_layer(what, l, 2, 5, 7, 3, 0.0f, false);
    }

    gan_layer_label_onehot(&l, 10);
    check_layer("label one-hot, flat 6 features", l, 6, 1, 1, 4, 0.0f, true);
    gan_layer_label_onehot(&l, 10);
    check_layer("label one-hot, 2x3x4 image", l, 2, 3, 4, 5, 0.0f, true);
    gan_layer_label_embedding(&l, 5, 3);
    check_layer("label embedding 5x3, flat 6 features (labels out of range too)", l, 6, 1, 1,
                8, 0.0f, true);
    gan_layer_label_embedding(&l, 8, 2);
    check_layer("label embedding 8x2, 2x3x4 image", l, 2, 3, 4, 5, 0.0f, true);
}

/* The layers of the SN-GAN ResNet models, alone and in a plain stack. */
static void check_resnet_layers(void) {
    char what[96];
    gan_layer l;
    gan_layer_upsample2d(&l, 2);
    check_layer("upsample2d x2, 2x3x5", l, 2, 3, 5, 3, 0.0f, true);
    gan_layer_upsample2d(&l, 3);
    check_layer("upsample2d x3, 1x2x2", l, 1, 2, 2, 2, 0.0f, true);
    gan_layer_avgpool2d(&l, 2);
    check_layer("avgpool2d 2, 2x5x7 (a row and a column dropped)", l, 2, 5, 7, 3, 0.0f, true);
    gan_layer_avgpool2d(&l, 3);
    check_layer("avgpool2d 3, 2x6x6", l, 2, 6, 6, 2, 0.0f, true);
    gan_layer_global_sum_pool(&l);
    check_layer("global_sum_pool 3x4x5", l, 3, 4, 5, 3, 0.0f, true);
    gan_layer_minibatch_stddev(&l, 2);
    check_layer("minibatch_stddev group 2, 3x2x3, N=4", l, 3, 2, 3, 4, 0.0f, true);
    gan_layer_minibatch_stddev(&l, 4);
    check_layer("minibatch_stddev group 4, 30x2x2 (two feature chunks), N=6 (groups of 3)", l,
                30, 2, 2, 6, 0.0f, true);
    gan_layer_minibatch_stddev(&l, 8);
    check_layer("minibatch_stddev group 8, 2x3x1, N=3 (one group)", l, 2, 3, 1, 3, 0.0f, false);
    gan_layer_cond_batchnorm2d(&l, 10, 0.9f, 1e-5f);
    check_layer("cond_batchnorm2d 10 classes, 3x4x5 N=8 (labels out of range too)", l, 3, 4, 5,
                8, 0.0f, true);
    gan_layer_cond_batchnorm2d(&l, 10, 0.99f, 1e-3f);
    check_layer("cond_batchnorm2d 10 classes, flat 6 features N=8", l, 6, 1, 1, 8, 0.0f, true);
    static const int sn_cfg[][3] = {{3, 2, 1}, {4, 1, 2}, {5, 3, 0}, {4, 2, 1}};
    for (int i = 0; i < 4; i++) {
        gan_layer_conv_transpose2d(&l, 3, sn_cfg[i][0], sn_cfg[i][1], sn_cfg[i][2]);
        gan_layer_set_spectral_norm(&l, true);
        l.group = i == 3; /* one image per product too */
        snprintf(what, sizeof what, "conv_transpose2d 2x5x7 -> 3 k%d s%d p%d spectral norm",
                 sn_cfg[i][0], sn_cfg[i][1], sn_cfg[i][2]);
        check_layer(what, l, 2, 5, 7, 3, 0.0f, false);
    }

    gan_layer_projection(&l, 10);
    check_layer("projection 10 classes, flat 6 features N=8 (a label out of range)", l, 6, 1, 1,
                8, 0.0f, true);
    gan_layer_projection(&l, 4);
    check_layer("projection 4 classes, 3x2x2 N=8 (labels out of range)", l, 3, 2, 2, 8, 0.0f,
                true);
    gan_layer_projection(&l, 10);
    gan_layer_set_spectral_norm(&l, true);
    check_layer("projection 10 classes spectral norm, flat 5 features N=8", l, 5, 1, 1, 8, 0.0f,
                false);
    gan_layer_projection(&l, 3);
    gan_layer_set_spectral_norm(&l, true);
    check_layer("projection 3 classes spectral norm, 2x2x3 N=6", l, 2, 2, 3, 6, 0.0f, false);

    gan_layer_self_attention(&l, 8);
    check_layer("self_attention 8x3x3 (C' 1) N=3", l, 8, 3, 3, 3, 0.0f, true);
    gan_layer_self_attention(&l, 2);
    check_layer("self_attention 4x2x3 (C' 2) N=2", l, 4, 2, 3, 2, 0.0f, true);
    gan_layer_self_attention(&l, 8);
    check_layer("self_attention 3x4x1 (C' 1: C < reduction) N=2", l, 3, 4, 1, 2, 0.0f, true);
    gan_layer_self_attention(&l, 8);
    gan_layer_set_spectral_norm(&l, true);
    check_layer("self_attention 8x3x3 (C' 1) spectral norm N=3", l, 8, 3, 3, 3, 0.0f, false);
    gan_layer_self_attention(&l, 2);
    gan_layer_set_spectral_norm(&l, true);
    check_layer("self_attention 4x2x3 (C' 2) spectral norm N=2", l, 4, 2, 3, 2, 0.0f, false);

    gan_layer g[9];
    gan_layer_dense(&g[0], 4 * 2 * 2);
    gan_layer_reshape(&g[1], 4, 2, 2);
    gan_layer_cond_batchnorm2d(&g[2], 10, 0.9f, 1e-5f);
    gan_layer_tanh(&g[3]);
    gan_layer_upsample2d(&g[4], 2);
    gan_layer_conv2d(&g[5], 3, 3, 1, 1);
    gan_layer_avgpool2d(&g[6], 2);
    gan_layer_global_sum_pool(&g[7]);
    gan_layer_dense(&g[8], 1);
    gan_layer_set_spectral_norm(&g[8], true);
    check_model("SN-GAN-like stack", g, 9, 5, 1, 1, 4, 0.0f, true);
}

static void add(gan_model *m, gan_layer l) {
    CHECK_OK(gan_model_add(m, l));
}

/* Residual blocks (model.h): an up block with a 1x1-conv shortcut between
 * plain layers, two blocks in a row, an identity shortcut, a block first
 * and last in the model, a block whose main path is empty. */
static void check_blocks(void) {
    gan_layer l;
    gan_model m = {0};
    gan_layer_dense(&l, 4 * 3 * 3), add(&m, l);
    gan_layer_reshape(&l, 4, 3, 3), add(&m, l);
    CHECK_OK(gan_model_begin_block(&m, &gan_block_residual));
    gan_layer_cond_batchnorm2d(&l, 10, 0.9f, 1e-5f), add(&m, l);
    gan_layer_tanh(&l), add(&m, l);
    gan_layer_upsample2d(&l, 2), add(&m, l);
    gan_layer_conv2d(&l, 3, 3, 1, 1), add(&m, l);
    CHECK_OK(gan_model_next_branch(&m));
    gan_layer_upsample2d(&l, 2), add(&m, l);
    gan_layer_conv2d(&l, 3, 1, 1, 0), add(&m, l);
    CHECK_OK(gan_model_end_block(&m));
    CHECK_OK(gan_model_begin_block(&m, &gan_block_residual)); /* identity shortcut */
    gan_layer_batchnorm2d(&l, 0.9f, 1e-5f), add(&m, l);
    gan_layer_tanh(&l), add(&m, l);
    gan_layer_conv2d(&l, 3, 3, 1, 1), add(&m, l);
    CHECK_OK(gan_model_end_block(&m));
    gan_layer_tanh(&l), add(&m, l);
    check_built("G-like: dense, up block, identity block, tanh", &m, 5, 1, 1, 4, 0.0f, true);

    gan_model d = {0};
    CHECK_OK(gan_model_begin_block(&d, &gan_block_residual)); /* first in the model */
    gan_layer_conv2d(&l, 3, 3, 1, 1), add(&d, l);
    gan_layer_tanh(&l), add(&d, l);
    gan_layer_avgpool2d(&l, 2), add(&d, l);
    CHECK_OK(gan_model_next_branch(&d));
    gan_layer_avgpool2d(&l, 2), add(&d, l);
    gan_layer_conv2d(&l, 3, 1, 1, 0), add(&d, l);
    gan_layer_set_spectral_norm(&d.layers[d.n_layers - 1], true);
    CHECK_OK(gan_model_end_block(&d));
    CHECK_OK(gan_model_begin_block(&d, &gan_block_residual)); /* right after another */
    gan_layer_tanh(&l), add(&d, l);
    gan_layer_conv2d(&l, 3, 3, 1, 1), add(&d, l);
    CHECK_OK(gan_model_end_block(&d));
    gan_layer_global_sum_pool(&l), add(&d, l);
    CHECK_OK(gan_model_begin_block(&d, &gan_block_residual)); /* last, empty main path */
    CHECK_OK(gan_model_next_branch(&d));
    gan_layer_dense(&l, 3), add(&d, l);
    CHECK_OK(gan_model_end_block(&d));
    check_built("D-like: down block first, two blocks in a row, a block last", &d, 2, 6, 5, 3,
                0.0f, true);

    /* misuse: nesting, a third branch, an empty block, an open block, branch shapes */
    gan_model bad = {0};
    CHECK_OK(gan_model_begin_block(&bad, &gan_block_residual));
    CHECK(gan_model_begin_block(&bad, &gan_block_residual) == GAN_ERR_INVALID_ARGUMENT);
    CHECK_OK(gan_model_next_branch(&bad));
    CHECK(gan_model_next_branch(&bad) == GAN_ERR_INVALID_ARGUMENT);
    CHECK(gan_model_end_block(&bad) == GAN_ERR_INVALID_ARGUMENT); /* empty */
    CHECK(gan_model_end_block(&bad) == GAN_ERR_INVALID_ARGUMENT); /* none open */
    CHECK_OK(gan_model_begin_block(&bad, &gan_block_residual));
    gan_layer_conv2d(&l, 3, 3, 1, 1), add(&bad, l);
    CHECK(gan_model_build(&bad, "bad", 2, 4, 4, 2, gan_backend_cpu()) ==
          GAN_ERR_INVALID_ARGUMENT);
    CHECK(strstr(gan_last_error(), "not closed"));
    CHECK_OK(gan_model_end_block(&bad));
    CHECK(gan_model_build(&bad, "bad", 2, 4, 4, 2, gan_backend_cpu()) == GAN_ERR_SHAPE);
    CHECK_MSG(strstr(gan_last_error(), "branch main gives 3x4x4, branch shortcut 2x4x4"), "%s",
              gan_last_error());
    gan_model_free(&bad);
}

/* A tiny DCGAN-like pair of stacks, end to end. The activations are tanh:
 * central differences of a stack straddle the kinks of (leaky) ReLUs, which
 * are checked alone above with inputs kept off the kink. */
static void check_stacks(void) {
    gan_layer g[8], d[9];
    gan_layer_label_embedding(&g[0], 10, 3);
    gan_layer_dense(&g[1], 4 * 3 * 3);
    gan_layer_reshape(&g[2], 4, 3, 3);
    gan_layer_batchnorm2d(&g[3], 0.99f, 1e-3f);
    gan_layer_tanh(&g[4]);
    gan_layer_conv_transpose2d(&g[5], 2, 4, 2, 1);
    gan_layer_batchnorm2d(&g[6], 0.99f, 1e-3f);
    gan_layer_tanh(&g[7]);
    check_model("generator stack", g, 8, 5, 1, 1, 3, 0.0f, true);

    gan_layer_label_onehot(&d[0], 10);
    gan_layer_conv2d(&d[1], 3, 4, 2, 1);
    gan_layer_tanh(&d[2]);
    gan_layer_dropout(&d[3], 0.25f);
    gan_layer_conv2d(&d[4], 4, 3, 2, 1);
    gan_layer_batchnorm2d(&d[5], 0.99f, 1e-3f);
    gan_layer_tanh(&d[6]);
    gan_layer_reshape(&d[7], 0, 0, 0);
    gan_layer_dense(&d[8], 1);
    check_model("discriminator stack", d, 9, 1, 6, 7, 3, 0.0f, true);
}

/* Batch norm with a (leaky) ReLU fused into its kernels (model.c; layer.h:
 * GAN_LAYER_TAKES_ACTIVATION): the activation layer becomes a view and the
 * batch norm's backward finds the activation's derivative from its input.
 * After a convolution, first in the model (its backward then writes no dx
 * when the input's gradient is not wanted), and the flat batchnorm after a
 * dense layer; the few values here stay
 * off the kink at z = 0 for these seeds. The same model with keep_outputs
 * (nothing fused) gives the same output and gradients bit for bit. */
static void check_fused(void) {
    static const float slopes[] = {0.2f, 0.0f, 0.2f, 0.2f};
    for (int k = 0; k < 4; k++) {
        char what[96];
        snprintf(what, sizeof what, "%s + %s (fused)",
                 k < 2 ? "conv2d, batchnorm2d" : k == 2 ? "batchnorm2d" : "dense, batchnorm",
                 slopes[k] > 0 ? "leaky_relu 0.2" : "relu");
        gan_model m = {0};
        gan_layer l;
        if (k < 2) gan_layer_conv2d(&l, 3, 1, 1, 0), add(&m, l);
        else if (k == 2) gan_layer_reshape(&l, 3, 2, 2), add(&m, l); /* a view first */
        else gan_layer_dense(&l, 6), add(&m, l);
        if (k < 3) gan_layer_batchnorm2d(&l, 0.9f, 1e-5f);
        else gan_layer_batchnorm(&l, 0.9f, 1e-5f);
        add(&m, l);
        if (slopes[k] > 0) gan_layer_leaky_relu(&l, slopes[k]);
        else gan_layer_relu(&l);
        add(&m, l);
        gan_model plain = m;
        plain.keep_outputs = true;
        int c = k < 2 ? 2 : k == 2 ? 3 : 5, h = k < 3 ? 2 : 1, w = k < 2 ? 3 : k == 2 ? 2 : 1;
        CHECK_OK(gan_model_build(&m, "fused", c, h, w, 2, gan_backend_cpu()));
        CHECK_OK(gan_model_build(&plain, "plain", c, h, w, 2, gan_backend_cpu()));
        CHECK_MSG(m.layers[2].fused && m.layers[1].act.on && m.layers[1].act.slope == slopes[k] &&
                      m.acts[3] == m.acts[2],
                  "%s: not fused", what);
        CHECK_MSG(!plain.layers[2].fused && !plain.layers[1].act.on, "%s: keep_outputs fused",
                  what);
        gan_model_init(&m, 7, 0);
        gan_model_init(&plain, 7, 0);
        size_t nx = (size_t)2 * m.in_size, ny = (size_t)2 * m.out_size;
        float x[2 * 2 * 2 * 3], dy[2 * 3 * 2 * 3];
        gan_rng_uniform(5, 1, x, nx);
        gan_rng_uniform(5, 2, dy, ny);
        for (size_t i = 0; i < nx; i++) x[i] = 2 * x[i] - 1;
        for (size_t i = 0; i < ny; i++) dy[i] = 2 * dy[i] - 1;
        size_t bad = 0;
        gan_model *ms[2] = {&m, &plain};
        float *got[2][3];
        for (int j = 0; j < 2; j++) {
            gan_model_zero_grads(ms[j]);
            got[j][0] = (float *)gan_model_forward(ms[j], x, 2, true);
            float *y = malloc(ny * sizeof *y);
            if (!y) abort();
            memcpy(y, got[j][0], ny * sizeof *y);
            got[j][0] = y;
            got[j][1] = (float *)gan_model_backward(ms[j], dy, 2, true, true);
            got[j][2] = ms[j]->grads;
        }
        bad += memcmp(got[0][0], got[1][0], ny * sizeof(float)) != 0;
        bad += memcmp(got[0][1], got[1][1], nx * sizeof(float)) != 0;
        bad += memcmp(got[0][2], got[1][2], m.n_params * sizeof(float)) != 0;
        bad += memcmp(m.state, plain.state, m.n_state * sizeof(float)) != 0;
        CHECK_MSG(bad == 0, "%s: %zu of output, dx, parameter gradients, running statistics "
                  "differ from the unfused model", what, bad);
        free(got[0][0]);
        free(got[1][0]);
        gan_model_init(&m, 7, 0);
        test_gradcheck_model(what, &m, 2, 0.0f, true);
        gan_model_free(&m);
        gan_model_free(&plain);
    }
}

/* What check_fused_conv builds: a conv2d (k3 s1 p1) or conv_transpose2d
 * (k4 s2 p1) to 3 channels and the activation `act` (0 leaky_relu 0.2, 1
 * relu, 2 tanh), then a 1x1 conv2d head unless `last`. */
static void build_conv_act(gan_model *m, bool transpose, int act, bool last) {
    gan_layer l;
    if (transpose) gan_layer_conv_transpose2d(&l, 3, 4, 2, 1);
    else gan_layer_conv2d(&l, 3, 3, 1, 1);
    add(m, l);
    if (act == 0) gan_layer_leaky_relu(&l, 0.2f);
    else if (act == 1) gan_layer_relu(&l);
    else gan_layer_tanh(&l);
    add(m, l);
    if (last) return;
    gan_layer_conv2d(&l, 2, 1, 1, 0);
    add(m, l);
}

/* Convolutions with the activation after them fused into their bias
 * kernels (layer.h: GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT): on the CPU
 * backend's own path (direct convolutions where built for AVX-512) and on
 * im2col (its direct entries taken out), inside the model (the
 * activation's gradient over the output) and last (in the work): the same
 * outputs, dx and parameter gradients bit for bit as the model with
 * keep_outputs (nothing fused), with and without dx; and, with tanh,
 * finite differences (a step of a convolution's weight moves many
 * pre-activations, and with (leaky) ReLU some cross the kink at 0: those
 * rest on the bit-for-bit match with the unfused layers, each checked
 * above). */
static void check_fused_conv(void) {
    static const char *acts[] = {"leaky_relu 0.2", "relu", "tanh"};
    gan_backend im2col = *gan_backend_cpu();
    im2col.conv2d_forward = NULL;
    im2col.conv2d_backward_data = NULL;
    im2col.conv2d_backward_weight = NULL;
    for (int k = 0; k < 24; k++) {
        int act = k % 3;
        bool transpose = (k / 3) % 2, last = (k / 6) % 2, own = k / 12;
        const gan_backend *be = own ? &im2col : gan_backend_cpu();
        char what[128];
        snprintf(what, sizeof what, "%s + %s%s (%s)", transpose ? "conv_transpose2d" : "conv2d",
                 acts[act], last ? " last" : "", own ? "im2col" : "cpu");
        gan_model m = {0}, plain = {0};
        build_conv_act(&m, transpose, act, last);
        build_conv_act(&plain, transpose, act, last);
        plain.keep_outputs = true;
        enum { N = 2 };
        CHECK_OK(gan_model_build(&m, "fused", 2, 5, 5, N, be));
        CHECK_OK(gan_model_build(&plain, "plain", 2, 5, 5, N, be));
        CHECK_MSG(m.layers[1].fused && m.layers[0].act.on && m.layers[0].act.tanh == (act == 2) &&
                      m.acts[2] == m.acts[1] && m.layers[0].grad_over_output == !last,
                  "%s: not fused as expected", what);
        test_check_fused_same(what, &m, &plain, N);
        gan_model_init(&m, 7, 0);
        if (act == 2) test_gradcheck_model(what, &m, N, 0.0f, true);
        gan_model_free(&m);
        gan_model_free(&plain);
    }
}

typedef struct shape_case {
    const char *what; /* expected in the message */
    gan_layer l;
    int c, h, w;
} shape_case;

static void check_shape_errors(void) {
    shape_case cases[5] = {{"conv2d", {0}, 1, 4, 9},
                           {"conv2d", {0}, 1, 4, 4},
                           {"conv_transpose2d", {0}, 1, 1, 1},
                           {"dropout", {0}, 1, 4, 4},
                           {"label", {0}, 3, 1, 1}};
    gan_layer_conv2d(&cases[0].l, 2, 5, 1, 0);          /* kernel taller than 4 */
    gan_layer_conv2d(&cases[1].l, 2, 3, 0, 0);          /* stride 0 */
    gan_layer_conv_transpose2d(&cases[2].l, 2, 3, 1, 2); /* output -1 x -1 */
    gan_layer_dropout(&cases[3].l, 1.0f);
    gan_layer_label_embedding(&cases[4].l, 10, 0);
    for (int i = 0; i < 5; i++) {
        gan_model m = {0};
        gan_model_add(&m, cases[i].l);
        gan_status s =
            gan_model_build(&m, "bad", cases[i].c, cases[i].h, cases[i].w, 2, gan_backend_cpu());
        CHECK_MSG(s == GAN_ERR_SHAPE, "case %d: status %d", i, (int)s);
        CHECK_MSG(strstr(gan_last_error(), cases[i].what) != NULL, "case %d: message '%s'", i,
                  gan_last_error());
        gan_model_free(&m);
    }
}

/* Dropout keeps about 1 - p of the elements, scaled; inference is the
 * identity; masks change with the counter and repeat for the same one. */
static void check_dropout_semantics(void) {
    gan_model m = {0};
    gan_layer l;
    gan_layer_dropout(&l, 0.25f);
    gan_model_add(&m, l);
    CHECK_OK(gan_model_build(&m, "drop", 1000, 1, 1, 4, gan_backend_cpu()));
    gan_model_init(&m, 5, 0);
    float *x = malloc(4000 * sizeof *x), *y1 = malloc(4000 * sizeof *y1);
    for (int i = 0; i < 4000; i++) x[i] = 1.0f + (float)(i % 7);
    gan_model_set_rng_counter(&m, 11);
    memcpy(y1, gan_model_forward(&m, x, 4, true), 4000 * sizeof *y1);
    CHECK(m.rng_counter == 12);
    int zeros = 0, scaled = 0;
    for (int i = 0; i < 4000; i++) {
        zeros += y1[i] == 0.0f;
        scaled += fabsf(y1[i] - x[i] / 0.75f) < 1e-6f;
    }
    CHECK_MSG(zeros + scaled == 4000, "dropout values are neither 0 nor x / (1 - p)");
    CHECK_MSG(zeros > 850 && zeros < 1150, "dropout zeroed %d of 4000 at p = 0.25", zeros);
    gan_model_set_rng_counter(&m, 11);
    CHECK(memcmp(y1, gan_model_forward(&m, x, 4, true), 4000 * sizeof *y1) == 0);
    CHECK(memcmp(y1, gan_model_forward(&m, x, 4, true), 4000 * sizeof *y1) != 0);
    CHECK(memcmp(x, gan_model_forward(&m, x, 4, false), 4000 * sizeof *x) == 0);
    free(x), free(y1);
    gan_model_free(&m);
}

/* Forward and backward of a conv stack give the same bits at 1 and 2 threads. */
static void check_thread_independence(void) {
    float *out[2], *grads[2], *dxs[2];
    size_t ny = 0, np = 0, nx = 0;
    for (int t = 0; t < 2; t++) {
        gan_backend_cpu_set_threads(t + 1);
        gan_model m = {0};
        gan_layer l;
        gan_layer_conv2d(&l, 16, 4, 2, 1), gan_model_add(&m, l);
        gan_layer_batchnorm2d(&l, 0.99f, 1e-3f), gan_model_add(&m, l);
        gan_layer_dropout(&l, 0.2f), gan_model_add(&m, l);
        gan_layer_conv2d(&l, 8, 3, 1, 1), gan_model_add(&m, l);
        gan_layer_set_spectral_norm(&m.layers[3], true);
        gan_layer_conv_transpose2d(&l, 4, 4, 2, 1), gan_model_add(&m, l);
        CHECK_OK(gan_model_build(&m, "threads", 8, 24, 20, 16, gan_backend_cpu()));
        gan_model_init(&m, 9, 0);
        nx = (size_t)16 * m.in_size, ny = (size_t)16 * m.out_size, np = m.n_params;
        float *x = malloc(nx * sizeof *x), *r = malloc(ny * sizeof *r);
        test_fill_uniform(x, nx, 4, -1, 1, 0), test_fill_uniform(r, ny, 5, -1, 1, 0);
        out[t] = malloc(ny * sizeof *out[t]);
        memcpy(out[t], gan_model_forward(&m, x, 16, true), ny * sizeof *out[t]);
        gan_model_zero_grads(&m);
        const float *dx = gan_model_backward(&m, r, 16, true, true);
        dxs[t] = malloc(nx * sizeof *dxs[t]);
        memcpy(dxs[t], dx, nx * sizeof *dx);
        grads[t] = malloc(np * sizeof *grads[t]);
        memcpy(grads[t], m.grads, np * sizeof *grads[t]);
        free(x), free(r);
        gan_model_free(&m);
    }
    CHECK_MSG(memcmp(out[0], out[1], ny * 4) == 0, "outputs differ between 1 and 2 threads");
    CHECK_MSG(memcmp(dxs[0], dxs[1], nx * 4) == 0, "dx differs between 1 and 2 threads");
    CHECK_MSG(memcmp(grads[0], grads[1], np * 4) == 0, "grads differ between 1 and 2 threads");
    for (int t = 0; t < 2; t++) free(out[t]), free(grads[t]), free(dxs[t]);
    gan_backend_cpu_set_threads(2);
}

int main(void) {
    gan_backend_cpu_set_threads(2);
    check_convs();
    check_misc_layers();
    check_stacks();
    check_fused();
    check_fused_conv();
    check_resnet_layers();
    check_blocks();
    check_shape_errors();
    check_dropout_semantics();
    check_thread_independence();
    return test_report();
}
