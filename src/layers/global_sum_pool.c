/*
 * global_sum_pool.c - the sum over each channel's plane (SN-GAN's
 * discriminator head, torch.sum(x, dim=(2, 3))): x (N, C, H, W) -> y (N, C,
 * 1, 1). No parameters.
 *
 * Forward is block_sum with one H x W block, backward block_spread (every
 * pixel of a plane gets the plane's gradient).
 */
#include "layers/layer.h"

static gan_status global_sum_pool_setup(gan_layer *l) {
    l->out[0] = l->in[0];
    l->out[1] = l->out[2] = 1;
    return GAN_OK;
}

static void global_sum_pool_init(gan_layer *l, uint64_t seed, uint64_t stream) {}

static void global_sum_pool_forward(gan_layer *l, const gan_backend *be, const float *x,
                                    float *y, int N, bool train) {
    int H = l->in[1], W = l->in[2];
    be->block_sum(be->ctx, y, x, N * l->in[0], H, W, H, W, 1.0f);
}

static void global_sum_pool_backward(gan_layer *l, const gan_backend *be, const float *x,
                                     const float *y, const float *dy, float *dx, int N,
                                     bool param_grads) {
    int H = l->in[1], W = l->in[2];
    if (dx) be->block_spread(be->ctx, dx, dy, N * l->in[0], H, W, H, W, 1.0f);
}

static int global_sum_pool_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    return 0;
}

static bool global_sum_pool_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                                      int n_classes, char *why, size_t cap) {
    gan_layer_global_sum_pool(l);
    return true;
}

static bool global_sum_pool_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    int P = l->in[1] * l->in[2];
    gan_c_put(c, "    for (o = 0; o < %d; o++) {\n"
                 "        double s = 0;\n"
                 "        for (k = 0; k < %d; k++) s += x[o * %d + k];\n"
                 "        y[o] = (float)s;\n"
                 "    }\n", l->in[0], P, P);
    return true;
}

const gan_layer_ops gan_layer_kind_global_sum_pool = {
    .name = "global_sum_pool",
    .flags = GAN_LAYER_BACKWARD_NO_OUTPUT | GAN_LAYER_BACKWARD_NO_INPUT,
    GAN_LAYER_OPS_NAMED(global_sum_pool),
    .export_c = global_sum_pool_export_c,
};

void gan_layer_global_sum_pool(gan_layer *l) {
    *l = (gan_layer){.ops = &gan_layer_kind_global_sum_pool};
}
