/*
 * batchnorm.c - batch normalization over the batch of flat feature vectors,
 * Keras semantics: training mode normalises with the batch mean and biased
 * variance and updates running = momentum * running + (1 - momentum) * batch;
 * inference mode uses the running statistics. y = gamma * xhat + beta.
 *
 * Parameters: weight = gamma (F), bias = beta (F). State: running_mean (F),
 * running_var (F). Scratch: batch mean (F), rstd (F) for backward.
 *
 * It takes a following relu or leaky_relu into its kernels when the model
 * fuses them (l->act), as batchnorm2d.c does; and, in training, the bias and
 * activation of a dense layer right before it (layer.h:
 * GAN_LAYER_TAKES_INPUT_BIAS, l->in_bias): its input is then that layer's
 * product, made x = act(x + b) in place by the forward's kernel.
 */
#include "layers/keys.h"
#include "layers/layer.h"

static gan_status batchnorm_setup(gan_layer *l) {
    for (int i = 0; i < 3; i++) l->out[i] = l->in[i];
    size_t F = (size_t)l->in_size;
    l->n_params = 2 * F;
    l->n_state = 2 * F;
    l->n_scratch = 4 * F; /* mean, rstd; the sums of --sync-bn (batchnorm_sync.c) */
    return GAN_OK;
}

static void batchnorm_init(gan_layer *l, uint64_t seed, uint64_t stream) {
    size_t F = (size_t)l->in_size;
    for (size_t i = 0; i < F; i++) {
        l->params[i] = 1.0f;     /* gamma */
        l->params[F + i] = 0.0f; /* beta */
        l->state[i] = 0.0f;      /* running mean */
        l->state[F + i] = 1.0f;  /* running variance */
    }
}

static void batchnorm_forward(gan_layer *l, const gan_backend *be, const float *x, float *y,
                              int N, bool train) {
    int F = l->in_size;
    const float *gamma = l->params, *beta = l->params + F;
    float *running_mean = l->state, *running_var = l->state + F;
    l->last_train = train; /* which backward follows (--sync-bn) */
    float *xw = (float *)x; /* the layer before's own output: the deferred bias goes there */
    if (train && l->in_bias && !l->sync)
        be->bias_act_batchnorm_forward_train(be->ctx, y, l->scratch, l->scratch + F, running_mean,
                                             running_var, xw, l->in_bias, l->in_act, gamma,
                                             beta, N, F, l->momentum, l->eps, l->act);
    else if (train && l->sync) {
        if (l->in_bias) be->bias_act_forward(be->ctx, xw, l->in_bias, N, F, l->in_act);
        gan_batchnorm_sync_forward(l, be, x, y, N, F, 1);
    } else if (train)
        be->batchnorm_forward_train(be->ctx, y, l->scratch, l->scratch + F, running_mean, running_var, x,
                                    gamma, beta, N, F, l->momentum, l->eps, l->act);
    else
        be->batchnorm_forward_infer(be->ctx, y, x, running_mean, running_var, gamma, beta, N, F, l->eps,
                                    l->act);
}

static void batchnorm_backward(gan_layer *l, const gan_backend *be, const float *x,
                               const float *y, const float *dy, float *dx, int N,
                               bool param_grads) {
    int F = l->in_size;
    float *in_db = param_grads ? l->in_bias_grad : NULL;
    if (l->sync && l->last_train) {
        gan_batchnorm_sync_backward(l, be, x, dy, dx, N, F, 1, param_grads);
        if (l->in_bias) be->bias_act_backward(be->ctx, dx, in_db, dx, x, N, F, l->in_act);
        return;
    }
    if (l->in_bias) { /* dx through the layer before's activation, and its bias gradient */
        be->batchnorm_backward_bias_act(be->ctx, dx, in_db, param_grads ? l->grads : NULL,
                                        param_grads ? l->grads + F : NULL, dy, x, l->scratch,
                                        l->scratch + F, l->params, l->params + F, N, F, l->act,
                                        l->in_act);
        return;
    }
    be->batchnorm_backward(be->ctx, dx, param_grads ? l->grads : NULL, param_grads ? l->grads + F : NULL,
                           dy, x, l->scratch, l->scratch + F, l->params, l->params + F, N, F,
                           l->act);
}

static int batchnorm_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    if (max < 4) return 0;
    size_t F = (size_t)l->in_size;
    t[0] = (gan_layer_tensor){"weight", l->params, l->grads, 1, {(int64_t)F}, F};
    t[1] = (gan_layer_tensor){"bias", l->params + F, l->grads ? l->grads + F : NULL, 1,
                              {(int64_t)F}, F};
    t[2] = (gan_layer_tensor){"running_mean", l->state, NULL, 1, {(int64_t)F}, F};
    t[3] = (gan_layer_tensor){"running_var", l->state + F, NULL, 1, {(int64_t)F}, F};
    return 4;
}

static bool batchnorm_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                                int n_classes, char *why, size_t cap) {
    gan_layer_batchnorm(l, v[0].f, v[1].f);
    return true;
}

/* inference: y = (x - running_mean) gamma / sqrt(running_var + eps) + beta */
static bool batchnorm_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    gan_c_put(c, "    for (k = 0; k < %d; k++)\n"
                 "        y[k] = (x[k] - %s_l%d_running_mean[k]) *\n"
                 "               (%s_l%d_weight[k] / sqrtf(%s_l%d_running_var[k] + %a)) +\n"
                 "               %s_l%d_bias[k];\n", l->out_size, p, i, p, i, p, i, l->eps, p, i);
    return true;
}

const gan_layer_ops gan_layer_kind_batchnorm = {
    .name = "batchnorm",
    .flags = GAN_LAYER_BATCH_STATISTICS | GAN_LAYER_BACKWARD_NO_OUTPUT |
             GAN_LAYER_TAKES_ACTIVATION | GAN_LAYER_TAKES_INPUT_BIAS,
    .keys = {GAN_KEY_MOMENTUM, GAN_KEY_EPS},
    GAN_LAYER_OPS_NAMED(batchnorm),
    .export_c = batchnorm_export_c,
};

void gan_layer_batchnorm(gan_layer *l, float momentum, float eps) {
    *l = (gan_layer){.ops = &gan_layer_kind_batchnorm, .momentum = momentum, .eps = eps};
}
