/*
 * generator.h - the inside of a gan_generator (gan.h), for the library's
 * exporter and the CLI's inspect command.
 */
#ifndef GAN_GENERATOR_H
#define GAN_GENERATOR_H

#include "checkpoint.h"
#include "presets.h"

struct gan_generator {
    const gan_preset *preset;
    gan_ckpt_info info; /* what the checkpoint's metadata says */
    gan_model model;    /* the generator network, CPU backend */
    bool ema;           /* model holds the generator_ema.* weights */
};

#endif
