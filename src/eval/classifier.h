/*
 * classifier.h - the feature network of `gan eval`: a small LeNet-like
 * convolutional classifier trained on a dataset's labeled training split.
 * Its penultimate layer gives the features that FID, KID and PRDC compare,
 * and its softmax the class probabilities of the Inception Score and the
 * mode coverage: the role Inception-v3 plays for photographs, fitted to
 * 28 x 28 datasets (docs/eval.md).
 *
 * Architecture "lenet-v1" for (C, H, W) images with K classes:
 *   0 conv2d 32, 5x5, pad 2   1 relu   2 maxpool 2x2
 *   3 conv2d 64, 3x3, pad 1   4 relu   5 maxpool 2x2
 *   6 flatten   7 dropout p/2   8 dense 128 (the features: its output,
 *   before the ReLU)   9 relu   10 dropout p   11 dense K (logits)
 * Input pixels p in 0..255 enter as p / 127.5 - 1 (the GAN's range).
 *
 * Training (gan_classifier_train): softmax cross-entropy (mean over the
 * batch), Adam (beta1 0.9, beta2 0.999, eps 1e-7, Keras placement) with the
 * learning rate decayed by a cosine from lr to lr / 50 over the run, the
 * data reshuffled every epoch, and every training image shifted by a random
 * (dy, dx) in [-max_shift, max_shift]^2 (vacated pixels 0). Randomness is
 * counter-based (rng.h), stream gan_rng_stream(GAN_RNG_CLASSIFIER, use << 40
 * | epoch) of opt->seed with use 0 = the shuffle, 1 = the shifts (word 2 i
 * and 2 i + 1 of the epoch's stream for the i-th image of the epoch's
 * order); dropout masks as model.h (net id 3). So the weights are a function
 * of the data and the options only, bit-identical at any thread count. A
 * step allocates nothing.
 *
 * Files (gan_classifier_save): safetensors, tensors classifier.<i>.weight /
 * .bias (PyTorch layouts), metadata format "gan.c classifier", arch,
 * classes, image_shape, feature_layer, feature_dim, id, and the info fields
 * below as data.* / train.* strings (docs/eval.md lists them).
 */
#ifndef GAN_EVAL_CLASSIFIER_H
#define GAN_EVAL_CLASSIFIER_H

#include "model.h"

#define GAN_CLASSIFIER_FORMAT "gan.c classifier"
/* GAN_CLASSIFIER_ARCH, GAN_CLASSIFIER_FEATURES (the feature width),
 * gan_classifier_options, gan_classifier_info and the public functions are
 * in gan.h. */
#define GAN_CLASSIFIER_FEATURE_LAYER 8 /* index of the dense 128 layer */
#define GAN_CLASSIFIER_NET_ID 3        /* keeps its dropout streams apart (model.h) */

typedef struct gan_classifier {
    gan_model model;
    int classes;            /* K */
    int image[3];           /* C, H, W */
    char id[17];            /* 16 hex digits: FNV-1a 64 of the parameters' bytes */
    gan_classifier_info info;
    float *batch;           /* (max_batch, C H W) input staging */
} gan_classifier;

/* One epoch's report to the progress callback. */
typedef struct gan_classifier_epoch {
    int epoch, epochs;      /* 1-based */
    double loss;            /* mean training cross-entropy of the epoch */
    double train_accuracy;  /* running accuracy on the (shifted, dropped-out) batches */
    double test_accuracy;   /* on the test split after the epoch; NaN without one */
    double seconds;         /* since the start */
} gan_classifier_epoch;
typedef void (*gan_classifier_progress_fn)(void *ctx, const gan_classifier_epoch *e);

/* A freshly initialised classifier for K classes of (c, h, w) images that
 * runs up to max_batch rows at once. */
gan_status gan_classifier_create(int classes, int c, int h, int w, float dropout, int max_batch,
                                 uint64_t seed, gan_classifier **out);

/* Train a classifier on `train` (labels required; K = the largest label +
 * 1, 2 <= K <= 256). `test` (may be NULL; labels required, below K) gives
 * the per-epoch and final test accuracy. `progress` (may be NULL) is called
 * after every epoch. info.data_path and info.fingerprint are left empty. */
gan_status gan_classifier_train(const gan_dataset *train, const gan_dataset *test,
                                const gan_classifier_options *opt,
                                gan_classifier_progress_fn progress, void *ctx,
                                gan_classifier **out);

/* Fraction of `data`'s images (labels required) classified correctly. */
gan_status gan_classifier_accuracy(gan_classifier *c, const gan_dataset *data, double *accuracy);

/* Features (n, GAN_CLASSIFIER_FEATURES) and class probabilities (n, K) of
 * n uint8 images (n, C, H, W); either output may be NULL. Inference mode. */
gan_status gan_classifier_features(gan_classifier *c, const uint8_t *images, int64_t n,
                                   float *features, float *probs);

/* Recompute c->id from the parameters. */
void gan_classifier_update_id(gan_classifier *c);

#endif /* GAN_EVAL_CLASSIFIER_H */
