/*
 * presets.c - built-in architectures.
 *
 * "mlp" is the seed model (docs: ../shared/docs/SEED.md), exactly:
 *   generator:     Dense(256) LeakyReLU(0.2) BN | Dense(512) LeakyReLU(0.2) BN |
 *                  Dense(1024) LeakyReLU(0.2) BN | Dense(784) tanh | Reshape(1, 28, 28)
 *   discriminator: Flatten | Dense(1024) LeakyReLU(0.2) | Dense(512) LeakyReLU(0.2) |
 *                  Dense(256) LeakyReLU(0.2) | Dense(1) -> logit (the sigmoid is part of
 *                  the loss, computed stably)
 *
 * "dcgan" (28x28x1, the PyTorch DCGAN example's shape scaled to 28x28):
 *   generator:     Dense(7*7*128) | Reshape(128, 7, 7) | BN2d ReLU |
 *                  ConvTranspose2d(64, 4x4, stride 2, pad 1) BN2d ReLU |   -> 64x14x14
 *                  ConvTranspose2d(1, 4x4, stride 2, pad 1) tanh           -> 1x28x28
 *   discriminator: Conv2d(64, 4x4, s2, p1) LeakyReLU(0.2) |                -> 64x14x14
 *                  Conv2d(128, 4x4, s2, p1) BN2d LeakyReLU(0.2) |          -> 128x7x7
 *                  Flatten | Dense(1) -> logit
 *   Convolution weights are Glorot uniform (Keras's default, like our dense
 *   layers), not the DCGAN paper's N(0, 0.02).
 *
 * Conditional models (both 10 classes; labels reach the label layers
 * through gan_model_set_labels):
 *   "cgan":   generator:     LabelEmbedding(10, 10) (z ++ embedding: 110 features) |
 *                            the mlp generator
 *             discriminator: Flatten | LabelEmbedding(10, 100) (784 ++ 100 features) |
 *                            the mlp discriminator's dense layers
 *   "cdcgan": generator:     LabelOneHot(10) (z ++ one-hot: 110 features) | the dcgan
 *                            generator
 *             discriminator: LabelOneHot(10) (the image ++ 10 constant planes, plane k
 *                            all ones for class k: 11x28x28) | the dcgan discriminator
 * cgan joins learned embeddings (nn.Embedding layout, init N(0, 1)), not
 * one-hot codes, and they are sized by measurement. On the 10-square data of
 * tests/test_conditional.c (classes right after 600 steps, seeds 1-3):
 * one-hot codes in both networks 1-3; embeddings G 10 / D 10: 2-6; G 100 /
 * D 100: 7-8; G 10 / D 100: 8-10. On the digits a G embedding of 100 made
 * G collapse at once (D's loss 1e-3 after 200 steps, as with no training),
 * while G 10 / D 100 trains like the mlp and draws the classes after 10
 * epochs. (G 10 is PyTorch-GAN's cgan.py choice, nn.Embedding(10, 10).)
 * cdcgan keeps one-hot planes: a convolution sees them at every position.
 *
 * Batch normalization (batchnorm and batchnorm2d) uses Keras defaults in
 * both presets: momentum 0.99, epsilon 1e-3, running variance biased. We
 * keep dcgan on the mlp's convention rather than PyTorch's (momentum 0.1
 * in its sense, i.e. 0.9 here; eps 1e-5; unbiased running variance): the
 * training-mode forward, which is all that training uses, is the same up to
 * eps, and one convention for the whole toolkit keeps weights files and
 * fixtures comparable. The cost: running statistics (used only when
 * sampling in inference mode) lag about 100 steps behind instead of 10.
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

static gan_status add_batchnorm2d(gan_model *m) {
    gan_layer l;
    gan_layer_batchnorm2d(&l, KERAS_BN_MOMENTUM, KERAS_BN_EPSILON);
    return gan_model_add(m, l);
}

static gan_status add_relu(gan_model *m) {
    gan_layer l;
    gan_layer_relu(&l);
    return gan_model_add(m, l);
}

static gan_status add_conv2d(gan_model *m, int out, int kernel, int stride, int pad) {
    gan_layer l;
    gan_layer_conv2d(&l, out, kernel, stride, pad);
    return gan_model_add(m, l);
}

static gan_status add_conv_transpose2d(gan_model *m, int out, int kernel, int stride, int pad) {
    gan_layer l;
    gan_layer_conv_transpose2d(&l, out, kernel, stride, pad);
    return gan_model_add(m, l);
}

static gan_status add_label_onehot(gan_model *m, int n_classes) {
    gan_layer l;
    gan_layer_label_onehot(&l, n_classes);
    return gan_model_add(m, l);
}

static gan_status add_label_embedding(gan_model *m, int n_classes, int dim) {
    gan_layer l;
    gan_layer_label_embedding(&l, n_classes, dim);
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

static gan_status mlp_discriminator_dense(gan_model *d) {
    static const int widths[] = {1024, 512, 256};
    for (int i = 0; i < 3; i++) {
        GAN_TRY(add_dense(d, widths[i]));
        GAN_TRY(add_leaky_relu(d, 0.2f));
    }
    return add_dense(d, 1);
}

static gan_status mlp_discriminator(gan_model *d) {
    GAN_TRY(add_reshape(d, 0, 0, 0)); /* flatten */
    return mlp_discriminator_dense(d);
}

static gan_status dcgan_generator(gan_model *g) {
    GAN_TRY(add_dense(g, 7 * 7 * 128));
    GAN_TRY(add_reshape(g, 128, 7, 7));
    GAN_TRY(add_batchnorm2d(g));
    GAN_TRY(add_relu(g));
    GAN_TRY(add_conv_transpose2d(g, 64, 4, 2, 1));
    GAN_TRY(add_batchnorm2d(g));
    GAN_TRY(add_relu(g));
    GAN_TRY(add_conv_transpose2d(g, 1, 4, 2, 1));
    return add_tanh(g);
}

static gan_status dcgan_discriminator(gan_model *d) {
    GAN_TRY(add_conv2d(d, 64, 4, 2, 1));
    GAN_TRY(add_leaky_relu(d, 0.2f));
    GAN_TRY(add_conv2d(d, 128, 4, 2, 1));
    GAN_TRY(add_batchnorm2d(d));
    GAN_TRY(add_leaky_relu(d, 0.2f));
    GAN_TRY(add_reshape(d, 0, 0, 0)); /* flatten */
    return add_dense(d, 1);
}

#define CONDITIONAL_CLASSES 10
#define CGAN_G_EMBEDDING 10
#define CGAN_D_EMBEDDING 100

static gan_status cgan_generator(gan_model *g) {
    GAN_TRY(add_label_embedding(g, CONDITIONAL_CLASSES, CGAN_G_EMBEDDING));
    return mlp_generator(g);
}

static gan_status cgan_discriminator(gan_model *d) {
    GAN_TRY(add_reshape(d, 0, 0, 0)); /* flatten */
    GAN_TRY(add_label_embedding(d, CONDITIONAL_CLASSES, CGAN_D_EMBEDDING));
    return mlp_discriminator_dense(d);
}

static gan_status cdcgan_generator(gan_model *g) {
    GAN_TRY(add_label_onehot(g, CONDITIONAL_CLASSES));
    return dcgan_generator(g);
}

static gan_status cdcgan_discriminator(gan_model *d) {
    GAN_TRY(add_label_onehot(d, CONDITIONAL_CLASSES));
    return dcgan_discriminator(d);
}

static const gan_preset presets[] = {
    {"mlp", 100, {1, 28, 28}, 0, mlp_generator, mlp_discriminator},
    {"dcgan", 100, {1, 28, 28}, 0, dcgan_generator, dcgan_discriminator},
    {"cgan", 100, {1, 28, 28}, CONDITIONAL_CLASSES, cgan_generator, cgan_discriminator},
    {"cdcgan", 100, {1, 28, 28}, CONDITIONAL_CLASSES, cdcgan_generator, cdcgan_discriminator},
};

const gan_preset *gan_preset_find(const char *name) {
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0) return &presets[i];
    gan_fail(GAN_ERR_INVALID_ARGUMENT, "unknown model '%s' (available: mlp, dcgan, cgan, cdcgan)",
             name);
    return NULL;
}
