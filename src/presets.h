/*
 * presets.h - the built-in model architectures, by name.
 */
#ifndef GAN_PRESETS_H
#define GAN_PRESETS_H

#include "model.h"

/* Description of a GAN architecture: the two networks' layer lists and the
 * shapes they connect. */
typedef struct gan_preset {
    const char *name;
    int latent_dim;          /* generator input features */
    int image[3];            /* C, H, W of generated and real images */
    int n_classes;           /* conditional models: classes of the labels both networks
                                take (gan_model_set_labels); 0 = unconditional */
    gan_status (*build_generator)(gan_model *g);
    gan_status (*build_discriminator)(gan_model *d);
} gan_preset;

/* Find a preset by name; NULL (and an error message listing the presets)
 * if there is none. */
const gan_preset *gan_preset_find(const char *name);

#endif
