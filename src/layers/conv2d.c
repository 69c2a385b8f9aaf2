/*
 * conv2d.c - 2-D convolution (PyTorch Conv2d with bias, square kernel):
 * x (N, Cin, H, W) -> y (N, Cout, OH, OW), OH = floor((H + 2p - k) / s) + 1.
 *
 * Parameters (PyTorch layout): weight (Cout, Cin, k, k), then bias (Cout).
 * Init: Glorot uniform with fan_in = Cin k k, fan_out = Cout k k (Keras's
 * Conv2D default), bias 0.
 *
 * Method: images go through in groups of G (conv_group.h). For a group,
 * cols (K, G P) = im2col(x) with K = Cin k k, P = OH OW; the product
 * t (Cout, G P) = W (Cout, K) cols; y = t back in NCHW, plus bias.
 * Backward recomputes cols: dW += dt cols^T, dcols = W^T dt, dx = col2im.
 * Where the backend has direct convolutions (conv2d_forward, ...; the CPU
 * backend's AVX-512 build, the CUDA backend's cuDNN path), they replace all
 * of this and the layer needs no work.
 *
 * A relu, leaky_relu (alpha >= 0) or tanh right after it may be fused into
 * it (layer.h: GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT, l->act), as in
 * dense.c: the product goes out without its bias, then y = act(y + b)
 * (channel_bias_act_forward); the backward forms dz = dy act'(y) with the
 * bias gradient (channel_bias_act_backward) and runs on dz (over y where
 * the model allows it: l->grad_over_output).
 *
 * Scratch: the spectral-norm slots (spectral_norm.h), if on. Work (layer.h):
 * the im2col path's cols (K, G P) and t (Cout, G P); then, with a fused
 * activation not over y, dz (N, Cout, OH, OW).
 */
#include "layers/conv_group.h"
#include "layers/keys.h"
#include "layers/layer.h"
#include "layers/spectral_norm.h"
#include "rng.h"

#include <math.h>

static gan_conv_shape conv_shape(const gan_layer *l) {
    return (gan_conv_shape){l->in[0], l->in[1], l->in[2], l->kernel, l->stride, l->pad,
                            l->out[1], l->out[2]};
}

static size_t sn_scratch(const gan_layer *l) {
    int K = l->in[0] * l->kernel * l->kernel;
    return l->spectral_norm ? gan_sn_scratch_size(l->units, K) : 0;
}

static gan_status conv2d_setup(gan_layer *l) {
    int k = l->kernel, s = l->stride, p = l->pad, H = l->in[1], W = l->in[2];
    if (l->units <= 0 || k <= 0 || s <= 0 || p < 0)
        return gan_fail(GAN_ERR_SHAPE, "conv2d: out_channels %d, kernel %d, stride %d must be "
                        "positive and padding %d non-negative", l->units, k, s, p);
    if (H + 2 * p < k || W + 2 * p < k)
        return gan_fail(GAN_ERR_SHAPE, "conv2d: kernel %d does not fit a %dx%d input with "
                        "padding %d", k, H, W, p);
    l->out[0] = l->units;
    l->out[1] = (H + 2 * p - k) / s + 1;
    l->out[2] = (W + 2 * p - k) / s + 1;
    size_t K = (size_t)l->in[0] * k * k, P = (size_t)l->out[1] * l->out[2];
    int most = l->group > 0 ? GAN_MIN(l->group, l->max_batch) : l->max_batch;
    l->group = gan_conv_group(K * P, most);
    l->n_params = (size_t)l->units * K + l->units;
    if (l->spectral_norm) l->n_state = gan_sn_state_size(l->units, (int)K);
    l->n_scratch = sn_scratch(l);
    return GAN_OK;
}

/* The im2col path's floats of work (0: direct convolutions). */
static size_t im2col_work(const gan_layer *l, const gan_backend *be) {
    if (gan_backend_supports_group(be, GAN_KERNEL_GROUP_CONV_DIRECT)) return 0;
    size_t K = (size_t)l->in[0] * l->kernel * l->kernel, P = (size_t)l->out[1] * l->out[2];
    return (K + l->units) * l->group * P;
}

static size_t conv2d_work(const gan_layer *l, const gan_backend *be) {
    return im2col_work(l, be) + gan_layer_act_grad_work(l); /* dz after the columns */
}

static void conv2d_init(gan_layer *l, uint64_t seed, uint64_t stream) {
    int K = l->in[0] * l->kernel * l->kernel;
    size_t nw = (size_t)l->units * K;
    float limit = (float)sqrt(6.0 / ((double)(l->in[0] + l->units) * l->kernel * l->kernel));
    gan_rng_uniform(seed, stream, l->params, nw);
    for (size_t i = 0; i < nw; i++) l->params[i] = (2.0f * l->params[i] - 1.0f) * limit;
    for (int i = 0; i < l->units; i++) l->params[nw + i] = 0.0f;
    if (l->spectral_norm) gan_sn_init(l, seed, stream, l->units, K);
}

static void conv2d_forward(gan_layer *l, const gan_backend *be, const float *x, float *y, int N,
                           bool train) {
    gan_conv_shape cs = conv_shape(l);
    int Cout = l->units, K = cs.C * cs.k * cs.k, P = cs.OH * cs.OW;
    const float *W = l->params, *b = l->params + (size_t)Cout * K;
    if (l->spectral_norm) W = gan_sn_forward(l, be, Cout, K, train);
    const float *bias = l->act.on ? NULL : b; /* with an activation: added with it */
    if (be->conv2d_forward) {
        be->conv2d_forward(be->ctx, y, x, W, bias, N, &cs, Cout);
    } else {
        float *cols = l->work;                         /* (K, G P) */
        float *t = cols + (size_t)K * l->group * P;    /* (Cout, G P) */
        for (int n0 = 0; n0 < N; n0 += l->group) {
            int G = GAN_MIN(l->group, N - n0);
            be->im2col(be->ctx, cols, x + (size_t)n0 * l->in_size, G, &cs);
            be->gemm(be->ctx, false, false, Cout, G * P, K, 1.0f, W, K, cols, G * P, 0.0f, t,
                     G * P);
            be->cmajor_to_nchw(be->ctx, y + (size_t)n0 * l->out_size, t, bias, G, Cout, P);
        }
    }
    if (l->act.on) be->channel_bias_act_forward(be->ctx, y, b, N, Cout, P, l->act);
}

static void conv2d_backward(gan_layer *l, const gan_backend *be, const float *x, const float *y,
                            const float *dy, float *dx, int N, bool param_grads) {
    gan_conv_shape cs = conv_shape(l);
    int Cout = l->units, K = cs.C * cs.k * cs.k, P = cs.OH * cs.OW;
    bool sn = l->spectral_norm;
    const float *W = sn ? l->scratch : l->params; /* what the forward computed with */
    float *dW = sn ? gan_sn_dw(l, Cout, K) : l->grads, *db = l->grads + (size_t)Cout * K;
    if (l->act.on) { /* dz through the fused activation (after the im2col work), and db */
        if (!param_grads && !dx) return;
        float *dz = gan_layer_act_grad_at(l, y, im2col_work(l, be));
        be->channel_bias_act_backward(be->ctx, dz, param_grads ? db : NULL, dy, y, N, Cout, P,
                                      l->act);
        dy = dz;
    }
    if (be->conv2d_backward_data) {
        if (param_grads) {
            /* the spectral-norm slot is written, dW accumulates */
            be->conv2d_backward_weight(be->ctx, dW, x, dy, N, &cs, Cout, sn ? 0.0f : 1.0f);
            if (sn) gan_sn_backward(l, be, Cout, K);
            if (!l->act.on) be->channel_bias_backward(be->ctx, db, dy, N, Cout, P);
        }
        if (dx) be->conv2d_backward_data(be->ctx, dx, dy, W, N, &cs, Cout);
        return;
    }
    float *cols = l->work;                             /* (K, G P) */
    float *dt = cols + (size_t)K * l->group * P;       /* (Cout, G P) */
    for (int n0 = 0; n0 < N; n0 += l->group) {
        int G = GAN_MIN(l->group, N - n0);
        be->nchw_to_cmajor(be->ctx, dt, dy + (size_t)n0 * l->out_size, G, Cout, P);
        if (param_grads) {
            be->im2col(be->ctx, cols, x + (size_t)n0 * l->in_size, G, &cs);
            float beta = sn && n0 == 0 ? 0.0f : 1.0f; /* the spectral-norm slot is written */
            be->gemm(be->ctx, false, true, Cout, K, G * P, 1.0f, dt, G * P, cols, G * P, beta, dW, K);
        }
        if (dx) {
            be->gemm(be->ctx, true, false, K, G * P, Cout, 1.0f, W, K, dt, G * P, 0.0f, cols, G * P);
            be->col2im(be->ctx, dx + (size_t)n0 * l->in_size, cols, G, &cs);
        }
    }
    if (param_grads) {
        if (sn) gan_sn_backward(l, be, Cout, K);
        if (!l->act.on) be->channel_bias_backward(be->ctx, db, dy, N, Cout, P);
    }
}

static int conv2d_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    if (max < 4) return 0;
    int k = l->kernel, K = l->in[0] * k * k;
    size_t nw = (size_t)l->units * K;
    t[0] = (gan_layer_tensor){l->spectral_norm ? "weight_orig" : "weight", l->params, l->grads,
                              4, {l->units, l->in[0], k, k}, nw};
    t[1] = (gan_layer_tensor){"bias", l->params + nw, l->grads ? l->grads + nw : NULL, 1,
                              {l->units}, (size_t)l->units};
    if (!l->spectral_norm) return 2;
    gan_sn_tensors(l, l->units, K, t + 2);
    return 4;
}

static bool conv2d_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                             int n_classes, char *why, size_t cap) {
    gan_layer_conv2d(l, (int)v[0].i, (int)v[1].i, (int)v[2].i, (int)v[3].i);
    gan_layer_set_spectral_norm(l, v[4].b);
    return true;
}

static bool conv2d_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    if (l->spectral_norm) return false; /* not exported yet */
    /* y[o][oh][ow] = b[o] + sum over c, i, j of W[o][c][i][j] x[c][oh s - p + i][ow s - p + j] */
    gan_c_put(c, "    {\n        int oh, ow, c, i, j;\n"
                 "        for (o = 0; o < %d; o++)\n"
                 "            for (oh = 0; oh < %d; oh++)\n"
                 "                for (ow = 0; ow < %d; ow++) {\n"
                 "                    float acc = %s_l%d_bias[o];\n"
                 "                    for (c = 0; c < %d; c++)\n"
                 "                        for (i = 0; i < %d; i++) {\n"
                 "                            int ih = oh * %d - %d + i;\n"
                 "                            if (ih < 0 || ih >= %d) continue;\n"
                 "                            for (j = 0; j < %d; j++) {\n"
                 "                                int iw = ow * %d - %d + j;\n"
                 "                                if (iw < 0 || iw >= %d) continue;\n"
                 "                                acc += %s_l%d_weight[((o * %d + c) * %d + i) * %d + j] *\n"
                 "                                       x[(c * %d + ih) * %d + iw];\n"
                 "                            }\n"
                 "                        }\n"
                 "                    y[(o * %d + oh) * %d + ow] = acc;\n"
                 "                }\n    }\n",
        l->out[0], l->out[1], l->out[2], p, i, l->in[0], l->kernel, l->stride, l->pad,
        l->in[1], l->kernel, l->stride, l->pad, l->in[2], p, i, l->in[0], l->kernel,
        l->kernel, l->in[1], l->in[2], l->out[1], l->out[2]);
    return true;
}

const gan_layer_ops gan_layer_kind_conv2d = {
    .name = "conv2d",
    .flags = GAN_LAYER_SPECTRAL_NORM | GAN_LAYER_BACKWARD_NO_OUTPUT |
             GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT,
    .n_positional = 1,
    .keys = {GAN_KEY_OUT(GAN_KEY_MAX_CHANNELS), GAN_KEY_KERNEL, GAN_KEY_STRIDE, GAN_KEY_PADDING,
             GAN_KEY_SPECTRAL_NORM},
    GAN_LAYER_OPS_NAMED(conv2d),
    .export_c = conv2d_export_c,
    .work = conv2d_work,
};

void gan_layer_conv2d(gan_layer *l, int out_channels, int kernel, int stride, int pad) {
    *l = (gan_layer){.ops = &gan_layer_kind_conv2d, .units = out_channels, .kernel = kernel,
                     .stride = stride, .pad = pad};
}
