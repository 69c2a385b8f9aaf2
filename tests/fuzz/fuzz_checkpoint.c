/*
 * fuzz_checkpoint.c - checkpoints (src/checkpoint.c, src/generator.c): what
 * `gan inspect` reads (info, spec), `gan sample` (generator load + a few
 * images) and `gan train --resume` (a trainer rebuilt on a small dataset of
 * FUZZ_IMAGES 4x4 images, plus one step). Seeds: checkpoints of small 4x4
 * models on that dataset (make_seeds.c), so resumes get past the data check.
 */
#include "checkpoint.h"
#include "data/idx.h"
#include "gan.h"
#include "harness_util.h"
#include "io/safetensors.h"

#include <stdlib.h>

#define FUZZ_IMAGES 8

static gan_dataset *dataset(void) {
    static gan_dataset *d;
    if (d) return d;
    uint8_t px[FUZZ_IMAGES * 16];
    for (int i = 0; i < FUZZ_IMAGES * 16; i++) px[i] = (uint8_t)(i * 37);
    int64_t dims[3] = {FUZZ_IMAGES, 4, 4};
    const char *path = fuzz_path("data-images-idx3-ubyte");
    if (gan_idx_write(path, px, 3, dims, false) != GAN_OK ||
        gan_dataset_load(path, GAN_SPLIT_TRAIN, &d) != GAN_OK)
        abort();
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gan_dataset *d = dataset();
    const char *path = fuzz_write("checkpoint.safetensors", data, size);
    if (!path) return 0;

    gan_st_file *f = NULL;
    if (gan_st_open(path, &f) == GAN_OK) {
        gan_ckpt_info info;
        gan_spec *spec = NULL;
        if (gan_ckpt_read_info(f, &info) == GAN_OK && gan_ckpt_read_spec(f, &info, &spec) == GAN_OK)
            gan_spec_free(spec);
        gan_st_close(f);
    }

    gan_generator *g = NULL;
    if (gan_generator_load(path, &g) == GAN_OK) {
        int n = 2, dim = gan_generator_latent_dim(g);
        int c, h, w;
        gan_generator_image_shape(g, &c, &h, &w);
        float *z = malloc(sizeof(float) * n * dim), *img = malloc(sizeof(float) * n * c * h * w);
        if (z && img) {
            gan_generator_noise(g, 1, 0, n, z);
            gan_generator_generate(g, z, n, img);
        }
        free(z);
        free(img);
        gan_generator_free(g);
    }

    gan_trainer *t = NULL;
    if (gan_trainer_resume(path, d, 1, &t) == GAN_OK) {
        gan_step_stats st;
        gan_trainer_step(t, &st);
        gan_trainer_free(t);
    }
    return 0;
}
