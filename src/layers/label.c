/*
 * label.c - label conditioning: append each row's class label to its input
 * as D extra channels, (C, H, W) -> (C + D, H, W), each constant over the
 * H x W plane (for a flat (F, 1, 1) input: D extra features).
 *   one-hot (embed_dim 0): D = n_classes, channel C + label is 1;
 *   embedding: D = embed_dim, channel C + k is weight[label][k].
 * Labels (N) come through l->labels, set by the model (gan_model_set_labels)
 * before the forward; NULL labels, or a label outside [0, n_classes), give
 * zero channels (and no embedding gradient).
 *
 * Parameters (embedding only): weight (n_classes, dim), PyTorch nn.Embedding
 * layout, init N(0, 1) like nn.Embedding.
 */
#include "layers/layer.h"
#include "rng.h"

static int label_channels(const gan_layer *l) {
    return l->embed_dim > 0 ? l->embed_dim : l->n_classes;
}

static gan_status label_setup(gan_layer *l) {
    if (l->n_classes <= 0 || l->embed_dim < 0)
        return gan_fail(GAN_ERR_SHAPE, "label: %d classes and embedding size %d: need at least "
                        "one class and a non-negative size", l->n_classes, l->embed_dim);
    l->out[0] = l->in[0] + label_channels(l);
    l->out[1] = l->in[1];
    l->out[2] = l->in[2];
    l->n_params = (size_t)l->n_classes * l->embed_dim;
    return GAN_OK;
}

static void label_init(gan_layer *l, uint64_t seed, uint64_t stream) {
    if (l->n_params) gan_rng_normal(seed, stream, l->params, l->n_params);
}

static void label_forward(gan_layer *l, const gan_backend *be, const float *x, float *y, int N,
                          bool train) {
    be->label_concat_forward(be->ctx, y, x, l->labels, l->embed_dim ? l->params : NULL, N, l->in[0],
                             l->in[1] * l->in[2], l->n_classes, label_channels(l));
}

static void label_backward(gan_layer *l, const gan_backend *be, const float *x, const float *y,
                           const float *dy, float *dx, int N, bool param_grads) {
    float *dtable = l->embed_dim && param_grads ? l->grads : NULL;
    be->label_concat_backward(be->ctx, dx, dtable, dy, l->labels, N, l->in[0], l->in[1] * l->in[2],
                              l->n_classes, label_channels(l));
}

static int label_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    if (!l->embed_dim || max < 1) return 0;
    t[0] = (gan_layer_tensor){"weight", l->params, l->grads, 2, {l->n_classes, l->embed_dim},
                              l->n_params};
    return 1;
}

static const gan_layer_ops label_onehot_ops = {"label_onehot",  label_setup,    label_init,
                                               label_forward,   label_backward, label_tensors};
static const gan_layer_ops label_embedding_ops = {"label_embedding", label_setup,
                                                  label_init,        label_forward,
                                                  label_backward,    label_tensors};

void gan_layer_label_onehot(gan_layer *l, int n_classes) {
    *l = (gan_layer){.ops = &label_onehot_ops, .n_classes = n_classes};
}

void gan_layer_label_embedding(gan_layer *l, int n_classes, int dim) {
    *l = (gan_layer){.ops = &label_embedding_ops, .n_classes = n_classes,
                     .embed_dim = dim > 0 ? dim : -1};
}
