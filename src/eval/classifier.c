/*
 * classifier.c - the eval classifier's network (architecture "lenet-v1",
 * classifier.h), its inference passes (features, probabilities, accuracy)
 * and its identity (a hash of the parameters).
 */
#include "eval/classifier.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gan_classifier_options_default(gan_classifier_options *opt) {
    *opt = (gan_classifier_options){
        .epochs = 0, .batch_size = 64, .lr = 1e-3f, .dropout = 0.5f, .max_shift = 1, .seed = 1};
}

int gan_classifier_epochs(const gan_classifier_options *opt, int64_t count) {
    if (opt->epochs > 0) return opt->epochs;
    int64_t e = count > 0 ? (600000 + count - 1) / count : 30;
    return (int)GAN_MAX(10, GAN_MIN(30, e));
}

const gan_classifier_info *gan_classifier_get_info(const gan_classifier *c) { return &c->info; }
int gan_classifier_classes(const gan_classifier *c) { return c->classes; }
size_t gan_classifier_param_count(const gan_classifier *c) { return c->model.n_params; }
const char *gan_classifier_id(const gan_classifier *c) { return c->id; }

/* The layers of lenet-v1; `flat` = 64 (H / 4) (W / 4), the flattened size. */
static gan_status build_layers(gan_model *m, int classes, float dropout, int flat) {
    gan_layer l[12];
    gan_layer_conv2d(&l[0], 32, 5, 1, 2);
    gan_layer_relu(&l[1]);
    gan_layer_maxpool2d(&l[2], 2, 2);
    gan_layer_conv2d(&l[3], 64, 3, 1, 1);
    gan_layer_relu(&l[4]);
    gan_layer_maxpool2d(&l[5], 2, 2);
    gan_layer_reshape(&l[6], flat, 1, 1);
    gan_layer_dropout(&l[7], dropout / 2);
    gan_layer_dense(&l[8], GAN_CLASSIFIER_FEATURES);
    gan_layer_relu(&l[9]);
    gan_layer_dropout(&l[10], dropout);
    gan_layer_dense(&l[11], classes);
    for (int i = 0; i < 12; i++) GAN_TRY(gan_model_add(m, l[i]));
    return GAN_OK;
}

gan_status gan_classifier_create(int classes, int c, int h, int w, float dropout, int max_batch,
                                 uint64_t seed, gan_classifier **out) {
    *out = NULL;
    if (classes < 2 || classes > GAN_CLASSIFIER_MAX_CLASSES)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "classifier: %d classes, need 2 to %d", classes,
                        GAN_CLASSIFIER_MAX_CLASSES);
    if (c < 1 || h < 4 || w < 4 || c > 4 || h > 1024 || w > 1024)
        return gan_fail(GAN_ERR_SHAPE, "classifier: images of %dx%dx%d; need 1-4 channels and "
                        "4 to 1024 pixels a side", c, h, w);
    if (!(dropout >= 0.0f && dropout < 1.0f))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "classifier: dropout %g is out of range [0, 1)",
                        dropout);
    gan_classifier *cl = calloc(1, sizeof *cl);
    if (!cl) return gan_fail(GAN_ERR_OUT_OF_MEMORY, "classifier: out of memory");
    cl->classes = classes;
    cl->image[0] = c, cl->image[1] = h, cl->image[2] = w;
    cl->info.test_accuracy = cl->info.train_accuracy = NAN;
    gan_status s = build_layers(&cl->model, classes, dropout, 64 * ((h / 2) / 2) * ((w / 2) / 2));
    cl->model.keep_outputs = true; /* the features are a middle layer's output */
    if (s == GAN_OK)
        s = gan_model_build(&cl->model, "classifier", c, h, w, max_batch, gan_backend_cpu());
    if (s == GAN_OK && !(cl->batch = malloc((size_t)max_batch * c * h * w * sizeof *cl->batch)))
        s = gan_fail(GAN_ERR_OUT_OF_MEMORY, "classifier: out of memory");
    if (s != GAN_OK) {
        gan_classifier_free(cl);
        return s;
    }
    gan_model_init(&cl->model, seed, GAN_CLASSIFIER_NET_ID);
    gan_classifier_update_id(cl);
    *out = cl;
    return GAN_OK;
}

void gan_classifier_free(gan_classifier *c) {
    if (!c) return;
    gan_model_free(&c->model);
    free(c->batch);
    free(c);
}

void gan_classifier_update_id(gan_classifier *c) {
    uint64_t h = gan_fnv1a64(GAN_FNV1A64_BASIS, c->model.params, c->model.n_params * sizeof(float));
    snprintf(c->id, sizeof c->id, "%016llx", (unsigned long long)h);
}

/* Softmax of one row of logits, in double, into probs (K). */
static void softmax_row(const float *logits, int K, float *probs) {
    double mx = logits[0], sum = 0.0;
    for (int k = 1; k < K; k++) mx = fmax(mx, logits[k]);
    for (int k = 0; k < K; k++) sum += exp((double)logits[k] - mx);
    for (int k = 0; k < K; k++) probs[k] = (float)(exp((double)logits[k] - mx) / sum);
}

gan_status gan_classifier_features(gan_classifier *c, const uint8_t *images, int64_t n,
                                   float *features, float *probs) {
    if (n < 0 || (n > 0 && !images))
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "classifier: bad image batch");
    gan_model *m = &c->model;
    size_t in = (size_t)m->in_size, K = (size_t)c->classes, D = GAN_CLASSIFIER_FEATURES;
    for (int64_t start = 0; start < n; start += m->max_batch) {
        int rows = (int)GAN_MIN((int64_t)m->max_batch, n - start);
        const uint8_t *src = images + (size_t)start * in;
        for (size_t i = 0; i < (size_t)rows * in; i++) c->batch[i] = src[i] / 127.5f - 1.0f;
        const float *logits = gan_model_forward(m, c->batch, rows, false);
        if (features)
            memcpy(features + (size_t)start * D, m->acts[GAN_CLASSIFIER_FEATURE_LAYER + 1],
                   (size_t)rows * D * sizeof *features);
        if (probs)
            for (int r = 0; r < rows; r++)
                softmax_row(logits + (size_t)r * K, (int)K, probs + ((size_t)start + r) * K);
    }
    return GAN_OK;
}

gan_status gan_classifier_accuracy(gan_classifier *c, const gan_dataset *data, double *accuracy) {
    const uint8_t *labels = gan_dataset_labels(data);
    int64_t n = gan_dataset_count(data);
    if (!labels) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: no labels", gan_dataset_path(data));
    if (n < 1) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "%s: no images", gan_dataset_path(data));
    int ch, h, w;
    gan_dataset_shape(data, &ch, &h, &w);
    if (ch != c->image[0] || h != c->image[1] || w != c->image[2])
        return gan_fail(GAN_ERR_SHAPE, "%s: images are %dx%dx%d, the classifier takes %dx%dx%d",
                        gan_dataset_path(data), ch, h, w, c->image[0], c->image[1], c->image[2]);
    gan_model *m = &c->model;
    const uint8_t *pixels = gan_dataset_pixels(data);
    size_t in = (size_t)m->in_size;
    int K = c->classes;
    int64_t right = 0;
    for (int64_t start = 0; start < n; start += m->max_batch) {
        int rows = (int)GAN_MIN((int64_t)m->max_batch, n - start);
        const uint8_t *src = pixels + (size_t)start * in;
        for (size_t i = 0; i < (size_t)rows * in; i++) c->batch[i] = src[i] / 127.5f - 1.0f;
        const float *logits = gan_model_forward(m, c->batch, rows, false);
        for (int r = 0; r < rows; r++) {
            const float *row = logits + (size_t)r * K;
            int best = 0;
            for (int k = 1; k < K; k++)
                if (row[k] > row[best]) best = k;
            right += best == labels[start + r];
        }
    }
    *accuracy = (double)right / (double)n;
    return GAN_OK;
}
