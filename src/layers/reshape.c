/*
 * reshape.c - reinterpret the per-sample shape without moving data
 * (Keras Reshape and Flatten). The model treats it as a view: its output
 * buffer IS its input buffer, and dx IS dy.
 */
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

static const gan_layer_ops reshape_ops = {"reshape",        reshape_setup,    reshape_init,
                                          reshape_forward,  reshape_backward, reshape_tensors};

void gan_layer_reshape(gan_layer *l, int c, int h, int w) {
    *l = (gan_layer){.ops = &reshape_ops, .is_view = true, .out = {c, h, w}};
}
