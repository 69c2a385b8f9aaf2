/*
 * eval_data.h - the two splits `gan eval` measures with, from any dataset
 * the readers take, and the cache folder and fingerprint that go with them.
 *
 * An IDX folder at its own shape is evaluated as it always was: its train-*
 * and t10k-* files, the fingerprint of their names, sizes and mtimes, the
 * cache DATA_DIR/.gan-eval (eval_cache.h). Anything else (a folder of
 * images, .npy, CIFAR-10, a prepared pack, or an IDX folder reshaped):
 *   - the test split is the format's own when it has one (an IDX or
 *     CIFAR-10 folder, loaded at the same shape), else a fixed random sixth
 *     of the data is held out (a sixth of each class when labeled: a
 *     shuffle with stream gan_rng_stream(GAN_RNG_CLASSIFIER,
 *     GAN_EVAL_USE_HOLDOUT << 40) of seed 0, kept in file order);
 *   - the fingerprint lists the splits' pixel and label bytes with an
 *     FNV-1a 64 hash of each ("train.pixels:3072000:#<hex>;...");
 *   - the cache is BASE/.gan-eval/NAME, NAME = the file's name (for a file)
 *     and the shape, "3x32x32" (and "-letterbox", "-black" when asked).
 * The data is labeled when it has labels of at least two classes.
 */
#ifndef GAN_EVAL_DATA_H
#define GAN_EVAL_DATA_H

#include "eval/eval_cache.h"

#define GAN_EVAL_USE_HOLDOUT 4 /* the held-out sixth (a use of GAN_RNG_CLASSIFIER) */
#define GAN_EVAL_HOLDOUT 6     /* one image in this many is held out */
#define GAN_EVAL_RANDOM_SEED 1 /* weights of the feature network of unlabeled data */

typedef struct gan_eval_data {
    const gan_dataset *train, *test; /* the splits (owned below, or borrowed) */
    gan_dataset *own[3];             /* what to free */
    bool classic;                    /* an IDX folder at its own shape */
    bool held_out;                   /* test = a held-out sixth */
    bool labeled;                    /* labels of >= 2 classes */
    char fingerprint[GAN_EVAL_FINGERPRINT_MAX];
    char source[1024];               /* the dataset's folder (IDX, CIFAR-10) or path */
    char cache_dir[1024];
    bool cache_fallback;             /* the dataset's folder was not writable */
} gan_eval_data;

/* Load `path` at `shape` (NULL: its own) and choose splits, fingerprint and
 * cache (`cache` = the caller's folder, or NULL). */
gan_status gan_eval_data_open(const char *path, const gan_dataset_options *shape,
                              const char *cache, gan_eval_data *out);

/* The same for a loaded training dataset (borrowed). */
gan_status gan_eval_data_open_loaded(const gan_dataset *data, const char *cache,
                                     gan_eval_data *out);

void gan_eval_data_free(gan_eval_data *d);

#endif /* GAN_EVAL_DATA_H */
