/*
 * fuzz_classifier.c - the evaluation classifier's file (src/eval/
 * classifier_file.c), as `gan eval` reads it from its cache; a classifier
 * that loads also computes features of two images.
 */
#include "eval/classifier.h"
#include "harness_util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write("classifier.safetensors", data, size);
    gan_classifier *c = NULL;
    if (!path || gan_classifier_load(path, &c) != GAN_OK) return 0;
    size_t px = (size_t)c->image[0] * c->image[1] * c->image[2];
    uint8_t *images = calloc(2, px);
    float *feat = malloc(2 * GAN_CLASSIFIER_FEATURES * sizeof(float));
    float *probs = malloc(2 * (size_t)c->classes * sizeof(float));
    if (images && feat && probs) gan_classifier_features(c, images, 2, feat, probs);
    free(images);
    free(feat);
    free(probs);
    gan_classifier_free(c);
    return 0;
}
