/*
 * batchnorm_sync.c - the training forward and backward of batchnorm and
 * batchnorm2d with statistics over every rank's rows (data-parallel
 * --sync-bn, docs/distributed.md): each rank sums its rows per channel (x
 * and x^2 forward; dy and dy xhat backward), the sums are added over the
 * ranks (l->sync), and every rank normalises with the global mean and
 * biased variance, so N ranks of b rows compute what one process computes
 * on the N b rows (up to rounding: E[x^2] - mean^2 instead of two passes).
 * Parameters: gamma then beta (C each); state: running mean, running var.
 * A fused activation (l->act, model.c) goes into the kernels, as without
 * --sync-bn.
 */
#include "backend.h"
#include "layers/layer.h"

void gan_batchnorm_sync_forward(gan_layer *l, const gan_backend *be, const float *x, float *y,
                                int N, int C, int P) {
    float *sums = l->scratch + 2 * (size_t)C;
    be->batchnorm_sums(be->ctx, sums, x, N, C, P);
    l->sync->sum(l->sync->ctx, sums, 2 * (size_t)C);
    double count = (double)N * l->sync->ranks * P;
    be->batchnorm_forward_sums(be->ctx, y, l->scratch, l->scratch + C, l->state, l->state + C, x,
                               sums, count, l->params, l->params + C, N, C, P, l->momentum,
                               l->eps, l->act);
}

void gan_batchnorm_sync_backward(gan_layer *l, const gan_backend *be, const float *x,
                                 const float *dy, float *dx, int N, int C, int P,
                                 bool param_grads) {
    float *sums = l->scratch + 2 * (size_t)C;
    /* this rank's sums go to its own parameter gradients (summed over the ranks with
     * the others), and, added over the ranks, into dx */
    be->batchnorm_backward_sums(be->ctx, sums, param_grads ? l->grads : NULL,
                                param_grads ? l->grads + C : NULL, dy, x, l->scratch,
                                l->scratch + C, l->params, l->params + C, N, C, P, l->act);
    if (!dx) return;
    l->sync->sum(l->sync->ctx, sums, 2 * (size_t)C);
    double count = (double)N * l->sync->ranks * P;
    be->batchnorm_backward_from_sums(be->ctx, dx, dy, x, l->scratch, l->scratch + C, l->params,
                                     l->params + C, sums, count, N, C, P, l->act);
}
