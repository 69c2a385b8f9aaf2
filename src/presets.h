/*
 * presets.h - the built-in models, by name: the spec texts of models/NAME.gan
 * (docs/model-spec.md), compiled into the library at build time
 * (cmake/embed_models.cmake; the list is GAN_PRESET_MODELS in CMakeLists.txt).
 *
 *   mlp    the seed model (see models/mlp.gan), bit-exact with the C code it
 *          replaced (tests/test_spec.c, tests/test_seed_fixture.c)
 *   dcgan  a DCGAN for 28x28 grayscale (models/dcgan.gan)
 *   cgan   class-conditional mlp, 10 classes, learned label embeddings in
 *          both networks (models/cgan.gan)
 *   cdcgan class-conditional dcgan, 10 classes, one-hot label channels
 *          (models/cdcgan.gan)
 *
 * A preset is nothing but its text: gan_spec_load(name) parses it like a file.
 */
#ifndef GAN_PRESETS_H
#define GAN_PRESETS_H

#include "internal.h"

typedef struct gan_preset {
    const char *name; /* "mlp" */
    const char *spec; /* the whole text of models/<name>.gan, NUL-terminated */
} gan_preset;

/* Find a preset by name; NULL (and an error message listing the presets)
 * if there is none. */
const gan_preset *gan_preset_find(const char *name);

/* The presets in their listed order: i in [0, gan_preset_count()). */
int gan_preset_count(void);
const gan_preset *gan_preset_at(int i);

#endif
