/*
 * dense.c - fully connected layer: y (N, out) = x (N, in) W^T + b.
 *
 * Parameters (PyTorch layout): weight W (out, in), then bias b (out).
 * Init: W ~ U(-limit, limit), limit = sqrt(6 / (in + out)) (Glorot uniform,
 * Keras's default), b = 0.
 */
#include "layers/layer.h"
#include "rng.h"

#include <math.h>

static gan_status dense_setup(gan_layer *l) {
    if (l->units <= 0) return gan_fail(GAN_ERR_SHAPE, "dense: units must be positive");
    l->out[0] = l->units;
    l->out[1] = l->out[2] = 1;
    l->n_params = (size_t)l->units * l->in_size + l->units;
    return GAN_OK;
}

static void dense_init(gan_layer *l, uint64_t seed, uint64_t stream) {
    size_t nw = (size_t)l->units * l->in_size;
    float limit = (float)sqrt(6.0 / (double)(l->in_size + l->units));
    gan_rng_uniform(seed, stream, l->params, nw);
    for (size_t i = 0; i < nw; i++) l->params[i] = (2.0f * l->params[i] - 1.0f) * limit;
    for (int i = 0; i < l->units; i++) l->params[nw + i] = 0.0f;
}

static void dense_forward(gan_layer *l, const gan_backend *be, const float *x, float *y, int N,
                          bool train) {
    const float *W = l->params, *b = l->params + (size_t)l->units * l->in_size;
    be->gemm(false, true, N, l->units, l->in_size, 1.0f, x, l->in_size, W, l->in_size, 0.0f, y,
             l->units);
    be->bias_forward(y, b, N, l->units);
}

static void dense_backward(gan_layer *l, const gan_backend *be, const float *x, const float *y,
                           const float *dy, float *dx, int N, bool param_grads) {
    int in = l->in_size, out = l->units;
    if (param_grads) {
        float *dW = l->grads, *db = l->grads + (size_t)out * in;
        be->gemm(true, false, out, in, N, 1.0f, dy, out, x, in, 1.0f, dW, in); /* dW += dy^T x */
        be->bias_backward(db, dy, N, out);
    }
    if (dx) be->gemm(false, false, N, in, out, 1.0f, dy, out, l->params, in, 0.0f, dx, in);
}

static int dense_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    if (max < 2) return 0;
    size_t nw = (size_t)l->units * l->in_size;
    t[0] = (gan_layer_tensor){"weight", l->params, l->grads, 2, {l->units, l->in_size}, nw};
    t[1] = (gan_layer_tensor){"bias", l->params + nw, l->grads ? l->grads + nw : NULL, 1,
                              {l->units}, (size_t)l->units};
    return 2;
}

static const gan_layer_ops dense_ops = {"dense",        dense_setup,    dense_init,
                                        dense_forward,  dense_backward, dense_tensors};

void gan_layer_dense(gan_layer *l, int units) {
    *l = (gan_layer){.ops = &dense_ops, .units = units};
}
