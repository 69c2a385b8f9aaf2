/*
 * blocks.c - the kinds of blocks a model may hold (model.h): how each joins
 * its branches. One row per kind; the model does the rest (shapes, memory,
 * running the branches, the input's gradient as the sum of the branches').
 *
 *   residual  branches main and shortcut (an empty one is the identity),
 *             output = main + shortcut (SN-GAN's ResBlock, He et al.)
 */
#include "model.h"

#include <string.h>

/* y = the sum of the branches' outputs, in branch order */
static void sum_forward(const gan_backend *be, float *y, const float *const *xs, int n,
                        size_t count) {
    be->copy(be->ctx, y, xs[0], count * sizeof *y);
    for (int b = 1; b < n; b++) be->axpy(be->ctx, y, xs[b], count, 1.0f);
}

/* every branch gets dy unchanged */
static void sum_backward(const gan_backend *be, const float **dys, float *const *buf,
                         const float *dy, int n, size_t count) {
    for (int b = 0; b < n; b++) dys[b] = dy;
}

const gan_block_kind gan_block_residual = {
    .name = "residual",
    .n_branches = 2,
    .branch_names = {"main", "shortcut"},
    .join_forward = sum_forward,
    .join_backward = sum_backward,
    .join_buffers = false,
    .c_join = "+",
};

static const gan_block_kind *const block_kinds[] = {&gan_block_residual};

const gan_block_kind *gan_block_kind_find(const char *name) {
    for (size_t i = 0; i < sizeof block_kinds / sizeof block_kinds[0]; i++)
        if (strcmp(block_kinds[i]->name, name) == 0) return block_kinds[i];
    return NULL;
}
