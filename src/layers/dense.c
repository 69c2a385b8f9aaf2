/*
 * dense.c - fully connected layer: y (N, out) = x (N, in) W^T + b.
 *
 * Parameters (PyTorch layout): weight W (out, in), then bias b (out).
 * Init: W ~ U(-limit, limit), limit = sqrt(6 / (in + out)) (Glorot uniform,
 * Keras's default), b = 0.
 *
 * With spectral normalization (spectral_norm.h) the weight parameter is
 * weight_orig and the layer computes with W = weight_orig / sigma.
 *
 * A relu, leaky_relu (alpha >= 0) or tanh right after it may be fused into
 * it (layer.h: GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT, l->act): the forward
 * then writes y = act(x W^T + b) with one kernel after the product
 * (bias_act_forward), and the backward forms dz = dy act'(y) from its
 * output with the bias gradient in one kernel (bias_act_backward), which
 * both products then read: over y where the model allows it
 * (l->grad_over_output), else in the work (N, out).
 *
 * Before a batch norm, the bias and activation go into the batch norm's
 * kernels instead (layer.h: GAN_LAYER_DEFERS_BIAS, l->bias_deferred): the
 * training forward is the product alone, and the backward starts from the
 * batch norm's dz with db already added.
 */
#include "layers/keys.h"
#include "layers/layer.h"
#include "layers/spectral_norm.h"
#include "rng.h"

#include <math.h>

static gan_status dense_setup(gan_layer *l) {
    if (l->units <= 0) return gan_fail(GAN_ERR_SHAPE, "dense: units must be positive");
    l->out[0] = l->units;
    l->out[1] = l->out[2] = 1;
    l->n_params = (size_t)l->units * l->in_size + l->units;
    if (l->spectral_norm) {
        l->n_state = gan_sn_state_size(l->units, l->in_size);
        l->n_scratch = gan_sn_scratch_size(l->units, l->in_size);
    }
    return GAN_OK;
}

static void dense_init(gan_layer *l, uint64_t seed, uint64_t stream) {
    size_t nw = (size_t)l->units * l->in_size;
    float limit = (float)sqrt(6.0 / (double)(l->in_size + l->units));
    gan_rng_uniform(seed, stream, l->params, nw);
    for (size_t i = 0; i < nw; i++) l->params[i] = (2.0f * l->params[i] - 1.0f) * limit;
    for (int i = 0; i < l->units; i++) l->params[nw + i] = 0.0f;
    if (l->spectral_norm) gan_sn_init(l, seed, stream, l->units, l->in_size);
}

static void dense_forward(gan_layer *l, const gan_backend *be, const float *x, float *y, int N,
                          bool train) {
    const float *W = l->params, *b = l->params + (size_t)l->units * l->in_size;
    if (l->spectral_norm) W = gan_sn_forward(l, be, l->units, l->in_size, train);
    be->gemm(be->ctx, false, true, N, l->units, l->in_size, 1.0f, x, l->in_size, W, l->in_size, 0.0f, y,
             l->units);
    if (l->bias_deferred && train) return; /* the next layer's kernel applies b and act */
    if (l->act.on) be->bias_act_forward(be->ctx, y, b, N, l->units, l->act);
    else be->bias_forward(be->ctx, y, b, N, l->units);
}

/* dz (max_batch, out) for a fused activation, unless over the output */
static size_t dense_work(const gan_layer *l, const gan_backend *be) {
    return gan_layer_act_grad_work(l);
}

static void dense_backward(gan_layer *l, const gan_backend *be, const float *x, const float *y,
                           const float *dy, float *dx, int N, bool param_grads) {
    int in = l->in_size, out = l->units;
    bool sn = l->spectral_norm;
    const float *W = sn ? l->scratch : l->params; /* what the forward computed with */
    float *db = l->grads + (size_t)out * in;
    if (l->bias_deferred) { /* dy is dz already, and db is added: the next layer's kernel */
    } else if (l->act.on) { /* dz through the fused activation, and db from it */
        if (!param_grads && !dx) return;
        float *dz = gan_layer_act_grad_at(l, y, 0);
        be->bias_act_backward(be->ctx, dz, param_grads ? db : NULL, dy, y, N, out, l->act);
        dy = dz;
    }
    if (param_grads) {
        float *dW = sn ? gan_sn_dw(l, out, in) : l->grads;
        /* dW (+)= dy^T x; with spectral norm written to scratch, then mapped to dW0 */
        be->gemm(be->ctx, true, false, out, in, N, 1.0f, dy, out, x, in, sn ? 0.0f : 1.0f, dW, in);
        if (sn) gan_sn_backward(l, be, out, in);
        if (!l->act.on && !l->bias_deferred) be->bias_backward(be->ctx, db, dy, N, out);
    }
    if (dx) be->gemm(be->ctx, false, false, N, in, out, 1.0f, dy, out, W, in, 0.0f, dx, in);
}

static int dense_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    if (max < 4) return 0;
    size_t nw = (size_t)l->units * l->in_size;
    t[0] = (gan_layer_tensor){l->spectral_norm ? "weight_orig" : "weight", l->params, l->grads,
                              2, {l->units, l->in_size}, nw};
    t[1] = (gan_layer_tensor){"bias", l->params + nw, l->grads ? l->grads + nw : NULL, 1,
                              {l->units}, (size_t)l->units};
    if (!l->spectral_norm) return 2;
    gan_sn_tensors(l, l->units, l->in_size, t + 2);
    return 4;
}

static bool dense_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                            int n_classes, char *why, size_t cap) {
    gan_layer_dense(l, (int)v[0].i);
    gan_layer_set_spectral_norm(l, v[1].b);
    return true;
}

static bool dense_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    gan_c_put(c, "    for (o = 0; o < %d; o++) {\n"
                 "        const float *w = %s_l%d_weight + (size_t)o * %d;\n"
                 "        float acc = 0.0f;\n"
                 "        for (k = 0; k < %d; k++) acc += w[k] * x[k];\n"
                 "        y[o] = acc + %s_l%d_bias[o];\n"
                 "    }\n", l->out_size, p, i, l->in_size, l->in_size, p, i);
    return true;
}

const gan_layer_ops gan_layer_kind_dense = {
    .name = "dense",
    .flags = GAN_LAYER_SPECTRAL_NORM | GAN_LAYER_BACKWARD_NO_OUTPUT |
             GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT | GAN_LAYER_DEFERS_BIAS,
    .n_positional = 1,
    .keys = {GAN_KEY_OUT(GAN_KEY_MAX_UNITS), GAN_KEY_SPECTRAL_NORM},
    GAN_LAYER_OPS_NAMED(dense),
    .export_c = dense_export_c,
    .work = dense_work,
};

void gan_layer_dense(gan_layer *l, int units) {
    *l = (gan_layer){.ops = &gan_layer_kind_dense, .units = units};
}
