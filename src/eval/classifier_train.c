/*
 * classifier_train.c - training the eval classifier on a labeled training
 * split: shuffled mini-batches of randomly shifted images, softmax
 * cross-entropy, Adam with a cosine-decayed learning rate (classifier.h
 * gives the recipe and the random streams).
 *
 * Memory: everything a step touches (the permutation, the batch's labels,
 * the logits' gradient, the model's blocks and its input staging) is
 * allocated before the first step.
 */
#define _POSIX_C_SOURCE 200809L
#include "eval/classifier.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHUFFLE_USE 0ull
#define SHIFT_USE 1ull
#define INFER_ROWS 256 /* rows per inference forward */

/* dst (C, H, W) floats = src (C, H, W) bytes moved by (dy, dx), scaled to
 * [-1, 1]; pixels shifted in from outside are 0 (-1 after scaling). */
static void shift_image(float *dst, const uint8_t *src, int C, int H, int W, int dy, int dx) {
    for (int c = 0; c < C; c++)
        for (int y = 0; y < H; y++) {
            int sy = y - dy;
            float *row = dst + ((size_t)c * H + y) * W;
            if (sy < 0 || sy >= H) {
                for (int x = 0; x < W; x++) row[x] = -1.0f;
                continue;
            }
            const uint8_t *srow = src + ((size_t)c * H + sy) * W;
            for (int x = 0; x < W; x++) {
                int sx = x - dx;
                row[x] = (sx < 0 || sx >= W) ? -1.0f : srow[sx] / 127.5f - 1.0f;
            }
        }
}

/* K = largest training label + 1; test labels must fit. */
static gan_status count_classes(const gan_dataset *train, const gan_dataset *test, int *K) {
    const uint8_t *lt = gan_dataset_labels(train);
    int64_t n = gan_dataset_count(train);
    if (!lt)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: the classifier needs labels (no "
                        "*-labels-idx1-ubyte file next to the images)", gan_dataset_path(train));
    int mx = 0;
    for (int64_t i = 0; i < n; i++) mx = GAN_MAX(mx, (int)lt[i]);
    *K = mx + 1;
    if (*K < 2)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: every label is 0; a classifier needs at "
                        "least 2 classes", gan_dataset_path(train));
    if (!test) return GAN_OK;
    const uint8_t *ls = gan_dataset_labels(test);
    if (!ls)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: the test split has no labels",
                        gan_dataset_path(test));
    for (int64_t i = 0; i < gan_dataset_count(test); i++)
        if (ls[i] >= *K)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: test label %d at image %lld is not "
                            "among the training labels 0..%d", gan_dataset_path(test), ls[i],
                            (long long)i, *K - 1);
    return GAN_OK;
}

static gan_status check_options(const gan_classifier_options *o) {
    if (o->epochs < 0 || o->epochs > 1000)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "classifier: epochs %d is out of range [0, 1000]",
                        o->epochs);
    if (o->batch_size < 1 || o->batch_size > 4096)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "classifier: batch size %d is out of range "
                        "[1, 4096]", o->batch_size);
    if (!(o->lr > 0.0f && o->lr < 1.0f))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "classifier: learning rate %g is out of range "
                        "(0, 1)", o->lr);
    if (o->max_shift < 0 || o->max_shift > 8)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "classifier: max shift %d is out of range "
                        "[0, 8]", o->max_shift);
    return GAN_OK;
}

typedef struct train_buffers {
    uint32_t *perm;  /* (n) image order of the epoch */
    int32_t *labels; /* (B) labels of the batch */
    float *dl;       /* (B, K) gradient of the loss by the logits */
} train_buffers;

/* One epoch: returns the summed loss and the number of correct rows. */
static gan_status run_epoch(gan_classifier *c, const gan_dataset *train,
                            const gan_classifier_options *opt, int epoch, int64_t *step,
                            int64_t total_steps, train_buffers *b, double *loss_sum,
                            int64_t *correct) {
    gan_model *m = &c->model;
    int64_t n = gan_dataset_count(train);
    const uint8_t *pixels = gan_dataset_pixels(train), *labels = gan_dataset_labels(train);
    const int C = c->image[0], H = c->image[1], W = c->image[2], K = c->classes;
    const size_t in = (size_t)C * H * W;
    const uint64_t shuffle = gan_rng_stream(GAN_RNG_CLASSIFIER, SHUFFLE_USE << 40 | (uint64_t)epoch);
    const uint64_t shift = gan_rng_stream(GAN_RNG_CLASSIFIER, SHIFT_USE << 40 | (uint64_t)epoch);
    const uint32_t span = (uint32_t)(2 * opt->max_shift + 1);
    for (int64_t i = 0; i < n; i++) b->perm[i] = (uint32_t)i;
    gan_rng_shuffle(opt->seed, shuffle, b->perm, (size_t)n);
    *loss_sum = 0.0;
    *correct = 0;
    for (int64_t start = 0; start < n; start += opt->batch_size) {
        int rows = (int)GAN_MIN((int64_t)opt->batch_size, n - start);
        for (int r = 0; r < rows; r++) {
            uint64_t j = (uint64_t)(start + r);
            uint32_t idx = b->perm[j];
            int dy = (int)gan_rng_below(opt->seed, shift, 2 * j, span) - opt->max_shift;
            int dx = (int)gan_rng_below(opt->seed, shift, 2 * j + 1, span) - opt->max_shift;
            shift_image(c->batch + (size_t)r * in, pixels + (size_t)idx * in, C, H, W, dy, dx);
            b->labels[r] = labels[idx];
        }
        gan_model_set_rng_counter(m, (uint64_t)*step);
        const float *logits = gan_model_forward(m, c->batch, rows, true);
        int64_t right;
        double loss = m->be->softmax_xent(m->be->ctx, b->dl, logits, b->labels, rows, K, 1.0f / rows, &right);
        if (!isfinite(loss))
            return gan_fail(GAN_ERR_NUMERIC, "classifier: the loss became %g at step %lld "
                            "(epoch %d); try a smaller learning rate", loss, (long long)*step,
                            epoch + 1);
        gan_model_zero_grads(m);
        gan_model_backward(m, b->dl, rows, true, false);
        double t = (double)*step / (double)total_steps;
        float lr = (float)(opt->lr * (0.02 + 0.98 * 0.5 * (1.0 + cos(3.14159265358979323846 * t))));
        gan_model_adam_step(m, lr, 0.9f, 0.999f, 1e-7f);
        *loss_sum += loss;
        *correct += right;
        ++*step;
    }
    return GAN_OK;
}

gan_status gan_classifier_train(const gan_dataset *train, const gan_dataset *test,
                                const gan_classifier_options *opt,
                                gan_classifier_progress_fn progress, void *ctx,
                                gan_classifier **out) {
    *out = NULL;
    GAN_TRY(check_options(opt));
    int K = 0, C, H, W;
    GAN_TRY(count_classes(train, test, &K));
    gan_dataset_shape(train, &C, &H, &W);
    int64_t n = gan_dataset_count(train);
    if (n < 1) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: no images", gan_dataset_path(train));
    if (n > UINT32_MAX) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "classifier: too many images");
    if (test) {
        int c2, h2, w2;
        gan_dataset_shape(test, &c2, &h2, &w2);
        if (c2 != C || h2 != H || w2 != W)
            return gan_fail(GAN_ERR_SHAPE, "%s: test images are %dx%dx%d, training images "
                            "%dx%dx%d", gan_dataset_path(test), c2, h2, w2, C, H, W);
    }
    gan_classifier *c;
    GAN_TRY(gan_classifier_create(K, C, H, W, opt->dropout, GAN_MAX(opt->batch_size, INFER_ROWS),
                                  opt->seed, &c));
    train_buffers b = {malloc((size_t)n * sizeof *b.perm),
                       malloc((size_t)opt->batch_size * sizeof *b.labels),
                       malloc((size_t)opt->batch_size * K * sizeof *b.dl)};
    gan_status s = b.perm && b.labels && b.dl
                       ? GAN_OK
                       : gan_fail(GAN_ERR_OUT_OF_MEMORY, "classifier: out of memory");
    if (s == GAN_OK)
        s = gan_backend_require(c->model.be, GAN_K_softmax_xent, "classifier training");
    int epochs = gan_classifier_epochs(opt, n);
    int64_t spe = (n + opt->batch_size - 1) / opt->batch_size, step = 0;
    double t0 = gan_now_seconds();
    for (int e = 0; e < epochs && s == GAN_OK; e++) {
        double loss;
        int64_t right;
        s = run_epoch(c, train, opt, e, &step, (int64_t)epochs * spe, &b, &loss, &right);
        gan_classifier_epoch rep = {e + 1, epochs, loss / (double)n, (double)right / (double)n,
                                    NAN, 0.0};
        if (s == GAN_OK && test) s = gan_classifier_accuracy(c, test, &rep.test_accuracy);
        rep.seconds = gan_now_seconds() - t0;
        if (s == GAN_OK && progress) progress(ctx, &rep);
        if (s == GAN_OK) c->info.test_accuracy = rep.test_accuracy;
    }
    if (s == GAN_OK) s = gan_classifier_accuracy(c, train, &c->info.train_accuracy);
    free(b.perm), free(b.labels), free(b.dl);
    if (s != GAN_OK) {
        gan_classifier_free(c);
        return s;
    }
    c->info.train_count = n;
    c->info.test_count = test ? gan_dataset_count(test) : 0;
    c->info.epochs = epochs;
    c->info.seed = opt->seed;
    c->info.seconds = gan_now_seconds() - t0;
    gan_classifier_update_id(c);
    *out = c;
    return GAN_OK;
}
