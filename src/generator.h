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
    int32_t *labels;    /* (GEN_MAX_ROWS) a forward's class labels, in the backend's memory
                           (conditional models) */
    gan_arena labels_arena;
};

#endif
