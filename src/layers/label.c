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
#include "layers/keys.h"
#include "layers/layer.h"
#include "rng.h"

#include <stdio.h>

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

static const char *const label_modes[] = {"onehot", "embedding", NULL};

static bool label_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                            int n_classes, char *why, size_t cap) {
    bool embedding = v[0].e == 1;
    if (embedding && !given[1]) {
        snprintf(why, cap, "embedding needs its size, e.g. 'label embedding 50'");
        return false;
    }
    if (!embedding && given[1]) {
        snprintf(why, cap, "onehot takes no size (its size is the number of classes, %d)",
                 n_classes);
        return false;
    }
    if (embedding) gan_layer_label_embedding(l, n_classes, (int)v[1].i);
    else gan_layer_label_onehot(l, n_classes);
    return true;
}

/* y = x, then the label's D channels of P values each */
static bool label_export_c(const gan_layer *l, gan_c_source *c, const char *p, int i) {
    int P = l->in[1] * l->in[2], D = l->out[0] - l->in[0];
    gan_c_put(c, "    for (k = 0; k < %d; k++) y[k] = x[k];\n", l->in_size);
    if (l->embed_dim)
        gan_c_put(c, "    for (k = 0; k < %d; k++)\n"
                     "        y[%d + k] = label >= 0 && label < %d\n"
                     "                        ? %s_l%d_weight[label * %d + k / %d] : 0.0f;\n",
            D * P, l->in_size, l->n_classes, p, i, D, P);
    else
        gan_c_put(c, "    for (k = 0; k < %d; k++) y[%d + k] = k / %d == label ? 1.0f : 0.0f;\n",
            D * P, l->in_size, P);
    return true;
}

static const char *label_describe(const gan_layer *l) {
    return l->embed_dim ? "label_embedding" : "label_onehot";
}

const gan_layer_ops gan_layer_kind_label = {
    .name = "label",
    .flags = GAN_LAYER_USES_LABELS | GAN_LAYER_BACKWARD_NO_OUTPUT,
    .n_positional = 2,
    .keys = {{"mode", SPEC_CHOICE, NULL, false, 0, 0, false, false, label_modes},
             {"dim", SPEC_INT, NULL, true, 1, GAN_KEY_MAX_CHANNELS, false, false, NULL}},
    GAN_LAYER_OPS_NAMED(label),
    .export_c = label_export_c,
    .describe = label_describe,
};

void gan_layer_label_onehot(gan_layer *l, int n_classes) {
    *l = (gan_layer){.ops = &gan_layer_kind_label, .n_classes = n_classes};
}

void gan_layer_label_embedding(gan_layer *l, int n_classes, int dim) {
    *l = (gan_layer){.ops = &gan_layer_kind_label, .n_classes = n_classes,
                     .embed_dim = dim > 0 ? dim : -1};
}
