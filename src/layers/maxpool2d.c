/*
 * maxpool2d.c - 2-D max pooling (PyTorch MaxPool2d, square window, no
 * padding): x (N, C, H, W) -> y (N, C, OH, OW), OH = floor((H - k) / s) + 1,
 * each output the maximum of its k x k window.
 *
 * No parameters and no scratch: the backward finds each window's maximum
 * again by comparing x with the saved output y, and routes the window's
 * gradient to the first element (row-major) equal to it (PyTorch's choice
 * on ties too).
 */
#include "layers/keys.h"
#include "layers/layer.h"

static gan_conv_shape pool_shape(const gan_layer *l) {
    return (gan_conv_shape){l->in[0], l->in[1], l->in[2], l->kernel, l->stride, 0,
                            l->out[1], l->out[2]};
}

static gan_status maxpool2d_setup(gan_layer *l) {
    int k = l->kernel, s = l->stride;
    if (k <= 0 || s <= 0)
        return gan_fail(GAN_ERR_SHAPE, "maxpool2d: kernel %d and stride %d must be positive", k,
                        s);
    if (l->in[1] < k || l->in[2] < k)
        return gan_fail(GAN_ERR_SHAPE, "maxpool2d: a %dx%d window does not fit a %dx%d input", k,
                        k, l->in[1], l->in[2]);
    l->out[0] = l->in[0];
    l->out[1] = (l->in[1] - k) / s + 1;
    l->out[2] = (l->in[2] - k) / s + 1;
    return GAN_OK;
}

static void maxpool2d_init(gan_layer *l, uint64_t seed, uint64_t stream) {}

static void maxpool2d_forward(gan_layer *l, const gan_backend *be, const float *x, float *y,
                              int N, bool train) {
    gan_conv_shape cs = pool_shape(l);
    be->maxpool2d_forward(be->ctx, y, x, N, &cs);
}

static void maxpool2d_backward(gan_layer *l, const gan_backend *be, const float *x,
                               const float *y, const float *dy, float *dx, int N,
                               bool param_grads) {
    if (!dx) return;
    gan_conv_shape cs = pool_shape(l);
    be->maxpool2d_backward(be->ctx, dx, x, y, dy, N, &cs);
}

static int maxpool2d_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    return 0;
}

static bool maxpool2d_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                                int n_classes, char *why, size_t cap) {
    gan_layer_maxpool2d(l, (int)v[0].i, (int)v[1].i);
    return true;
}

/* Its kernels are the classifier's, which only the CPU backend has. */
static const gan_kernel maxpool2d_kernels[] = {GAN_K_maxpool2d_forward, GAN_K_maxpool2d_backward,
                                               GAN_K_COUNT};

const gan_layer_ops gan_layer_kind_maxpool2d = {
    .name = "maxpool2d",
    .flags = GAN_LAYER_CPU_ONLY,
    .n_positional = 2,
    .keys = {GAN_KEY_KERNEL, {"stride", SPEC_INT, NULL, false, 1, 16, false, false, NULL}},
    GAN_LAYER_OPS_NAMED(maxpool2d),
    .kernels = maxpool2d_kernels,
};

void gan_layer_maxpool2d(gan_layer *l, int kernel, int stride) {
    *l = (gan_layer){.ops = &gan_layer_kind_maxpool2d, .kernel = kernel, .stride = stride};
}
