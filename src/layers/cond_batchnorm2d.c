/*
 * cond_batchnorm2d.c - class-conditional batch normalization (the
 * categorical conditional batch norm of Miyato et al. 2018, BigGAN's
 * conditional BN with one learned gain and bias per class): per channel of
 * (C, H, W) samples, x is normalised as batchnorm2d does without its affine
 * (statistics over N, H, W; running statistics for inference), then
 * y = xhat * weight[label][c] + bias[label][c] with the row's class label.
 * Labels come through l->labels (gan_model_set_labels); a row without a
 * valid label gets y = xhat. Works for flat (F, 1, 1) inputs too (F
 * channels of one value).
 *
 * Parameters: weight (n_classes, C) init 1, bias (n_classes, C) init 0
 * (a PyTorch mirror: BatchNorm2d(C, affine=False) plus these two tensors).
 * State: running_mean (C), running_var (C). Scratch: batch mean (C), rstd
 * (C), xhat (max_batch, in_size). Work (layer.h): dxhat (max_batch,
 * in_size), in backward.
 */
#include "layers/keys.h"
#include "layers/layer.h"

#include <stdio.h>

static gan_status cond_batchnorm2d_setup(gan_layer *l) {
    if (l->n_classes <= 0)
        return gan_fail(GAN_ERR_SHAPE, "cond_batchnorm2d: needs at least one class");
    for (int i = 0; i < 3; i++) l->out[i] = l->in[i];
    size_t C = (size_t)l->in[0];
    l->n_params = 2 * (size_t)l->n_classes * C;
    l->n_state = 2 * C;
    l->n_scratch = 2 * C + (size_t)l->max_batch * l->in_size;
    return GAN_OK;
}

static size_t cond_batchnorm2d_work(const gan_layer *l, const gan_backend *be) {
    return (size_t)l->max_batch * l->in_size;
}

static void cond_batchnorm2d_init(gan_layer *l, uint64_t seed, uint64_t stream) {
    size_t C = (size_t)l->in[0], K = (size_t)l->n_classes * C;
    for (size_t i = 0; i < K; i++) l->params[i] = 1.0f, l->params[K + i] = 0.0f;
    for (size_t i = 0; i < C; i++) l->state[i] = 0.0f, l->state[C + i] = 1.0f;
}

static void cond_batchnorm2d_forward(gan_layer *l, const gan_backend *be, const float *x,
                                     float *y, int N, bool train) {
    int C = l->in[0], P = l->in[1] * l->in[2];
    size_t K = (size_t)l->n_classes * C;
    float *mean = l->scratch, *rstd = mean + C, *xhat = rstd + C;
    float *running_mean = l->state, *running_var = l->state + C;
    if (train)
        be->batchnorm2d_forward_train(be->ctx, xhat, mean, rstd, running_mean, running_var, x,
                                      NULL, NULL, N, C, P, l->momentum, l->eps, GAN_ACT_NONE);
    else
        be->batchnorm2d_forward_infer(be->ctx, xhat, x, running_mean, running_var, NULL, NULL, N,
                                      C, P, l->eps, GAN_ACT_NONE);
    be->class_affine_forward(be->ctx, y, xhat, l->labels, l->params, l->params + K, N, C, P,
                             l->n_classes);
}

static void cond_batchnorm2d_backward(gan_layer *l, const gan_backend *be, const float *x,
                                      const float *y, const float *dy, float *dx, int N,
                                      bool param_grads) {
    int C = l->in[0], P = l->in[1] * l->in[2];
    size_t K = (size_t)l->n_classes * C;
    float *mean = l->scratch, *rstd = mean + C, *xhat = rstd + C;
    float *dxhat = l->work;
    be->class_affine_backward(be->ctx, dx ? dxhat : NULL, param_grads ? l->grads : NULL,
                              param_grads ? l->grads + K : NULL, dy, xhat, l->labels, l->params,
                              N, C, P, l->n_classes);
    if (dx)
        be->batchnorm2d_backward(be->ctx, dx, NULL, NULL, dxhat, x, mean, rstd, NULL, NULL, N, C,
                                 P, GAN_ACT_NONE);
}

static int cond_batchnorm2d_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    if (max < 4) return 0;
    int64_t C = l->in[0];
    size_t K = (size_t)l->n_classes * C;
    t[0] = (gan_layer_tensor){"weight", l->params, l->grads, 2, {l->n_classes, C}, K};
    t[1] = (gan_layer_tensor){"bias", l->params + K, l->grads ? l->grads + K : NULL, 2,
                              {l->n_classes, C}, K};
    t[2] = (gan_layer_tensor){"running_mean", l->state, NULL, 1, {C}, (size_t)C};
    t[3] = (gan_layer_tensor){"running_var", l->state + C, NULL, 1, {C}, (size_t)C};
    return 4;
}

static bool cond_batchnorm2d_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                                       int n_classes, char *why, size_t cap) {
    gan_layer_cond_batchnorm2d(l, n_classes, v[0].f, v[1].f);
    return true;
}

/* inference: xhat with the running statistics, then the label's gain and bias */
static bool cond_batchnorm2d_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    int P = l->in[1] * l->in[2], C = l->in[0];
    gan_c_put(c, "    for (o = 0; o < %d; o++) {\n"
                 "        int known = label >= 0 && label < %d;\n"
                 "        float scale = 1.0f / sqrtf(%s_l%d_running_var[o] + %a);\n"
                 "        float g = known ? %s_l%d_weight[label * %d + o] : 1.0f;\n"
                 "        float b = known ? %s_l%d_bias[label * %d + o] : 0.0f;\n"
                 "        for (k = 0; k < %d; k++)\n"
                 "            y[o * %d + k] = (x[o * %d + k] - %s_l%d_running_mean[o]) * scale * g + b;\n"
                 "    }\n",
              C, l->n_classes, p, i, l->eps, p, i, C, p, i, C, P, P, P, p, i);
    return true;
}

const gan_layer_ops gan_layer_kind_cond_batchnorm2d = {
    .name = "cond_batchnorm2d",
    .flags = GAN_LAYER_BATCH_STATISTICS | GAN_LAYER_USES_LABELS | GAN_LAYER_BACKWARD_NO_OUTPUT,
    .keys = {GAN_KEY_MOMENTUM, GAN_KEY_EPS},
    GAN_LAYER_OPS_NAMED(cond_batchnorm2d),
    .export_c = cond_batchnorm2d_export_c,
    .work = cond_batchnorm2d_work,
};

void gan_layer_cond_batchnorm2d(gan_layer *l, int n_classes, float momentum, float eps) {
    *l = (gan_layer){.ops = &gan_layer_kind_cond_batchnorm2d, .n_classes = n_classes,
                     .momentum = momentum, .eps = eps};
}
