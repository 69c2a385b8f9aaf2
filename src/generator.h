/*
 * generator.h - the inside of a gan_generator (gan.h), for the library's
 * exporter and the CLI's inspect command.
 */
#ifndef GAN_GENERATOR_H
#define GAN_GENERATOR_H

#include "checkpoint.h"

struct gan_generator {
    gan_spec *spec;     /* the model (owned) */
    gan_ckpt_info info; /* what the checkpoint's metadata says */
    gan_model model;    /* the generator network (CPU or GPU; host copies in model.host) */
    bool ema;           /* model holds the generator_ema.* weights */
    int32_t *labels;    /* (GEN_MAX_ROWS, or the model's max_batch if larger) a forward's
                           class labels, in the backend's memory (conditional models) */
    gan_arena labels_arena;
    bool borrowed;      /* spec and model belong to a trainer (gan_trainer_generator): model
                           is a shallow copy of its struct, freeing leaves both alone */
};

/* images (n, C, H, W) = m(z, labels) in inference mode, in chunks of
 * m->max_batch rows, on the host's z and labels (labels: n values in
 * [0, spec's classes), NULL for an unconditional model; checked), copying
 * the labels through labels_dev (m->max_batch values in the backend's
 * memory). What gan_generator_generate_labeled and
 * gan_trainer_generate_labeled do. */
gan_status gan_generate_with(gan_model *m, const gan_spec *spec, int32_t *labels_dev,
                             const float *z, const int32_t *labels, int n, float *images);

#endif
