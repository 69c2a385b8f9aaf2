/*
 * dropout.c - inverted dropout: in training mode each element is zeroed with
 * probability p and the kept ones scaled by 1 / (1 - p); in inference mode
 * y = x. Shapes pass through unchanged.
 *
 * Randomness is counter-based (rng.h): the mask of a training forward is a
 * pure function of (l->rng_seed, l->rng_stream, element index), which the
 * model sets before each training forward (model.c). Backward regenerates
 * the same mask from the same stream, so nothing is stored.
 */
#include "layers/layer.h"

static gan_status dropout_setup(gan_layer *l) {
    if (!(l->drop_p >= 0.0f && l->drop_p < 1.0f))
        return gan_fail(GAN_ERR_SHAPE, "dropout: p = %g is out of range [0, 1)", l->drop_p);
    for (int i = 0; i < 3; i++) l->out[i] = l->in[i];
    return GAN_OK;
}

static void dropout_init(gan_layer *l, uint64_t seed, uint64_t stream) {}

static void dropout_forward(gan_layer *l, const gan_backend *be, const float *x, float *y, int N,
                            bool train) {
    size_t n = (size_t)N * l->in_size;
    l->last_train = train;
    if (train)
        be->dropout_forward(be->ctx, y, x, n, l->drop_p, l->rng_seed, l->rng_stream);
    else
        be->copy(be->ctx, y, x, n * sizeof *y);
}

static void dropout_backward(gan_layer *l, const gan_backend *be, const float *x, const float *y,
                             const float *dy, float *dx, int N, bool param_grads) {
    if (!dx) return;
    size_t n = (size_t)N * l->in_size;
    if (l->last_train)
        be->dropout_backward(be->ctx, dx, dy, n, l->drop_p, l->rng_seed, l->rng_stream);
    else
        be->copy(be->ctx, dx, dy, n * sizeof *dx);
}

static int dropout_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    return 0;
}

static bool dropout_stochastic(const gan_layer *l) {
    return l->drop_p > 0.0f;
}

static bool dropout_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                              int n_classes, char *why, size_t cap) {
    gan_layer_dropout(l, v[0].f);
    return true;
}

const gan_layer_ops gan_layer_kind_dropout = {
    .name = "dropout",
    .flags = GAN_LAYER_INFERENCE_IDENTITY | GAN_LAYER_BACKWARD_NO_OUTPUT,
    .n_positional = 1,
    .keys = {{"p", SPEC_NUMBER, NULL, false, 0, 1, false, true, NULL}},
    GAN_LAYER_OPS_NAMED(dropout),
    .stochastic = dropout_stochastic,
};

void gan_layer_dropout(gan_layer *l, float p) {
    *l = (gan_layer){.ops = &gan_layer_kind_dropout, .drop_p = p};
}
