/*
 * spectral_norm.c - the spectral-normalization option of dense, conv2d and
 * conv_transpose2d
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

void gan_sn_init_at(uint64_t seed, uint64_t stream, unsigned tag, float *u, int rows, float *v,
                    int cols) {
    /* bits 40..47 of an init stream's detail are free (rng.h): tag u and v */
    normalized_normal(seed, stream ^ ((uint64_t)tag << 40), u, rows);
    normalized_normal(seed, stream ^ ((uint64_t)(tag + 1) << 40), v, cols);
}

void gan_sn_init(gan_layer *l, uint64_t seed, uint64_t stream, int rows, int cols) {
    gan_sn_init_at(seed, stream, 1, l->state, rows, l->state + rows, cols);
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

/* the dim-1 slots after the plain ones: permuted weight_orig, W, dW */
static float *dim1_slot(gan_layer *l, int rows, int cols, int k) {
    return l->scratch + gan_sn_scratch_size(rows, cols) + (size_t)k * rows * cols;
}

const float *gan_sn_forward_dim1(gan_layer *l, const gan_backend *be, int G, int rows, int P,
                                 bool train) {
    int cols = G * P;
    size_t nw = (size_t)rows * cols;
    float *perm = dim1_slot(l, rows, cols, 0), *w = dim1_slot(l, rows, cols, 1);
    float *wm = l->scratch, *sigma = l->scratch + 2 * nw;
    be->nchw_to_cmajor(be->ctx, perm, l->params, G, rows, P);
    be->spectral_norm_forward(be->ctx, wm, sigma, l->state, l->state + rows, perm, rows, cols,
                              train, GAN_SN_EPS);
    be->cmajor_to_nchw(be->ctx, w, wm, NULL, G, rows, P);
    return w;
}

const float *gan_sn_weight_dim1(gan_layer *l, int rows, int cols) {
    return dim1_slot(l, rows, cols, 1);
}

float *gan_sn_dw_dim1(gan_layer *l, int rows, int cols) {
    return dim1_slot(l, rows, cols, 2);
}

void gan_sn_backward_dim1(gan_layer *l, const gan_backend *be, int G, int rows, int P) {
    int cols = G * P;
    size_t nw = (size_t)rows * cols;
    float *dw0 = dim1_slot(l, rows, cols, 0), *dw = dim1_slot(l, rows, cols, 2);
    float *dwm = l->scratch + nw;
    be->nchw_to_cmajor(be->ctx, dwm, dw, G, rows, P);
    be->zero(be->ctx, dw0, nw);
    be->spectral_norm_backward(be->ctx, dw0, dwm, l->scratch, l->state, l->state + rows,
                               l->scratch + 2 * nw, rows, cols);
    be->cmajor_to_nchw(be->ctx, dw, dw0, NULL, G, rows, P); /* back to the layer's layout */
    be->axpy(be->ctx, l->grads, dw, nw, 1.0f);
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
