/*
 * projection.c - the projection head of a class-conditional discriminator
 * (Miyato & Koyama 2018, "cGANs with Projection Discriminator"):
 *     out = linear(h) + <embed(y), h>
 * for h the flattened input (F features) and y the row's class label, one
 * logit per row: (C, H, W) -> (1). Labels come through l->labels
 * (gan_model_set_labels); a row without a valid label gets linear(h) only.
 *
 * Parameters, with the names of the PyTorch mirror (a module holding
 * `linear = nn.Linear(F, 1)` and `embed = nn.Embedding(classes, F)`):
 *   linear.weight (1, F), linear.bias (1), embed.weight (classes, F).
 * Init: both weights Glorot uniform (xavier_uniform_, as the SN-GAN
 * projection discriminators do), bias 0.
 *
 * With spectral_norm (spectral_norm.h, PyTorch's spectral_norm on both
 * modules, dim 0) the weights are linear.weight_orig and embed.weight_orig;
 * state: linear.weight_u (1), linear.weight_v (F), embed.weight_u
 * (classes), embed.weight_v (F); scratch: for each weight its normalized
 * W, dW and sigma (the layout gan_sn_scratch_size gives), linear's first.
 */
#include "layers/keys.h"
#include "layers/layer.h"
#include "layers/spectral_norm.h"
#include "rng.h"

#include <math.h>

/* the parameter and normalization slices of one weight (rows, cols) */
typedef struct proj_weight {
    float *w0, *grad;     /* params and grads */
    float *u, *v;         /* state (spectral norm) */
    float *w, *dw, *sigma; /* scratch (spectral norm) */
    int rows, cols;
} proj_weight;

/* k = 0: linear, 1: embed */
static proj_weight weight_of(const gan_layer *l, int k) {
    int F = l->in_size, K = l->n_classes;
    proj_weight p = {.rows = k ? K : 1, .cols = F};
    size_t at = k ? (size_t)F + 1 : 0;
    p.w0 = l->params + at;
    p.grad = l->grads ? l->grads + at : NULL;
    if (!l->spectral_norm) return p;
    p.u = l->state + (k ? 1 + (size_t)F : 0);
    p.v = p.u + p.rows;
    float *sc = l->scratch + (k ? gan_sn_scratch_size(1, F) : 0);
    size_t nw = (size_t)p.rows * p.cols;
    p.w = sc, p.dw = sc + nw, p.sigma = sc + 2 * nw;
    return p;
}

static gan_status projection_setup(gan_layer *l) {
    if (l->n_classes <= 0)
        return gan_fail(GAN_ERR_SHAPE, "projection: needs at least one class");
    int F = l->in_size, K = l->n_classes;
    l->out[0] = l->out[1] = l->out[2] = 1;
    l->n_params = (size_t)F + 1 + (size_t)K * F;
    if (l->spectral_norm) {
        l->n_state = gan_sn_state_size(1, F) + gan_sn_state_size(K, F);
        l->n_scratch = gan_sn_scratch_size(1, F) + gan_sn_scratch_size(K, F);
    }
    return GAN_OK;
}

static void glorot(uint64_t seed, uint64_t stream, float *w, int rows, int cols) {
    size_t n = (size_t)rows * cols;
    float limit = (float)sqrt(6.0 / (double)(rows + cols));
    gan_rng_uniform(seed, stream, w, n);
    for (size_t i = 0; i < n; i++) w[i] = (2.0f * w[i] - 1.0f) * limit;
}

/* streams: the linear weight the layer's own, the embedding tag 4 (bits
 * 40..47; 1, 2 are linear's u, v, 3 is --init dcgan's), its u, v tags 5, 6 */
static void projection_init(gan_layer *l, uint64_t seed, uint64_t stream) {
    proj_weight lin = weight_of(l, 0), emb = weight_of(l, 1);
    glorot(seed, stream, lin.w0, 1, lin.cols);
    lin.w0[lin.cols] = 0.0f; /* bias */
    glorot(seed, stream ^ (4ull << 40), emb.w0, emb.rows, emb.cols);
    if (!l->spectral_norm) return;
    gan_sn_init_at(seed, stream, 1, lin.u, lin.rows, lin.v, lin.cols);
    gan_sn_init_at(seed, stream, 5, emb.u, emb.rows, emb.v, emb.cols);
}

/* the weight the forward computes with */
static const float *effective(const gan_layer *l, const gan_backend *be, proj_weight p,
                              bool train) {
    if (!l->spectral_norm) return p.w0;
    be->spectral_norm_forward(be->ctx, p.w, p.sigma, p.u, p.v, p.w0, p.rows, p.cols, train,
                              GAN_SN_EPS);
    return p.w;
}

static void projection_forward(gan_layer *l, const gan_backend *be, const float *x, float *y,
                               int N, bool train) {
    proj_weight lin = weight_of(l, 0), emb = weight_of(l, 1);
    const float *W = effective(l, be, lin, train), *E = effective(l, be, emb, train);
    int F = l->in_size;
    be->gemm(be->ctx, false, true, N, 1, F, 1.0f, x, F, W, F, 0.0f, y, 1);
    be->bias_forward(be->ctx, y, lin.w0 + F, N, 1);
    be->class_dot_forward(be->ctx, y, x, l->labels, E, N, F, l->n_classes);
}

static void projection_backward(gan_layer *l, const gan_backend *be, const float *x,
                                const float *y, const float *dy, float *dx, int N,
                                bool param_grads) {
    proj_weight lin = weight_of(l, 0), emb = weight_of(l, 1);
    bool sn = l->spectral_norm;
    int F = l->in_size, K = l->n_classes;
    const float *W = sn ? lin.w : lin.w0, *E = sn ? emb.w : emb.w0;
    if (param_grads) {
        /* dW (+)= dy^T x; with spectral norm into the dW slot, then mapped to dW0 */
        be->gemm(be->ctx, true, false, 1, F, N, 1.0f, dy, 1, x, F, sn ? 0.0f : 1.0f,
                 sn ? lin.dw : lin.grad, F);
        be->bias_backward(be->ctx, lin.grad + F, dy, N, 1);
        if (sn) be->zero(be->ctx, emb.dw, (size_t)K * F);
        be->class_dot_backward(be->ctx, NULL, sn ? emb.dw : emb.grad, dy, x, l->labels, E, N, F,
                               K);
        if (sn) {
            be->spectral_norm_backward(be->ctx, lin.grad, lin.dw, lin.w, lin.u, lin.v, lin.sigma,
                                       1, F);
            be->spectral_norm_backward(be->ctx, emb.grad, emb.dw, emb.w, emb.u, emb.v, emb.sigma,
                                       K, F);
        }
    }
    if (dx) {
        be->gemm(be->ctx, false, false, N, F, 1, 1.0f, dy, 1, W, F, 0.0f, dx, F);
        be->class_dot_backward(be->ctx, dx, NULL, dy, x, l->labels, E, N, F, K);
    }
}

static int projection_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    if (max < 7) return 0;
    proj_weight lin = weight_of(l, 0), emb = weight_of(l, 1);
    bool sn = l->spectral_norm;
    int F = l->in_size, K = l->n_classes;
    t[0] = (gan_layer_tensor){sn ? "linear.weight_orig" : "linear.weight", lin.w0, lin.grad, 2,
                              {1, F}, (size_t)F};
    t[1] = (gan_layer_tensor){"linear.bias", lin.w0 + F, lin.grad ? lin.grad + F : NULL, 1, {1},
                              1};
    t[2] = (gan_layer_tensor){sn ? "embed.weight_orig" : "embed.weight", emb.w0, emb.grad, 2,
                              {K, F}, (size_t)K * F};
    if (!sn) return 3;
    t[3] = (gan_layer_tensor){"linear.weight_u", lin.u, NULL, 1, {1}, 1};
    t[4] = (gan_layer_tensor){"linear.weight_v", lin.v, NULL, 1, {F}, (size_t)F};
    t[5] = (gan_layer_tensor){"embed.weight_u", emb.u, NULL, 1, {K}, (size_t)K};
    t[6] = (gan_layer_tensor){"embed.weight_v", emb.v, NULL, 1, {F}, (size_t)F};
    return 7;
}

static bool projection_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                                 int n_classes, char *why, size_t cap) {
    gan_layer_projection(l, n_classes);
    gan_layer_set_spectral_norm(l, v[0].b);
    return true;
}

const gan_layer_ops gan_layer_kind_projection = {
    .name = "projection",
    .flags = GAN_LAYER_USES_LABELS | GAN_LAYER_SPECTRAL_NORM | GAN_LAYER_BACKWARD_NO_OUTPUT,
    .keys = {GAN_KEY_SPECTRAL_NORM},
    GAN_LAYER_OPS_NAMED(projection),
};

void gan_layer_projection(gan_layer *l, int n_classes) {
    *l = (gan_layer){.ops = &gan_layer_kind_projection, .n_classes = n_classes, .units = 1};
}
