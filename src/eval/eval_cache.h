/*
 * eval_cache.h - where `gan eval` keeps what it computes once per dataset
 * (the classifier and the test split's reference statistics), and how it
 * tells whether they still describe the dataset's files.
 *
 * A dataset's fingerprint lists, for each of the MNIST-named files of its
 * folder that exist (train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each plain and .gz), its
 * name, size in bytes and modification time (ns):
 *   "t10k-images-idx3-ubyte.gz:323551:1764225000.123456789;..."
 * Cached files carry the fingerprint they were made from; a different one
 * (a file replaced, touched, added or removed) makes them stale.
 *
 * The cache folder, in order of preference:
 *   1. the folder the caller names (--cache DIR), else $GAN_EVAL_CACHE;
 *   2. DATA_DIR/.gan-eval, when it exists and is writable or can be made,
 *      and DATA_DIR is not in a system folder (gan_is_system_path: a link
 *      data/fashion -> /usr/share/datasets/fashion-mnist is);
 *   3. $XDG_CACHE_HOME/gan/eval-<key>, else $HOME/.cache/gan/eval-<key>, where
 *      <key> is 16 hex digits of FNV-1a 64 over the dataset folder's real
 *      path and the sizes in its fingerprint.
 */
#ifndef GAN_EVAL_CACHE_H
#define GAN_EVAL_CACHE_H

#include "internal.h"

#define GAN_EVAL_FINGERPRINT_MAX 2048
#define GAN_EVAL_CACHE_SUBDIR ".gan-eval"
#define GAN_EVAL_CLASSIFIER_FILE "classifier.safetensors"
#define GAN_EVAL_REFERENCE_FILE "reference.safetensors"

/* The fingerprint of dataset folder `data_dir` into out (cap bytes).
 * GAN_ERR_IO when the folder cannot be read or holds none of the files. */
gan_status gan_eval_fingerprint(const char *data_dir, char *out, size_t cap);

/* A one-line description of the first difference between fingerprints
 * `was` and `now` ("t10k-images-idx3-ubyte.gz: size 323551 -> 4422079"),
 * into why (cap bytes); "" when they are equal. */
void gan_eval_fingerprint_diff(const char *was, const char *now, char *why, size_t cap);

/* Choose and create the cache folder of `data_dir` (see the top of this
 * file); `override` may be NULL. *used_fallback is set when the dataset's
 * own folder was not writable (may be NULL). */
gan_status gan_eval_cache_dir(const char *data_dir, const char *override, char *out, size_t cap,
                              bool *used_fallback);

/* The cache folder of a dataset that is not an IDX folder (eval_data.h):
 * `override` or $GAN_EVAL_CACHE as above, else BASE_DIR/.gan-eval/NAME
 * (NAME tells the dataset and its shape apart), else the per-user folder
 * keyed by BASE_DIR's real path and NAME. */
gan_status gan_eval_cache_dir_keyed(const char *base_dir, const char *name, const char *override,
                                    char *out, size_t cap, bool *used_fallback);

#endif /* GAN_EVAL_CACHE_H */
