/*
 * activation.c - element-wise activations without parameters: LeakyReLU
 * (y = x if x > 0 else alpha x), ReLU (LeakyReLU's kernels with alpha 0)
 * and tanh. Shapes pass through unchanged.
 *
 * Each may run in place (layer.h: in_place): the backward of tanh reads
 * its output, and that of (leaky) ReLU tests the sign of its output, which
 * is the input's for alpha >= 0 (alpha 0 gives y = 0 or -0 where x <= 0,
 * so y > 0 exactly where x > 0): the same dx, bit for bit.
 *
 * Each may also be fused into the layer before it (layer.h: fusable_act):
 * (leaky) ReLU into a batch norm, and all three into a dense layer, which
 * takes the derivative from its output (so leaky ReLU only with alpha >= 0,
 * as for in_place); the model then runs it as a view.
 */
#include "layers/layer.h"

static gan_status same_shape_setup(gan_layer *l) {
    for (int i = 0; i < 3; i++) l->out[i] = l->in[i];
    return GAN_OK;
}

static void no_init(gan_layer *l, uint64_t seed, uint64_t stream) {}

static int no_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    return 0;
}

static void leaky_relu_forward(gan_layer *l, const gan_backend *be, const float *x, float *y,
                               int N, bool train) {
    be->leaky_relu_forward(be->ctx, y, x, (size_t)N * l->in_size, l->alpha);
}

/* in place only where y's sign is x's */
static bool leaky_relu_in_place(const gan_layer *l) {
    return l->alpha >= 0.0f;
}

static bool leaky_relu_fusable(const gan_layer *l, gan_act *act) {
    *act = (gan_act){.on = true, .slope = l->alpha};
    return true;
}

static void leaky_relu_backward(gan_layer *l, const gan_backend *be, const float *x,
                                const float *y, const float *dy, float *dx, int N,
                                bool param_grads) {
    const float *sign = leaky_relu_in_place(l) ? y : x; /* x may be overwritten by y */
    if (dx) be->leaky_relu_backward(be->ctx, dx, sign, dy, (size_t)N * l->in_size, l->alpha);
}

static bool always_in_place(const gan_layer *l) {
    return true;
}

static bool tanh_fusable(const gan_layer *l, gan_act *act) {
    *act = (gan_act){.on = true, .tanh = true};
    return true;
}

static void tanh_forward(gan_layer *l, const gan_backend *be, const float *x, float *y, int N,
                         bool train) {
    be->tanh_forward(be->ctx, y, x, (size_t)N * l->in_size);
}

static void tanh_backward(gan_layer *l, const gan_backend *be, const float *x, const float *y,
                          const float *dy, float *dx, int N, bool param_grads) {
    if (dx) be->tanh_backward(be->ctx, dx, y, dy, (size_t)N * l->in_size);
}

static bool leaky_relu_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                                 int n_classes, char *why, size_t cap) {
    gan_layer_leaky_relu(l, v[0].f);
    return true;
}

static bool relu_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                           int n_classes, char *why, size_t cap) {
    gan_layer_relu(l);
    return true;
}

static bool tanh_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                           int n_classes, char *why, size_t cap) {
    gan_layer_tanh(l);
    return true;
}

static bool leaky_relu_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    gan_c_put(c, "    for (k = 0; k < %d; k++) y[k] = x[k] > 0.0f ? x[k] : %a * x[k];\n",
              l->out_size, l->alpha);
    return true;
}

static bool relu_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    gan_c_put(c, "    for (k = 0; k < %d; k++) y[k] = x[k] > 0.0f ? x[k] : 0.0f;\n", l->out_size);
    return true;
}

static bool tanh_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    gan_c_put(c, "    for (k = 0; k < %d; k++) y[k] = tanhf(x[k]);\n", l->out_size);
    return true;
}

const gan_layer_ops gan_layer_kind_leaky_relu = {
    .name = "leaky_relu",
    .n_positional = 1,
    .keys = {{"alpha", SPEC_NUMBER, NULL, false, 0, 1, false, false, NULL}},
    .configure = leaky_relu_configure,
    .setup = same_shape_setup,
    .init = no_init,
    .forward = leaky_relu_forward,
    .backward = leaky_relu_backward,
    .tensors = no_tensors,
    .in_place = leaky_relu_in_place,
    .fusable_act = leaky_relu_fusable,
    .export_c = leaky_relu_export_c,
};

const gan_layer_ops gan_layer_kind_relu = {
    .name = "relu",
    .configure = relu_configure,
    .setup = same_shape_setup,
    .init = no_init,
    .forward = leaky_relu_forward,
    .backward = leaky_relu_backward,
    .tensors = no_tensors,
    .in_place = leaky_relu_in_place,
    .fusable_act = leaky_relu_fusable,
    .export_c = relu_export_c,
};

const gan_layer_ops gan_layer_kind_tanh = {
    .name = "tanh",
    .configure = tanh_configure,
    .setup = same_shape_setup,
    .init = no_init,
    .forward = tanh_forward,
    .backward = tanh_backward,
    .tensors = no_tensors,
    .in_place = always_in_place,
    .fusable_act = tanh_fusable,
    .export_c = tanh_export_c,
};

void gan_layer_leaky_relu(gan_layer *l, float alpha) {
    *l = (gan_layer){.ops = &gan_layer_kind_leaky_relu, .alpha = alpha};
}

void gan_layer_tanh(gan_layer *l) {
    *l = (gan_layer){.ops = &gan_layer_kind_tanh};
}

void gan_layer_relu(gan_layer *l) {
    *l = (gan_layer){.ops = &gan_layer_kind_relu, .alpha = 0.0f};
}
