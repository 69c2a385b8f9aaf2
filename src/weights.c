/*
 * weights.c - save a trainer's networks as safetensors.
 *
 * Tensor names follow PyTorch's nn.Sequential of the same architecture,
 * prefixed by the network: "generator.0.weight" (out, in), "generator.2.
 * running_mean", "discriminator.1.bias", ..., and "generator_ema.*" for the
 * moving average of the generator when the run keeps one. Metadata records
 * the model (its name and spec text), its number of classes, the step count
 * and the gan.c version.
 */
#include "io/safetensors.h"
#include "trainer.h"

#include <stdio.h>

static gan_status add_tensor(void *ctx, const char *name, const gan_layer_tensor *t) {
    return gan_st_writer_add((gan_st_writer *)ctx, name, GAN_ST_F32, t->ndims, t->shape, t->data);
}

gan_status gan_trainer_save_weights(gan_trainer *t, const char *path) {
    gan_st_writer *w;
    GAN_TRY(gan_st_writer_create(&w));
    char step[32], classes[16];
    snprintf(step, sizeof step, "%lld", (long long)t->step);
    snprintf(classes, sizeof classes, "%d", t->n_classes);
    gan_status s = gan_model_download(&t->g);
    if (s == GAN_OK) s = gan_model_download(&t->d);
    if (s == GAN_OK && t->has_ema) s = gan_model_download(&t->g_ema);
    if (s == GAN_OK) s = gan_model_each_tensor(&t->g, add_tensor, w);
    if (s == GAN_OK) s = gan_model_each_tensor(&t->d, add_tensor, w);
    if (s == GAN_OK && t->has_ema) s = gan_model_each_tensor(&t->g_ema, add_tensor, w);
    if (s == GAN_OK) s = gan_st_writer_set_metadata(w, "format", "gan.c weights");
    if (s == GAN_OK) s = gan_st_writer_set_metadata(w, "model", t->spec->name);
    if (s == GAN_OK) s = gan_st_writer_set_metadata(w, "spec", t->spec->text);
    if (s == GAN_OK) s = gan_st_writer_set_metadata(w, "num_classes", classes);
    if (s == GAN_OK) s = gan_st_writer_set_metadata(w, "step", step);
    if (s == GAN_OK) s = gan_st_writer_set_metadata(w, "gan_c_version", GAN_VERSION);
    if (s == GAN_OK) s = gan_st_writer_save(w, path);
    gan_st_writer_free(w);
    return s;
}
