/*
 * minibatch_stddev.c - the minibatch standard deviation of ProGAN and
 * StyleGAN's discriminators (Karras et al. 2018; StyleGAN2's
 * MinibatchStdLayer(group_size, num_channels=1)): x (N, C, H, W) -> y (N,
 * C + 1, H, W), x with one more channel holding, for each row's group, the
 * standard deviation of every feature over the group's rows, averaged over
 * the features. A discriminator that sees how varied a batch is can tell a
 * generator that draws few kinds of images from the data. No parameters.
 *
 * Groups: the batch splits into G = min(group, N) rows per group (the
 * largest divisor of N not above that, so any batch works); row n belongs
 * to group n % (N / G), as StyleGAN2's reshape(G, -1, ...) has it. The
 * statistic mixes rows, so the trainer runs D on real and generated rows
 * separately (GAN_LAYER_MIXES_ROWS). Inference computes it over the batch
 * too (no running value): a lone row gets sqrt(eps).
 */
#include "layers/layer.h"
#include "minibatch_std.h"

#define MBSTD_EPS 1e-8f

/* group size: int_slot[0] */
static int group_rows(const gan_layer *l, int N) {
    int g = l->int_slot[0] < N ? l->int_slot[0] : N;
    while (g > 1 && N % g) g--;
    return g > 0 ? g : 1;
}

static gan_status minibatch_stddev_setup(gan_layer *l) {
    if (l->int_slot[0] < 1)
        return gan_fail(GAN_ERR_SHAPE, "minibatch_stddev: group %d must be positive",
                        l->int_slot[0]);
    l->out[0] = l->in[0] + 1;
    l->out[1] = l->in[1];
    l->out[2] = l->in[2];
    return GAN_OK;
}

static void minibatch_stddev_init(gan_layer *l, uint64_t seed, uint64_t stream) {}

static void minibatch_stddev_forward(gan_layer *l, const gan_backend *be, const float *x,
                                     float *y, int N, bool train) {
    be->minibatch_std_forward(be->ctx, y, l->work, x, N, group_rows(l, N), l->in[0],
                              l->in[1] * l->in[2], MBSTD_EPS);
}

static void minibatch_stddev_backward(gan_layer *l, const gan_backend *be, const float *x,
                                      const float *y, const float *dy, float *dx, int N,
                                      bool param_grads) {
    if (dx)
        be->minibatch_std_backward(be->ctx, dx, l->work, dy, x, N, group_rows(l, N), l->in[0],
                                   l->in[1] * l->in[2], MBSTD_EPS);
}

/* the forward's partial sums (max_batch groups at most); the backward needs fewer */
static size_t minibatch_stddev_work(const gan_layer *l, const gan_backend *be) {
    return (size_t)l->max_batch * gan_mbstd_chunks((size_t)l->in_size);
}

static int minibatch_stddev_tensors(const gan_layer *l, gan_layer_tensor *t, int max) {
    return 0;
}

static bool minibatch_stddev_configure(gan_layer *l, const gan_spec_value *v, const bool *given,
                                       int n_classes, char *why, size_t cap) {
    gan_layer_minibatch_stddev(l, (int)v[0].i);
    return true;
}

const gan_layer_ops gan_layer_kind_minibatch_stddev = {
    .name = "minibatch_stddev",
    .flags = GAN_LAYER_BACKWARD_NO_OUTPUT | GAN_LAYER_MIXES_ROWS,
    .n_positional = 1,
    .keys = {{"group", SPEC_INT, "4", false, 1, 1024, false, false, NULL}},
    GAN_LAYER_OPS_NAMED(minibatch_stddev),
    .work = minibatch_stddev_work,
};

void gan_layer_minibatch_stddev(gan_layer *l, int group) {
    *l = (gan_layer){.ops = &gan_layer_kind_minibatch_stddev, .int_slot = {group}};
}
