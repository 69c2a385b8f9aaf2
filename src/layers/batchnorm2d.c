/*
 * batchnorm2d.c - batch normalization per channel of (C, H, W) samples
 * (PyTorch BatchNorm2d's statistics, Keras's running-statistics convention,
 * as batchnorm.c): training mode normalises each channel with the mean and
 * biased variance over N, H, W and updates running = momentum * running +
 * (1 - momentum) * batch; inference mode uses the running statistics.
 *
 * Parameters: weight = gamma (C), bias = beta (C). State: running_mean (C),
 * running_var (C). Scratch: batch mean (C), rstd (C) for backward.
 *
 * It takes a following relu or leaky_relu into its kernels when the model
 * fuses them (l->act; layer.h: GAN_LAYER_TAKES_ACTIVATION): y is then the
 * activation's output, and backward, given that output's gradient, finds
 * the activation's derivative from x, so it still never reads y.
 */
#include "layers/keys.h"
#include "layers/layer.h"

static gan_status batchnorm2d_setup(gan_layer *l) {
    for (int i = 0; i < 3; i++) l->out[i] = l->in[i];
    size_t C = (size_t)l->in[0];
    l->n_params = 2 * C;
    l->n_state = 2 * C;
    l->n_scratch = 4 * C; /* mean, rstd; the sums of --sync-bn (batchnorm_sync.c) */
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
    l->last_train = train; /* which backward follows (--sync-bn) */
    if (train && l->sync)
        gan_batchnorm_sync_forward(l, be, x, y, N, C, P);
    else if (train)
        be->batchnorm2d_forward_train(be->ctx, y, l->scratch, l->scratch + C, running_mean, running_var,
                                      x, gamma, beta, N, C, P, l->momentum, l->eps, l->act);
    else
        be->batchnorm2d_forward_infer(be->ctx, y, x, running_mean, running_var, gamma, beta, N, C, P,
                                      l->eps, l->act);
}

static void batchnorm2d_backward(gan_layer *l, const gan_backend *be, const float *x,
                                 const float *y, const float *dy, float *dx, int N,
                                 bool param_grads) {
    int C = l->in[0], P = l->in[1] * l->in[2];
    if (l->sync && l->last_train) {
        gan_batchnorm_sync_backward(l, be, x, dy, dx, N, C, P, param_grads);
        return;
    }
    be->batchnorm2d_backward(be->ctx, dx, param_grads ? l->grads : NULL,
                             param_grads ? l->grads + C : NULL, dy, x, l->scratch,
                             l->scratch + C, l->params, l->params + C, N, C, P, l->act);
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

static bool batchnorm2d_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                                  int n_classes, char *why, size_t cap) {
    gan_layer_batchnorm2d(l, v[0].f, v[1].f);
    return true;
}

/* inference: y = (x - running_mean) gamma / sqrt(running_var + eps) + beta */
static bool batchnorm2d_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    int P = l->in[1] * l->in[2];
    gan_c_put(c, "    for (o = 0; o < %d; o++) {\n"
                 "        float scale = %s_l%d_weight[o] / sqrtf(%s_l%d_running_var[o] + %a);\n"
                 "        for (k = 0; k < %d; k++)\n"
                 "            y[o * %d + k] = (x[o * %d + k] - %s_l%d_running_mean[o]) * scale +\n"
                 "                            %s_l%d_bias[o];\n"
                 "    }\n", l->in[0], p, i, p, i, l->eps, P, P, P, p, i, p, i);
    return true;
}

const gan_layer_ops gan_layer_kind_batchnorm2d = {
    .name = "batchnorm2d",
    .flags = GAN_LAYER_BATCH_STATISTICS | GAN_LAYER_BACKWARD_NO_OUTPUT |
             GAN_LAYER_TAKES_ACTIVATION,
    .keys = {GAN_KEY_MOMENTUM, GAN_KEY_EPS},
    GAN_LAYER_OPS_NAMED(batchnorm2d),
    .export_c = batchnorm2d_export_c,
};

void gan_layer_batchnorm2d(gan_layer *l, float momentum, float eps) {
    *l = (gan_layer){.ops = &gan_layer_kind_batchnorm2d, .momentum = momentum, .eps = eps};
}
