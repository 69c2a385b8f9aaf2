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
};

#endif
