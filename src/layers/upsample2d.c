/*
 * upsample2d.c - nearest-neighbour upsampling by an integer factor (PyTorch
 * nn.Upsample(scale_factor=f, mode="nearest")): x (N, C, H, W) -> y (N, C,
 * H f, W f), each input pixel repeated over an f x f block. No parameters.
 *
 * Forward is block_spread, backward block_sum (each input pixel's gradient
 * is the sum over its block), both with scale 1.
 */
#include "layers/keys.h"
#include "layers/layer.h"

static gan_status upsample2d_setup(gan_layer *l) {
    int f = l->stride;
    if (f <= 0) return gan_fail(GAN_ERR_SHAPE, "upsample2d: scale %d must be positive", f);
    l->out[0] = l->in[0];
    l->out[1] = l->in[1] * f;
    l->out[2] = l->in[2] * f;
    return GAN_OK;
}

static void upsample2d_init(gan_layer *l, uint64_t seed, uint64_t stream) {}

static void upsample2d_forward(gan_layer *l, const gan_backend *be, const float *x, float *y,
                               int N, bool train) {
    be->block_spread(be->ctx, y, x, N * l->in[0], l->out[1], l->out[2], l->stride, l->stride,
                     1.0f);
}

static void upsample2d_backward(gan_layer *l, const gan_backend *be, const float *x,
                                const float *y, const float *dy, float *dx, int N,
                                bool param_grads) {
    if (dx)
        be->block_sum(be->ctx, dx, dy, N * l->in[0], l->out[1], l->out[2], l->stride, l->stride,
                      1.0f);
}

static int upsample2d_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    return 0;
}

static bool upsample2d_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                                 int n_classes, char *why, size_t cap) {
    gan_layer_upsample2d(l, (int)v[0].i);
    return true;
}

static bool upsample2d_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    int H = l->in[1], W = l->in[2], OH = l->out[1], OW = l->out[2], f = l->stride;
    gan_c_put(c, "    for (o = 0; o < %d; o++)\n"
                 "        for (k = 0; k < %d; k++)\n"
                 "            y[o * %d + k] = x[o * %d + k / %d / %d * %d + k %% %d / %d];\n",
              l->in[0], OH * OW, OH * OW, H * W, OW, f, W, OW, f);
    return true;
}

const gan_layer_ops gan_layer_kind_upsample2d = {
    .name = "upsample2d",
    .flags = GAN_LAYER_BACKWARD_NO_OUTPUT | GAN_LAYER_BACKWARD_NO_INPUT | GAN_LAYER_RECOMPUTE,
    .n_positional = 1,
    .keys = {{"scale", SPEC_INT, "2", false, 1, 16, false, false, NULL}},
    GAN_LAYER_OPS_NAMED(upsample2d),
    .export_c = upsample2d_export_c,
};

void gan_layer_upsample2d(gan_layer *l, int scale) {
    *l = (gan_layer){.ops = &gan_layer_kind_upsample2d, .stride = scale};
}
