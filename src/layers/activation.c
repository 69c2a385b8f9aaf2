/*
 * activation.c - element-wise activations without parameters: LeakyReLU
 * (y = x if x > 0 else alpha x), ReLU (LeakyReLU's kernels with alpha 0)
 * and tanh. Shapes pass through unchanged.
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

static void leaky_relu_backward(gan_layer *l, const gan_backend *be, const float *x,
                                const float *y, const float *dy, float *dx, int N,
                                bool param_grads) {
    if (dx) be->leaky_relu_backward(be->ctx, dx, x, dy, (size_t)N * l->in_size, l->alpha);
}

static void tanh_forward(gan_layer *l, const gan_backend *be, const float *x, float *y, int N,
                         bool train) {
    be->tanh_forward(be->ctx, y, x, (size_t)N * l->in_size);
}

static void tanh_backward(gan_layer *l, const gan_backend *be, const float *x, const float *y,
                          const float *dy, float *dx, int N, bool param_grads) {
    if (dx) be->tanh_backward(be->ctx, dx, y, dy, (size_t)N * l->in_size);
}

static const gan_layer_ops leaky_relu_ops = {"leaky_relu",        same_shape_setup,
                                             no_init,             leaky_relu_forward,
                                             leaky_relu_backward, no_tensors};
static const gan_layer_ops relu_ops = {"relu",        same_shape_setup,
                                       no_init,             leaky_relu_forward,
                                       leaky_relu_backward, no_tensors};
static const gan_layer_ops tanh_ops = {"tanh",        same_shape_setup, no_init,
                                       tanh_forward,  tanh_backward,    no_tensors};

void gan_layer_leaky_relu(gan_layer *l, float alpha) {
    *l = (gan_layer){.ops = &leaky_relu_ops, .alpha = alpha};
}

void gan_layer_tanh(gan_layer *l) {
    *l = (gan_layer){.ops = &tanh_ops};
}

void gan_layer_relu(gan_layer *l) {
    *l = (gan_layer){.ops = &relu_ops, .alpha = 0.0f};
}
