/*
 * reshape.c - reinterpret the per-sample shape without moving data
 * (Keras Reshape and Flatten): the kinds `reshape` (to c, h, w) and
 * `flatten` (to (C H W, 1, 1)). The model treats them as views: the output
 * buffer IS the input buffer, and dx IS dy (so export writes no code).
 */
#include "layers/keys.h"
#include "layers/layer.h"

static gan_status reshape_setup(gan_layer *l) {
    int c = l->out[0], h = l->out[1], w = l->out[2];
    if (c == 0) { /* flatten */
        l->out[0] = l->in_size;
        l->out[1] = l->out[2] = 1;
        return GAN_OK;
    }
    if ((int64_t)c * h * w != l->in_size)
        return gan_fail(GAN_ERR_SHAPE, "reshape: cannot view %d values as %dx%dx%d", l->in_size,
                        c, h, w);
    return GAN_OK;
}

static void reshape_init(gan_layer *l, uint64_t seed, uint64_t stream) {}

static void reshape_forward(gan_layer *l, const gan_backend *be, const float *x, float *y, int N,
                            bool train) {}

static void reshape_backward(gan_layer *l, const gan_backend *be, const float *x, const float *y,
                             const float *dy, float *dx, int N, bool param_grads) {}

static int reshape_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    return 0;
}

static bool reshape_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                              int n_classes, char *why, size_t cap) {
    gan_layer_reshape(l, (int)v[0].i, (int)v[1].i, (int)v[2].i);
    return true;
}

static bool flatten_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                              int n_classes, char *why, size_t cap) {
    gan_layer_reshape(l, 0, 0, 0);
    return true;
}

#define KEY_DIM(name) {name, SPEC_INT, NULL, false, 1, GAN_KEY_MAX_UNITS, false, false, NULL}

const gan_layer_ops gan_layer_kind_reshape = {
    .name = "reshape",
    .n_positional = 3,
    .keys = {KEY_DIM("c"), KEY_DIM("h"), KEY_DIM("w")},
    GAN_LAYER_OPS_NAMED(reshape),
};

const gan_layer_ops gan_layer_kind_flatten = {
    .name = "flatten",
    .configure = flatten_configure,
    .setup = reshape_setup,
    .init = reshape_init,
    .forward = reshape_forward,
    .backward = reshape_backward,
    .tensors = reshape_tensors,
};

void gan_layer_reshape(gan_layer *l, int c, int h, int w) {
    const gan_layer_ops *kind = c == 0 ? &gan_layer_kind_flatten : &gan_layer_kind_reshape;
    *l = (gan_layer){.ops = kind, .is_view = true, .out = {c, h, w}};
}
