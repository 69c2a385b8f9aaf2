/*
 * options.h - the table of training options as one X-macro list, expanded
 * into the public table (options.c: defaults, checks, formatting), the
 * spec's `train` keys (spec/train.c) and, through the public table,
 * checkpoint metadata (checkpoint.c) and `gan train`'s flags (tools/).
 *
 * X(field, flag, type, default, lo, hi, lo_open, hi_open, zero_unset, spec,
 *   where, arg, help):
 *   field    the member of gan_train_options; also the spec key and the
 *            checkpoint key "options.<field>"
 *   type     INT, INT64, UINT64, FLOAT, LOSS, DEVICE, BOOL, AUGMENT (gan_option_type) or the
 *            name of a choice (INIT, PRECISION, ONOFF: GAN_OPTION_CHOICE over
 *            gan_init_names, gan_precision_names, gan_onoff_names; options.c maps it)
 *   lo..hi   the accepted range (the type's maximum: no upper limit)
 *   spec     1: a key of the spec's `train` section
 *   where    GAN_OPTION_SAVED / _KEPT / _LATER (gan.h), 0 for machine options
 *
 * To add an option: a field in gan_train_options, one row here, its use in
 * the trainer, a line in docs/model-spec.md when spec is 1.
 */
#ifndef GAN_OPTIONS_H
#define GAN_OPTIONS_H

#include "internal.h"

#define GAN_OPT_KEPT (GAN_OPTION_SAVED | GAN_OPTION_KEPT)
#define GAN_OPT_LATER (GAN_OPTION_SAVED | GAN_OPTION_KEPT | GAN_OPTION_LATER)
#define GAN_INT_MAX 2147483647.0
#define GAN_INT64_MAX 9223372036854775807.0

#define GAN_TRAIN_OPTIONS(X)                                                                       \
    X(batch_size, "batch-size", INT, 64, 1, 65536, 0, 0, 0, 1, GAN_OPT_KEPT, "N",                \
      "images per step (default 64)")                                                            \
    X(lr, "lr", FLOAT, 2e-4, 0, 1, 1, 1, 0, 1, GAN_OPT_KEPT, "X",                                 \
      "Adam learning rate (default 2e-4)")                                                       \
    X(beta1, "beta1", FLOAT, 0.5, 0, 1, 0, 1, 0, 1, GAN_OPT_KEPT, "X",                            \
      "Adam beta1 (default 0.5)")                                                                \
    X(beta2, "beta2", FLOAT, 0.999, 0, 1, 0, 1, 0, 1, GAN_OPT_KEPT, "X",                          \
      "Adam beta2 (default 0.999)")                                                              \
    X(adam_eps, "adam-eps", FLOAT, 1e-7, 0, 1, 1, 1, 0, 1, GAN_OPT_KEPT, "X",                     \
      "Adam epsilon (default 1e-7)")                                                             \
    X(seed, "seed", UINT64, 1, 0, 0, 0, 0, 0, 1, GAN_OPT_KEPT, "N",                               \
      "random seed: weights, noise, data order (default 1)")                                     \
    X(epochs, "epochs", INT, 10, 1, GAN_INT_MAX, 0, 0, 0, 1, GAN_OPTION_SAVED, "N",               \
      "passes over the data (default 10)")                                                       \
    X(max_steps, "steps", INT64, 0, 0, GAN_INT64_MAX, 0, 0, 0, 0, GAN_OPTION_SAVED, "N",          \
      "stop after N steps in total (default: no limit)")                                         \
    X(loss, "loss", LOSS, GAN_LOSS_NONSATURATING, 0, 0, 0, 0, 0, 1, GAN_OPT_LATER, "NAME",        \
      "non-saturating (default), minimax, least-squares, hinge or wasserstein")                  \
    X(clip, "clip", FLOAT, 0.01, 0, 100, 1, 0, 0, 1, GAN_OPT_LATER, "C",                          \
      "with the wasserstein loss: clip D's weights to [-C, C] after each D step (default 0.01)")\
    X(lr_g, "lr-g", FLOAT, 0, 0, 1, 1, 1, 1, 1, GAN_OPT_LATER, "X",                               \
      "learning rate of the generator (default: --lr)")                                          \
    X(lr_d, "lr-d", FLOAT, 0, 0, 1, 1, 1, 1, 1, GAN_OPT_LATER, "X",                               \
      "learning rate of the discriminator (default: --lr)")                                      \
    X(d_steps, "d-steps", INT, 1, 1, 100, 0, 0, 0, 1, GAN_OPT_LATER, "K",                         \
      "discriminator steps per generator step, each on its own real batch (default 1)")          \
    X(label_smoothing, "label-smoothing", FLOAT, 0, 0, 0.5, 0, 1, 0, 1, GAN_OPT_LATER, "X",       \
      "one-sided: D's target for real images is 1 - X (cross-entropy losses; default 0)")        \
    X(ema, "ema", FLOAT, 0, 0, 1, 0, 1, 0, 1, GAN_OPT_LATER, "DECAY",                             \
      "keep a moving average of G's weights (e.g. 0.999), used for samples, sample, "            \
      "interpolate, export (default: none)")                                                     \
    X(ema_warmup, "ema-warmup", ONOFF, 1, 0, 0, 0, 0, 0, 1, GAN_OPT_LATER, "on|off",              \
      "with --ema D: G step s averages with decay min(D, (1 + s) / (10 + s)) (TensorFlow's "     \
      "num_updates warm-up; default on)")                                                        \
    X(mirror, "mirror", BOOL, 0, 0, 1, 0, 0, 0, 1, GAN_OPT_LATER, NULL,                            \
      "flip each real image left-right with probability 1/2 (drawn per image and step)")         \
    X(augment, "augment", AUGMENT, 0, 0, 7, 0, 0, 0, 1, GAN_OPT_LATER, "LIST",                     \
      "augment D's real and generated images (DiffAugment): any of translation,cutout,color "   \
      "(default none)")                                                                          \
    X(sync_bn, "sync-bn", BOOL, 0, 0, 1, 0, 0, 0, 0, GAN_OPT_LATER, NULL,                        \
      "data-parallel runs (mpirun): batch norm with statistics over the global batch, not "      \
      "each rank's rows (CPU)")                                                                  \
    X(init, "init", INIT, GAN_INIT_GLOROT, 0, 0, 0, 0, 0, 1, GAN_OPT_LATER, "NAME",               \
      "weights: glorot (default: each layer's own) or dcgan (N(0, 0.02) convolutions, "          \
      "N(1, 0.02) batch-norm gamma)")                                                            \
    X(threads, "threads", INT, 0, 0, 1024, 0, 0, 0, 0, 0, "N",                                    \
      "CPU threads (default 0 = all cores)")                                                     \
    X(device, "device", DEVICE, GAN_DEVICE_CPU, 0, 0, 0, 0, 0, 0, 0, "D",                         \
      "cpu (default) or cuda (the first NVIDIA GPU)")                                            \
    X(allow_tf32, "tf32", BOOL, 0, 0, 1, 0, 0, 0, 0, 0, NULL,                                     \
      "with --device cuda: the same as --precision tf32")                                       \
    X(precision, "precision", PRECISION, GAN_PRECISION_FP32, 0, 0, 0, 0, 0, 0, GAN_OPT_LATER, "P", \
      "with --device cuda: fp32 (default), tf32 (TF32 tensor cores) or bf16 (bf16 products and " \
      "convolutions, fp32 accumulation and weights); a resumed run keeps it")

/* The names of gan_loss in its order, NULL-terminated (loss.c). */
extern const char *const gan_loss_names[];

/* The names of gan_augment's bits in bit order, NULL-terminated
 * (augment_names.c). */
extern const char *const gan_augment_names[];

/* A set of names: "none", or words of `names` (NULL-terminated) joined by
 * commas, each at most once; bit i of *mask is names[i]. On failure write
 * why ("'x' is not one of: a, b, c or none") and return false. */
bool gan_name_set_parse(const char *const *names, const char *text, int *mask, char *why,
                        size_t cap);

/* lr_g and lr_d of 0 become lr, mirror becomes 0 or 1, allow_tf32 becomes
 * precision tf32 (what a trainer runs with and saves). */
void gan_train_options_resolve(gan_train_options *opt);

#endif
