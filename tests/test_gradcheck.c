/*
 * test_gradcheck.c - finite-difference checks of every layer's backward pass
 * and of the loss.
 *
 * For a small model m, the scalar L = sum(r * m(x)) with fixed random r has
 * dL/dy = r; the analytic dL/dx and dL/dparams from gan_model_backward are
 * compared with central differences (L evaluated in double). Also checks
 * that parameter gradients accumulate (a second backward doubles them) and
 * that the BCE-from-logits kernel's loss and gradient match their formulas,
 * including at extreme logits.
 */
#include "backend.h"
#include "model.h"
#include "rng.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


static void check_layer(const char *what, gan_layer layer, int c, int h, int w, int N,
                        float x_avoid) {
    gan_model m = {0};
    CHECK_OK(gan_model_add(&m, layer));
    CHECK_OK(gan_model_build(&m, "test", c, h, w, N, gan_backend_cpu()));
    gan_model_init(&m, 7, 0);
    test_gradcheck_model(what, &m, N, x_avoid, true);
    gan_model_free(&m);
}

static void check_bce(void) {
    const gan_backend *be = gan_backend_cpu();
    float l[8] = {-120.0f, -8.0f, -1.5f, -0.1f, 0.0f, 0.7f, 9.0f, 150.0f};
    float t[8] = {1, 0, 1, 0, 1, 1, 0, 1};
    float dl[8];
    double probs;
    double loss = be->bce_logits(be->ctx, dl, l, t, 8, 0.5f, &probs);
    CHECK(isfinite(loss));
    double expect = 0, expect_p = 0;
    for (int i = 0; i < 8; i++) {
        double z = l[i];
        /* -t log(sigmoid z) - (1 - t) log(1 - sigmoid z), evaluated stably in double */
        double log_p = z >= 0 ? -log1p(exp(-z)) : z - log1p(exp(z));
        double log_1mp = z >= 0 ? -z - log1p(exp(-z)) : -log1p(exp(z));
        expect += -t[i] * log_p - (1 - t[i]) * log_1mp;
        double p = 1.0 / (1.0 + exp(-z));
        expect_p += p;
        CHECK_MSG(fabs(dl[i] - 0.5 * (p - t[i])) < 1e-6, "bce dl[%d] = %g, expected %g", i, dl[i],
                  0.5 * (p - t[i]));
        /* finite differences of the kernel's own loss (not at the huge logits) */
        if (fabs(z) < 20) {
            float lp = l[i] + 1e-2f, lm = l[i] - 1e-2f;
            double fp = be->bce_logits(be->ctx, NULL, &lp, &t[i], 1, 1.0f, NULL);
            double fm = be->bce_logits(be->ctx, NULL, &lm, &t[i], 1, 1.0f, NULL);
            double num = 0.5 * (fp - fm) / 2e-2;
            CHECK_MSG(fabs(num - dl[i]) < 1e-4, "bce numeric %g vs analytic %g", num, dl[i]);
        }
    }
    CHECK_MSG(fabs(loss - expect) < 1e-4 * expect, "bce loss %.6f, expected %.6f", loss, expect);
    CHECK(fabs(probs - expect_p) < 1e-5);
}

/* What check_fused_dense builds: dense (spectral norm or not) and the
 * activation `act` (0 leaky_relu 0.2, 1 relu, 2 tanh, 3 leaky_relu -0.3),
 * plain or as the main path of a residual block with an identity shortcut
 * (which gets the same output gradient), then a dense head unless `last`. */
static void build_dense_act(gan_model *m, int act, bool sn, bool block, bool last) {
    gan_layer l;
    if (block) CHECK_OK(gan_model_begin_block(m, &gan_block_residual));
    gan_layer_dense(&l, 6);
    gan_layer_set_spectral_norm(&l, sn);
    CHECK_OK(gan_model_add(m, l));
    if (act == 0) gan_layer_leaky_relu(&l, 0.2f);
    else if (act == 1) gan_layer_relu(&l);
    else if (act == 2) gan_layer_tanh(&l);
    else gan_layer_leaky_relu(&l, -0.3f);
    CHECK_OK(gan_model_add(m, l));
    if (block) CHECK_OK(gan_model_end_block(m));
    if (last) return;
    gan_layer_dense(&l, 3);
    CHECK_OK(gan_model_add(m, l));
}

/* Dense with its activation fused into its bias kernels (model.c; layer.h:
 * GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT): the activation becomes a view,
 * the dense layer's backward takes the derivative from its output and
 * forms that gradient over its output, or in its work where the output is
 * the model's (`last`). Against the same model with keep_outputs (nothing
 * fused): the same outputs, dx and parameter gradients bit for bit (with
 * and without dx wanted, which the first layer then skips); and finite
 * differences. leaky_relu with a negative slope is not fused (its
 * derivative does not follow from y). */
static void check_fused_dense(void) {
    static const char *acts[] = {"leaky_relu 0.2", "relu", "tanh", "leaky_relu -0.3"};
    static const char *how[] = {"", " (spectral norm)", " in a residual block", " last"};
    for (int k = 0; k < 16; k++) {
        int act = k % 4, variant = k / 4;
        bool sn = variant == 1, block = variant == 2, last = variant == 3;
        char what[96];
        snprintf(what, sizeof what, "dense + %s%s", acts[act], how[variant]);
        gan_model m = {0}, plain = {0};
        build_dense_act(&m, act, sn, block, last);
        build_dense_act(&plain, act, sn, block, last);
        plain.keep_outputs = true;
        int N = 4;
        CHECK_OK(gan_model_build(&m, "fused", 6, 1, 1, N, gan_backend_cpu()));
        CHECK_OK(gan_model_build(&plain, "plain", 6, 1, 1, N, gan_backend_cpu()));
        bool want = act != 3;
        CHECK_MSG(m.layers[1].fused == want && m.layers[0].act.on == want &&
                      m.layers[0].act.tanh == (act == 2) && (m.acts[2] == m.acts[1]) == want &&
                      m.layers[0].grad_over_output == (want && !last) &&
                      m.layers[0].n_work == (want && last ? (size_t)N * 6 : 0),
                  "%s: fused %d, expected %d", what, m.layers[1].fused, want);
        test_check_fused_same(what, &m, &plain, N);
        gan_model_init(&m, 7, 0);
        test_gradcheck_model(what, &m, N, 0.0f, !sn); /* spectral norm: no power iteration */
        gan_model_free(&m);
        gan_model_free(&plain);
    }
}

/* dense, [activation], batchnorm, dense, tanh: the seed generator's pattern */
static void build_dense_bn(gan_model *m, int act) {
    gan_layer l;
    gan_layer_dense(&l, 70), gan_model_add(m, l); /* two feature chunks */
    if (act == 0) gan_layer_leaky_relu(&l, 0.2f), gan_model_add(m, l);
    if (act == 1) gan_layer_tanh(&l), gan_model_add(m, l);
    gan_layer_batchnorm(&l, 0.99f, 1e-3f), gan_model_add(m, l);
    gan_layer_dense(&l, 4), gan_model_add(m, l);
    gan_layer_tanh(&l), gan_model_add(m, l);
}

/* A dense layer's bias and activation applied by the batch norm after it
 * (layer.h: GAN_LAYER_DEFERS_BIAS, GAN_LAYER_TAKES_INPUT_BIAS): against the
 * keep_outputs twin, the same outputs, dx and parameter gradients bit for
 * bit, and an inference forward (the dense layer then applies them itself)
 * as the twin's. (Finite differences: the "stack" in main, deferred too; at
 * 70 features over 5 rows a step of 1e-2 crosses leaky_relu's kink.) */
static void check_deferred_bias(void) {
    static const char *acts[] = {"leaky_relu 0.2", "tanh", "no activation"};
    for (int act = 0; act < 3; act++) {
        char what[96];
        snprintf(what, sizeof what, "dense + %s + batchnorm (bias deferred)", acts[act]);
        gan_model m = {0}, plain = {0};
        build_dense_bn(&m, act);
        build_dense_bn(&plain, act);
        plain.keep_outputs = true;
        int N = 5, bn = act < 2 ? 2 : 1;
        CHECK_OK(gan_model_build(&m, "deferred", 6, 1, 1, N, gan_backend_cpu()));
        CHECK_OK(gan_model_build(&plain, "plain", 6, 1, 1, N, gan_backend_cpu()));
        CHECK_MSG(m.layers[0].bias_deferred && m.layers[bn].in_bias == m.params + 6 * 70 &&
                      m.layers[bn].in_bias_grad == m.grads + 6 * 70 &&
                      m.layers[bn].in_act.on == (act < 2) && m.layers[0].n_work == 0 &&
                      !m.layers[bn + 1].bias_deferred,
                  "%s: not deferred", what);
        test_check_fused_same(what, &m, &plain, N);
        float x[6 * 5], y[2][4 * 5];
        test_fill_uniform(x, 6 * 5, 9, -1.5f, 1.5f, 0.0f);
        memcpy(y[0], gan_model_forward(&m, x, N, false), sizeof y[0]);
        memcpy(y[1], gan_model_forward(&plain, x, N, false), sizeof y[1]);
        CHECK_MSG(memcmp(y[0], y[1], sizeof y[0]) == 0, "%s: inference differs", what);
        gan_model_free(&m);
        gan_model_free(&plain);
    }
}

/* gan_model_forward_at: the input read in place and the output written
 * outside the model give the outputs, dx and parameter gradients of
 * gan_model_forward bit for bit, the backward reading both there; a plain
 * forward then uses the model's own storage again. */
static void check_forward_at(void) {
    gan_model a = {0}, b = {0};
    build_dense_bn(&a, 0);
    build_dense_bn(&b, 0);
    int N = 5;
    CHECK_OK(gan_model_build(&a, "plain", 6, 1, 1, N, gan_backend_cpu()));
    CHECK_OK(gan_model_build(&b, "bound", 6, 1, 1, N, gan_backend_cpu()));
    gan_model_init(&a, 7, 0);
    gan_model_init(&b, 7, 0);
    float x[6 * 5], xb[6 * 5], out[4 * 5], dy[4 * 5], ya[4 * 5], dxa[6 * 5];
    test_fill_uniform(x, 6 * 5, 11, -1.5f, 1.5f, 0.0f);
    test_fill_uniform(dy, 4 * 5, 12, -1.0f, 1.0f, 0.0f);
    memcpy(xb, x, sizeof x);
    for (int k = 0; k < 2; k++) {
        gan_model_zero_grads(&a);
        gan_model_zero_grads(&b);
        memcpy(ya, gan_model_forward(&a, x, N, true), sizeof ya);
        memcpy(dxa, gan_model_backward(&a, dy, N, true, true), sizeof dxa);
        const float *y = gan_model_forward_at(&b, xb, out, N, true);
        CHECK(y == out && gan_model_output(&b) == out);
        const float *dx = gan_model_backward(&b, dy, N, true, true);
        CHECK_MSG(memcmp(out, ya, sizeof ya) == 0 && memcmp(dx, dxa, sizeof dxa) == 0 &&
                      memcmp(a.grads, b.grads, a.n_params * sizeof(float)) == 0 &&
                      memcmp(xb, x, sizeof x) == 0,
                  "forward_at: results differ from gan_model_forward (pass %d)", k);
    }
    const float *y = gan_model_forward(&b, x, N, true);
    CHECK(y != out && y == gan_model_output(&b) && y == b.own_out);
    CHECK_MSG(memcmp(y, ya, sizeof ya) == 0, "plain forward after forward_at differs");
    gan_model_free(&a);
    gan_model_free(&b);
}

int main(void) {
    gan_backend_cpu_set_threads(2);
    gan_layer l;
    gan_layer_dense(&l, 5);
    check_layer("dense 7->5", l, 7, 1, 1, 3, 0.0f);
    gan_layer_dense(&l, 1);
    check_layer("dense 12->1 (image input)", l, 1, 3, 4, 4, 0.0f);
    gan_layer_leaky_relu(&l, 0.2f);
    check_layer("leaky_relu", l, 9, 1, 1, 4, 0.05f);
    gan_layer_tanh(&l);
    check_layer("tanh", l, 9, 1, 1, 4, 0.0f);
    gan_layer_batchnorm(&l, 0.99f, 1e-3f);
    check_layer("batchnorm F=6 N=5", l, 6, 1, 1, 5, 0.0f);
    gan_layer_batchnorm(&l, 0.99f, 1e-3f);
    check_layer("batchnorm F=70 N=3 (two chunks)", l, 70, 1, 1, 3, 0.0f);

    /* a small stack like the seed generator: dense, leaky, bn, dense, tanh, reshape */
    gan_model m = {0};
    gan_layer_dense(&l, 6), gan_model_add(&m, l);
    gan_layer_leaky_relu(&l, 0.2f), gan_model_add(&m, l);
    gan_layer_batchnorm(&l, 0.99f, 1e-3f), gan_model_add(&m, l);
    gan_layer_dense(&l, 4), gan_model_add(&m, l);
    gan_layer_tanh(&l), gan_model_add(&m, l);
    gan_layer_reshape(&l, 1, 2, 2), gan_model_add(&m, l);
    CHECK_OK(gan_model_build(&m, "stack", 5, 1, 1, 4, gan_backend_cpu()));
    CHECK(m.layers[0].bias_deferred && m.layers[2].in_bias != NULL); /* check_deferred_bias */
    gan_model_init(&m, 3, 0);
    CHECK(m.out[0] == 1 && m.out[1] == 2 && m.out[2] == 2);
    test_gradcheck_model("stack", &m, 4, 0.0f, true);
    gan_model_free(&m);

    /* reshape that cannot hold the values is a shape error */
    gan_model bad = {0};
    gan_layer_reshape(&l, 2, 3, 3), gan_model_add(&bad, l);
    CHECK(gan_model_build(&bad, "bad", 10, 1, 1, 2, gan_backend_cpu()) == GAN_ERR_SHAPE);
    CHECK(strstr(gan_last_error(), "reshape") != NULL);
    gan_model_free(&bad);

    check_fused_dense();
    check_deferred_bias();
    check_forward_at();
    check_bce();
    return test_report();
}
