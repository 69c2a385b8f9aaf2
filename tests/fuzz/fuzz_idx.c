/*
 * fuzz_idx.c - plain IDX files (src/data/idx.c) and datasets built from them
 * (src/data/dataset.c). Input: byte 0 picks how much of the rest is the
 * images file (rest * byte0 / 255); what follows, if anything, is the labels
 * file next to it.
 */
#include "data/idx.h"
#include "gan.h"
#include "harness_util.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input in = {data, size};
    unsigned cut = fuzz_take_u8(&in);
    size_t n_images = in.size * cut / 255;
    const char *images = fuzz_write("x-images-idx3-ubyte", in.data, n_images);
    const char *labels = fuzz_path("x-labels-idx1-ubyte");
    if (n_images < in.size) fuzz_write("x-labels-idx1-ubyte", in.data + n_images, in.size - n_images);
    else remove(labels);
    if (!images) return 0;

    gan_idx idx;
    if (gan_idx_read(images, &idx) == GAN_OK) gan_idx_free(&idx);
    if (gan_idx_read(labels, &idx) == GAN_OK) gan_idx_free(&idx);
    gan_dataset *d = NULL;
    if (gan_dataset_load(images, GAN_SPLIT_TRAIN, &d) == GAN_OK) {
        int c, h, w;
        gan_dataset_shape(d, &c, &h, &w);
        int64_t n = gan_dataset_count(d);
        const uint8_t *px = gan_dataset_pixels(d), *lb = gan_dataset_labels(d);
        volatile unsigned sum = 0;
        if (n > 0) sum += px[(size_t)n * c * h * w - 1] + (lb ? lb[n - 1] : 0);
        gan_dataset_free(d);
    }
    return 0;
}
