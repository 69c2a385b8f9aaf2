/*
 * spectral_norm.c - the spectral-normalization option of dense and conv2d
 * (see spectral_norm.h for the layout and semantics).
 */
#include "layers/spectral_norm.h"
#include "rng.h"

#include <math.h>

static void normalized_normal(uint64_t seed, uint64_t stream, float *x, int n) {
    gan_rng_normal(seed, stream, x, (size_t)n);
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
    float inv = (float)(1.0 / fmax(sqrt(ss), (double)GAN_SN_EPS));
    for (int i = 0; i < n; i++) x[i] *= inv;
}

void gan_sn_init(gan_layer *l, uint64_t seed, uint64_t stream, int rows, int cols) {
    /* bits 40..47 of an init stream's detail are free (rng.h): tag u and v */
    normalized_normal(seed, stream ^ (1ull << 40), l->state, rows);
    normalized_normal(seed, stream ^ (2ull << 40), l->state + rows, cols);
}

const float *gan_sn_forward(gan_layer *l, const gan_backend *be, int rows, int cols, bool train) {
    size_t nw = (size_t)rows * cols;
    float *w = l->scratch, *sigma = l->scratch + 2 * nw;
    be->spectral_norm_forward(be->ctx, w, sigma, l->state, l->state + rows, l->params, rows, cols, train,
                              GAN_SN_EPS);
    return w;
}

float *gan_sn_dw(gan_layer *l, int rows, int cols) {
    return l->scratch + (size_t)rows * cols;
}

void gan_sn_backward(gan_layer *l, const gan_backend *be, int rows, int cols) {
    size_t nw = (size_t)rows * cols;
    be->spectral_norm_backward(be->ctx, l->grads, l->scratch + nw, l->scratch, l->state, l->state + rows,
                               l->scratch + 2 * nw, rows, cols);
}

void gan_sn_tensors(const gan_layer *l, int rows, int cols, gan_layer_tensor *t) {
    t[0] = (gan_layer_tensor){"weight_u", l->state, NULL, 1, {rows}, (size_t)rows};
    t[1] = (gan_layer_tensor){"weight_v", l->state + rows, NULL, 1, {cols}, (size_t)cols};
}

bool gan_layer_set_spectral_norm(gan_layer *l, bool on) {
    if (!(l->ops->flags & GAN_LAYER_SPECTRAL_NORM)) return false;
    l->spectral_norm = on;
    return true;
}
