/*
 * generator.c - a trained generator on its own: load it from a checkpoint
 * (the moving average of the generator when the run kept one), make latent
 * vectors and class labels, generate images (the library's
 * load-and-generate API, used by `gan sample`, `gan interpolate` and
 * `gan export`).
 */
#include "checkpoint.h"
#include "generator.h"
#include "rng.h"

#include <stdlib.h>
#include <string.h>

#define GEN_MAX_ROWS 256 /* rows per forward pass */

gan_status gan_generator_load(const char *path, gan_generator **out) {
    *out = NULL;
    gan_st_file *f;
    GAN_TRY(gan_st_open(path, &f));
    gan_generator *g = calloc(1, sizeof *g);
    gan_status s = g ? GAN_OK : gan_fail(GAN_ERR_OUT_OF_MEMORY, "cannot allocate a generator");
    if (s == GAN_OK) s = gan_ckpt_read_info(f, &g->info);
    if (s == GAN_OK && !(g->preset = gan_preset_find(g->info.model)))
        s = gan_fail(GAN_ERR_FORMAT, "%s: unknown model '%s' (written by gan.c %s?)", path,
                     g->info.model, g->info.version);
    if (s == GAN_OK && g->info.has_options &&
        (g->info.latent_dim != g->preset->latent_dim ||
         memcmp(g->info.image, g->preset->image, sizeof g->info.image) != 0))
        s = gan_fail(GAN_ERR_FORMAT, "%s: latent size %d / image shape %d,%d,%d do not match "
                     "model '%s'", path, g->info.latent_dim, g->info.image[0], g->info.image[1],
                     g->info.image[2], g->info.model);
    if (s == GAN_OK && gan_st_metadata(f, "num_classes") &&
        g->info.num_classes != g->preset->n_classes)
        s = gan_fail(GAN_ERR_FORMAT, "%s: %d classes do not match model '%s' (%d)", path,
                     g->info.num_classes, g->info.model, g->preset->n_classes);
    if (s == GAN_OK) s = g->preset->build_generator(&g->model);
    if (s == GAN_OK)
        s = gan_model_build(&g->model, "generator", g->preset->latent_dim, 1, 1, GEN_MAX_ROWS,
                            gan_backend_cpu());
    if (s == GAN_OK) {
        g->ema = gan_ckpt_has_ema(f, &g->info);
        s = gan_ckpt_load_model(f, &g->model, g->ema ? "generator_ema" : NULL, false);
    }
    gan_st_close(f);
    if (s != GAN_OK) {
        gan_generator_free(g);
        return s;
    }
    *out = g;
    return GAN_OK;
}

void gan_generator_free(gan_generator *g) {
    if (!g) return;
    gan_model_free(&g->model);
    free(g);
}

int gan_generator_latent_dim(const gan_generator *g) {
    return g->preset->latent_dim;
}

void gan_generator_image_shape(const gan_generator *g, int *c, int *h, int *w) {
    if (c) *c = g->preset->image[0];
    if (h) *h = g->preset->image[1];
    if (w) *w = g->preset->image[2];
}

const char *gan_generator_model_name(const gan_generator *g) {
    return g->preset->name;
}

int gan_generator_num_classes(const gan_generator *g) {
    return g->preset->n_classes;
}

bool gan_generator_uses_ema(const gan_generator *g) {
    return g->ema;
}

void gan_generator_labels(const gan_generator *g, gan_label_mode mode, uint64_t seed,
                          int64_t first, int n, int32_t *labels) {
    uint32_t classes = (uint32_t)g->preset->n_classes;
    for (int i = 0; i < n; i++) {
        uint64_t index = (uint64_t)(first + i);
        if (!classes) labels[i] = 0;
        else if (mode == GAN_LABELS_UNIFORM)
            labels[i] = (int32_t)gan_rng_below(seed, gan_rng_stream(GAN_RNG_LABEL, index), 0,
                                               classes);
        else labels[i] = (int32_t)(index % classes);
    }
}

void gan_generator_noise(const gan_generator *g, uint64_t seed, int64_t first, int n, float *z) {
    size_t latent = (size_t)g->preset->latent_dim;
    for (int i = 0; i < n; i++)
        gan_rng_normal(seed, gan_rng_stream(GAN_RNG_SAMPLE, (uint64_t)(first + i)),
                       z + (size_t)i * latent, latent);
}

gan_status gan_generator_generate_labeled(gan_generator *g, const float *z,
                                          const int32_t *labels, int n, float *images) {
    if (n < 0) return gan_fail(GAN_ERR_INVALID_ARGUMENT, "negative sample count %d", n);
    int classes = g->preset->n_classes;
    if (classes && !labels)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "model '%s' is conditional: give each sample "
                        "a class label", g->preset->name);
    if (!classes && labels)
        return gan_fail(GAN_ERR_INVALID_ARGUMENT, "model '%s' is unconditional: it takes no "
                        "class labels", g->preset->name);
    for (int i = 0; labels && i < n; i++)
        if (labels[i] < 0 || labels[i] >= classes)
            return gan_fail(GAN_ERR_INVALID_ARGUMENT, "class %d of sample %d is out of range "
                            "[0, %d] for model '%s'", (int)labels[i], i, classes - 1,
                            g->preset->name);
    size_t img = (size_t)g->model.out_size, latent = (size_t)g->preset->latent_dim;
    for (int start = 0; start < n; start += g->model.max_batch) {
        int rows = GAN_MIN(g->model.max_batch, n - start);
        gan_model_set_labels(&g->model, labels ? labels + start : NULL);
        const float *y = gan_model_forward(&g->model, z + (size_t)start * latent, rows, false);
        memcpy(images + (size_t)start * img, y, (size_t)rows * img * sizeof *y);
    }
    gan_model_set_labels(&g->model, NULL);
    return GAN_OK;
}

gan_status gan_generator_generate(gan_generator *g, const float *z, int n, float *images) {
    return gan_generator_generate_labeled(g, z, NULL, n, images);
}
