/*
 * conv_transpose2d.c - 2-D transposed convolution (PyTorch ConvTranspose2d
 * with bias, square kernel, no output padding, groups 1, dilation 1):
 * x (N, Cin, H, W) -> y (N, Cout, OH, OW), OH = (H - 1) s - 2p + k.
 *
 * Parameters (PyTorch layout): weight (Cin, Cout, k, k), then bias (Cout).
 * Init: Glorot uniform with fan_in = Cin k k, fan_out = Cout k k, bias 0.
 *
 * Method: it is the input-gradient of a conv2d from y's shape to x's. For
 * a group of G images (conv_group.h): t (Cin, G P) = x channel-major, with
 * P = H W; cols (K, G P) = W^T t with K = Cout k k; y = col2im(cols), the
 * conv geometry being (Cout, OH, OW) images with H x W output positions;
 * then bias. Backward: cols = im2col(dy); dW += t cols^T; dt = W cols;
 * dx = dt back in NCHW. Where the backend has direct convolutions, they are
 * those of that conv2d: forward = conv2d_backward_data, dW =
 * conv2d_backward_weight with x and dy exchanged, dx = conv2d_forward; the
 * layer then needs no work.
 *
 * With spectral normalization (spectral_norm.h, dim 1 as PyTorch does for
 * transposed convolutions: the matrix is (Cout, Cin k k)) the weight
 * parameter is weight_orig and the layer computes with W = weight_orig /
 * sigma.
 *
 * A relu, leaky_relu (alpha >= 0) or tanh right after it may be fused into
 * it (layer.h: GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT, l->act), as in
 * conv2d.c: the bias goes in with the activation (channel_bias_act_forward),
 * and the backward runs on dz = dy act'(y), formed with the bias gradient
 * (channel_bias_act_backward; over y where the model allows it:
 * l->grad_over_output).
 *
 * Scratch: the spectral-norm slots, if on. Work (layer.h): the im2col
 * path's cols (K, G P) and t (Cin, G P); then, with a fused activation not
 * over y, dz (N, Cout, OH, OW).
 */
#include "layers/conv_group.h"
#include "layers/keys.h"
#include "layers/layer.h"
#include "layers/spectral_norm.h"
#include "rng.h"

#include <math.h>

/* The geometry of the conv2d this layer is the transpose of. */
static gan_conv_shape conv_shape(const gan_layer *l) {
    return (gan_conv_shape){l->units, l->out[1], l->out[2], l->kernel, l->stride, l->pad,
                            l->in[1], l->in[2]};
}

static size_t sn_scratch(const gan_layer *l) {
    int cols = l->in[0] * l->kernel * l->kernel;
    return l->spectral_norm ? gan_sn_scratch_size_dim1(l->units, cols) : 0;
}

static gan_status conv_transpose2d_setup(gan_layer *l) {
    int k = l->kernel, s = l->stride, p = l->pad, H = l->in[1], W = l->in[2];
    if (l->units <= 0 || k <= 0 || s <= 0 || p < 0)
        return gan_fail(GAN_ERR_SHAPE, "conv_transpose2d: out_channels %d, kernel %d, stride %d "
                        "must be positive and padding %d non-negative", l->units, k, s, p);
    int OH = (H - 1) * s - 2 * p + k, OW = (W - 1) * s - 2 * p + k;
    if (OH <= 0 || OW <= 0)
        return gan_fail(GAN_ERR_SHAPE, "conv_transpose2d: a %dx%d input with kernel %d, stride "
                        "%d, padding %d gives an empty %dx%d output", H, W, k, s, p, OH, OW);
    l->out[0] = l->units;
    l->out[1] = OH;
    l->out[2] = OW;
    size_t K = (size_t)l->units * k * k, P = (size_t)H * W;
    int most = l->group > 0 ? GAN_MIN(l->group, l->max_batch) : l->max_batch;
    l->group = gan_conv_group(K * P, most);
    l->n_params = (size_t)l->in[0] * K + l->units;
    if (l->spectral_norm) l->n_state = gan_sn_state_size(l->units, l->in[0] * k * k);
    l->n_scratch = sn_scratch(l);
    return GAN_OK;
}

/* The im2col path's floats of work (0: direct convolutions). */
static size_t im2col_work(const gan_layer *l, const gan_backend *be) {
    if (gan_backend_supports_group(be, GAN_KERNEL_GROUP_CONV_DIRECT)) return 0;
    size_t K = (size_t)l->units * l->kernel * l->kernel, P = (size_t)l->in[1] * l->in[2];
    return (K + l->in[0]) * l->group * P;
}

static size_t conv_transpose2d_work(const gan_layer *l, const gan_backend *be) {
    return im2col_work(l, be) + gan_layer_act_grad_work(l); /* dz after the columns */
}

/* y += b per channel, with the fused activation if any */
static void add_bias(const gan_layer *l, const gan_backend *be, float *y, const float *b, int N) {
    int Cout = l->units, P = l->out[1] * l->out[2];
    if (l->act.on) be->channel_bias_act_forward(be->ctx, y, b, N, Cout, P, l->act);
    else be->channel_bias_forward(be->ctx, y, b, N, Cout, P);
}

static void conv_transpose2d_init(gan_layer *l, uint64_t seed, uint64_t stream) {
    size_t nw = (size_t)l->in[0] * l->units * l->kernel * l->kernel;
    float limit = (float)sqrt(6.0 / ((double)(l->in[0] + l->units) * l->kernel * l->kernel));
    gan_rng_uniform(seed, stream, l->params, nw);
    for (size_t i = 0; i < nw; i++) l->params[i] = (2.0f * l->params[i] - 1.0f) * limit;
    for (int i = 0; i < l->units; i++) l->params[nw + i] = 0.0f;
    if (l->spectral_norm)
        gan_sn_init(l, seed, stream, l->units, l->in[0] * l->kernel * l->kernel);
}

static void conv_transpose2d_forward(gan_layer *l, const gan_backend *be, const float *x,
                                     float *y, int N, bool train) {
    gan_conv_shape cs = conv_shape(l);
    int Cin = l->in[0], Cout = l->units, K = Cout * cs.k * cs.k, P = cs.OH * cs.OW;
    const float *W = l->params, *b = l->params + (size_t)Cin * K;
    if (l->spectral_norm) W = gan_sn_forward_dim1(l, be, Cin, Cout, cs.k * cs.k, train);
    if (be->conv2d_backward_data) {
        be->conv2d_backward_data(be->ctx, y, x, W, N, &cs, Cin);
        add_bias(l, be, y, b, N);
        return;
    }
    float *cols = l->work;                             /* (K, G P) */
    float *t = cols + (size_t)K * l->group * P;        /* (Cin, G P) */
    for (int n0 = 0; n0 < N; n0 += l->group) {
        int G = GAN_MIN(l->group, N - n0);
        be->nchw_to_cmajor(be->ctx, t, x + (size_t)n0 * l->in_size, G, Cin, P);
        be->gemm(be->ctx, true, false, K, G * P, Cin, 1.0f, W, K, t, G * P, 0.0f, cols, G * P);
        be->col2im(be->ctx, y + (size_t)n0 * l->out_size, cols, G, &cs);
    }
    add_bias(l, be, y, b, N);
}

static void conv_transpose2d_backward(gan_layer *l, const gan_backend *be, const float *x,
                                      const float *y, const float *dy, float *dx, int N,
                                      bool param_grads) {
    gan_conv_shape cs = conv_shape(l);
    int Cin = l->in[0], Cout = l->units, K = Cout * cs.k * cs.k, P = cs.OH * cs.OW;
    bool sn = l->spectral_norm;
    int kk = cs.k * cs.k;
    /* what the forward computed with; with spectral norm dW is written to its slot */
    const float *W = sn ? gan_sn_weight_dim1(l, Cout, Cin * kk) : l->params;
    float *dW = sn ? gan_sn_dw_dim1(l, Cout, Cin * kk) : l->grads;
    float *db = l->grads + (size_t)Cin * K;
    int Pout = l->out[1] * l->out[2];
    if (l->act.on) { /* dz through the fused activation (after the im2col work), and db */
        if (!param_grads && !dx) return;
        float *dz = gan_layer_act_grad_at(l, y, im2col_work(l, be));
        be->channel_bias_act_backward(be->ctx, dz, param_grads ? db : NULL, dy, y, N, Cout, Pout,
                                      l->act);
        dy = dz;
    }
    if (be->conv2d_forward) {
        if (param_grads) {
            be->conv2d_backward_weight(be->ctx, dW, dy, x, N, &cs, Cin, sn ? 0.0f : 1.0f);
            if (sn) gan_sn_backward_dim1(l, be, Cin, Cout, kk);
            if (!l->act.on) be->channel_bias_backward(be->ctx, db, dy, N, Cout, Pout);
        }
        if (dx) be->conv2d_forward(be->ctx, dx, dy, W, NULL, N, &cs, Cin);
        return;
    }
    float *cols = l->work;                             /* (K, G P) */
    float *t = cols + (size_t)K * l->group * P;        /* (Cin, G P) */
    for (int n0 = 0; n0 < N; n0 += l->group) {
        int G = GAN_MIN(l->group, N - n0);
        be->im2col(be->ctx, cols, dy + (size_t)n0 * l->out_size, G, &cs);
        if (param_grads) {
            be->nchw_to_cmajor(be->ctx, t, x + (size_t)n0 * l->in_size, G, Cin, P);
            float beta = sn && n0 == 0 ? 0.0f : 1.0f; /* the spectral-norm slot is written */
            be->gemm(be->ctx, false, true, Cin, K, G * P, 1.0f, t, G * P, cols, G * P, beta, dW, K);
        }
        if (dx) {
            be->gemm(be->ctx, false, false, Cin, G * P, K, 1.0f, W, K, cols, G * P, 0.0f, t, G * P);
            be->cmajor_to_nchw(be->ctx, dx + (size_t)n0 * l->in_size, t, NULL, G, Cin, P);
        }
    }
    if (param_grads) {
        if (sn) gan_sn_backward_dim1(l, be, Cin, Cout, kk);
        if (!l->act.on) be->channel_bias_backward(be->ctx, db, dy, N, Cout, Pout);
    }
}

static int conv_transpose2d_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    if (max < 4) return 0;
    int k = l->kernel;
    size_t nw = (size_t)l->in[0] * l->units * k * k;
    t[0] = (gan_layer_tensor){l->spectral_norm ? "weight_orig" : "weight", l->params, l->grads,
                              4, {l->in[0], l->units, k, k}, nw};
    t[1] = (gan_layer_tensor){"bias", l->params + nw, l->grads ? l->grads + nw : NULL, 1,
                              {l->units}, (size_t)l->units};
    if (!l->spectral_norm) return 2;
    gan_sn_tensors(l, l->units, l->in[0] * k * k, t + 2);
    return 4;
}

static bool conv_transpose2d_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                                       int n_classes, char *why, size_t cap) {
    gan_layer_conv_transpose2d(l, (int)v[0].i, (int)v[1].i, (int)v[2].i, (int)v[3].i);
    gan_layer_set_spectral_norm(l, v[4].b);
    return true;
}

static bool conv_transpose2d_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    if (l->spectral_norm) return false; /* not exported yet */
    /* y = b; then every input pixel scatters W[c][o] into y around (ih s - p, iw s - p) */
    int OP = l->out[1] * l->out[2];
    gan_c_put(c, "    {\n        int ih, iw, c, i, j;\n"
                 "        for (o = 0; o < %d; o++)\n"
                 "            for (k = 0; k < %d; k++) y[o * %d + k] = %s_l%d_bias[o];\n"
                 "        for (c = 0; c < %d; c++)\n"
                 "            for (ih = 0; ih < %d; ih++)\n"
                 "                for (iw = 0; iw < %d; iw++) {\n"
                 "                    float v = x[(c * %d + ih) * %d + iw];\n"
                 "                    for (o = 0; o < %d; o++)\n"
                 "                        for (i = 0; i < %d; i++) {\n"
                 "                            int oh = ih * %d - %d + i;\n"
                 "                            if (oh < 0 || oh >= %d) continue;\n"
                 "                            for (j = 0; j < %d; j++) {\n"
                 "                                int ow = iw * %d - %d + j;\n"
                 "                                if (ow < 0 || ow >= %d) continue;\n"
                 "                                y[(o * %d + oh) * %d + ow] +=\n"
                 "                                    v * %s_l%d_weight[((c * %d + o) * %d + i) * %d + j];\n"
                 "                            }\n"
                 "                        }\n"
                 "                }\n    }\n",
        l->out[0], OP, OP, p, i, l->in[0], l->in[1], l->in[2], l->in[1], l->in[2],
        l->out[0], l->kernel, l->stride, l->pad, l->out[1], l->kernel, l->stride, l->pad,
        l->out[2], l->out[1], l->out[2], p, i, l->out[0], l->kernel, l->kernel);
    return true;
}

const gan_layer_ops gan_layer_kind_conv_transpose2d = {
    .name = "conv_transpose2d",
    .flags = GAN_LAYER_SPECTRAL_NORM | GAN_LAYER_BACKWARD_NO_OUTPUT |
             GAN_LAYER_TAKES_ACTIVATION_FROM_OUTPUT,
    .n_positional = 1,
    .keys = {GAN_KEY_OUT(GAN_KEY_MAX_CHANNELS), GAN_KEY_KERNEL, GAN_KEY_STRIDE, GAN_KEY_PADDING,
             GAN_KEY_SPECTRAL_NORM},
    GAN_LAYER_OPS_NAMED(conv_transpose2d),
    .export_c = conv_transpose2d_export_c,
    .work = conv_transpose2d_work,
};

void gan_layer_conv_transpose2d(gan_layer *l, int out_channels, int kernel, int stride,
                                int pad) {
    *l = (gan_layer){.ops = &gan_layer_kind_conv_transpose2d, .units = out_channels,
                     .kernel = kernel, .stride = stride, .pad = pad};
}
