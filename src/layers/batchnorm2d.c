/*
 * batchnorm2d.c - batch normalization per channel of (C, H, W) samples
 * (PyTorch BatchNorm2d's statistics, Keras's running-statistics convention,
 * as batchnorm.c): training mode normalises each channel with the mean and
 * biased variance over N, H, W and updates running = momentum * running +
 * (1 - momentum) * batch; inference mode uses the running statistics.
 *
 * Parameters: weight = gamma (C), bias = beta (C). State: running_mean (C),
 * running_var (C). Scratch: batch mean (C), rstd (C) for backward.
 */
#include "layers/layer.h"

static gan_status batchnorm2d_setup(gan_layer *l) {
    for (int i = 0; i < 3; i++) l->out[i] = l->in[i];
    size_t C = (size_t)l->in[0];
    l->n_params = 2 * C;
    l->n_state = 2 * C;
    l->n_scratch = 2 * C;
    return GAN_OK;
}

static void batchnorm2d_init(gan_layer *l, uint64_t seed, uint64_t stream) {
    size_t C = (size_t)l->in[0];
    for (size_t i = 0; i < C; i++) {
        l->params[i] = 1.0f;     /* gamma */
        l->params[C + i] = 0.0f; /* beta */
        l->state[i] = 0.0f;      /* running mean */
        l->state[C + i] = 1.0f;  /* running variance */
    }
}

static void batchnorm2d_forward(gan_layer *l, const gan_backend *be, const float *x, float *y,
                                int N, bool train) {
    int C = l->in[0], P = l->in[1] * l->in[2];
    const float *gamma = l->params, *beta = l->params + C;
    float *running_mean = l->state, *running_var = l->state + C;
    if (train)
        be->batchnorm2d_forward_train(be->ctx, y, l->scratch, l->scratch + C, running_mean, running_var,
                                      x, gamma, beta, N, C, P, l->momentum, l->eps);
    else
        be->batchnorm2d_forward_infer(be->ctx, y, x, running_mean, running_var, gamma, beta, N, C, P,
                                      l->eps);
}

static void batchnorm2d_backward(gan_layer *l, const gan_backend *be, const float *x,
                                 const float *y, const float *dy, float *dx, int N,
                                 bool param_grads) {
    int C = l->in[0], P = l->in[1] * l->in[2];
    be->batchnorm2d_backward(be->ctx, dx, param_grads ? l->grads : NULL,
                             param_grads ? l->grads + C : NULL, dy, x, l->scratch,
                             l->scratch + C, l->params, N, C, P);
}

static int batchnorm2d_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    if (max < 4) return 0;
    size_t C = (size_t)l->in[0];
    t[0] = (gan_layer_tensor){"weight", l->params, l->grads, 1, {(int64_t)C}, C};
    t[1] = (gan_layer_tensor){"bias", l->params + C, l->grads ? l->grads + C : NULL, 1,
                              {(int64_t)C}, C};
    t[2] = (gan_layer_tensor){"running_mean", l->state, NULL, 1, {(int64_t)C}, C};
    t[3] = (gan_layer_tensor){"running_var", l->state + C, NULL, 1, {(int64_t)C}, C};
    return 4;
}

static const gan_layer_ops batchnorm2d_ops = {"batchnorm2d",        batchnorm2d_setup,
                                              batchnorm2d_init,     batchnorm2d_forward,
                                              batchnorm2d_backward, batchnorm2d_tensors};

void gan_layer_batchnorm2d(gan_layer *l, float momentum, float eps) {
    *l = (gan_layer){.ops = &batchnorm2d_ops, .momentum = momentum, .eps = eps};
}
