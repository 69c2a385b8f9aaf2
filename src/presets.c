/*
 * presets.c - built-in architectures.
 *
 * "mlp" is the seed model (docs: ../shared/docs/SEED.md), exactly:
 *   generator:     Dense(256) LeakyReLU(0.2) BN | Dense(512) LeakyReLU(0.2) BN |
 *                  Dense(1024) LeakyReLU(0.2) BN | Dense(784) tanh | Reshape(1, 28, 28)
 *   discriminator: Flatten | Dense(1024) LeakyReLU(0.2) | Dense(512) LeakyReLU(0.2) |
 *                  Dense(256) LeakyReLU(0.2) | Dense(1) -> logit (the sigmoid is part of
 *                  the loss, computed stably)
 * Batch normalization uses Keras defaults: momentum 0.99, epsilon 1e-3.
 */
#include "presets.h"

#include <string.h>

#define KERAS_BN_MOMENTUM 0.99f
#define KERAS_BN_EPSILON 1e-3f

static gan_status add_dense(gan_model *m, int units) {
    gan_layer l;
    gan_layer_dense(&l, units);
    return gan_model_add(m, l);
}

static gan_status add_leaky_relu(gan_model *m, float alpha) {
    gan_layer l;
    gan_layer_leaky_relu(&l, alpha);
    return gan_model_add(m, l);
}

static gan_status add_batchnorm(gan_model *m) {
    gan_layer l;
    gan_layer_batchnorm(&l, KERAS_BN_MOMENTUM, KERAS_BN_EPSILON);
    return gan_model_add(m, l);
}

static gan_status add_tanh(gan_model *m) {
    gan_layer l;
    gan_layer_tanh(&l);
    return gan_model_add(m, l);
}

static gan_status add_reshape(gan_model *m, int c, int h, int w) {
    gan_layer l;
    gan_layer_reshape(&l, c, h, w);
    return gan_model_add(m, l);
}

static gan_status mlp_generator(gan_model *g) {
    static const int widths[] = {256, 512, 1024};
    for (int i = 0; i < 3; i++) {
        GAN_TRY(add_dense(g, widths[i]));
        GAN_TRY(add_leaky_relu(g, 0.2f));
        GAN_TRY(add_batchnorm(g));
    }
    GAN_TRY(add_dense(g, 28 * 28));
    GAN_TRY(add_tanh(g));
    return add_reshape(g, 1, 28, 28);
}

static gan_status mlp_discriminator(gan_model *d) {
    static const int widths[] = {1024, 512, 256};
    GAN_TRY(add_reshape(d, 0, 0, 0)); /* flatten */
    for (int i = 0; i < 3; i++) {
        GAN_TRY(add_dense(d, widths[i]));
        GAN_TRY(add_leaky_relu(d, 0.2f));
    }
    return add_dense(d, 1);
}

static const gan_preset presets[] = {
    {"mlp", 100, {1, 28, 28}, mlp_generator, mlp_discriminator},
};

const gan_preset *gan_preset_find(const char *name) {
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0) return &presets[i];
    gan_fail(GAN_ERR_INVALID_ARGUMENT, "unknown model '%s' (available: mlp)", name);
    return NULL;
}
